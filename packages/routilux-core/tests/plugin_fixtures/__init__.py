"""Small plugin modules the plugin-system tests register or load through fake entry points.

The tests put ``packages/routilux-core/tests`` on ``sys.path`` themselves (pytest runs with
``--import-mode=importlib``), so these import as ``plugin_fixtures.<name>``.
"""
