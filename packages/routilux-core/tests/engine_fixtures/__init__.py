"""Modules the engine tests import once ``fixtures_on_path`` (conftest.py) has run: the plugin found
through a fake entry point (``third_party``), the routines of the remote-executor tests
(``remote_routines``) and the routines and flow wiring several test modules share (``routines``)."""
