"""The engine: routing emits to slot activations, running them through an executor,
accounting for each job's work and applying error strategies.

``routilux.engine.runtime.Engine`` is the per-flow runtime; executors (how and
where activations run) are plugins, see ``routilux.engine.executors``.
"""
