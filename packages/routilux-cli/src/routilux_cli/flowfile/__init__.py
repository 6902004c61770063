"""Flow files: a flow described in YAML or JSON, and its conversion to and from a :class:`Flow`.

Schema (version 1)
==================

A flow file is one mapping (YAML, or JSON with the same structure)::

    version: 1                      # optional; 1 is the only version
    flow_id: text-pipeline          # optional; default: the file name without its suffix
    description: Clip and shout.    # optional, free text
    executor: sequential            # optional; a name, or a mapping:
    # executor: {name: concurrent, max_workers: 4, options: {idle_timeout: 1.0}}
    history_limit: 1000             # optional; emit records kept per job (0: none, null: all)
    store: jobs.db                  # optional; the store ``routilux run`` journals into (a path
                                    # relative to this file, or a URL); --store wins over it
    error_handler:                  # optional; the flow-level handler
      strategy: retry               # stop | continue | retry | skip | a registered strategy name
      max_retries: 3
      retry_delay: 0.1              # seconds
      retry_backoff: 2
      is_critical: false
      retryable_exceptions: [ConnectionError, mypkg.errors:Flaky]   # optional
    routines:                       # required: routine id -> routine
      src:
        type: FlowInput             # a registered routine type name (any installed routine plugin) ...
        config: {each: texts, item_key: text}
      clip:
        type: TextClipper
        config: {max_length: 60}
        error_handler: {strategy: continue}   # optional; same keys as above
      work:
        type: mypkg.routines:Worker # ... or ``module:Class`` (a Routine subclass, built with no arguments)
        executor: {name: dask, max_workers: 16, options: {address: "tcp://scheduler:8786"}}
                                    # optional; this routine's own executor (same grammar as the
                                    # flow's, the name required); the others run on the flow's
    connections:                    # optional list
      - from: src.output            # <routine id>.<event>
        to: clip.input              # <routine id>.<slot>
        mapping: {item: text}       # optional: event parameter -> slot parameter
    entry:                          # required: the routine whose ``trigger`` slot starts a job
      routine: src
      params: {texts: [hello]}      # optional
    # entry: src                    # shorthand without params

Rules:

* Routine ids may not contain ``.`` (connections name ``<id>.<event>``).
* ``config`` is applied with ``routine.set_config(**config)``. A routine with an
  ``add_route`` method (``ConditionalRouter``) gets its ``routes`` (a list of
  ``[name, condition]`` pairs) through ``add_route``, so the route events exist
  and can be connected; its ``default_route`` event is defined as well. A routine
  type that declares ``config_keys`` (the standard ones do) refuses other keys,
  and ``DataTransformer`` refuses unknown ``transformations`` names.
* Entry params (and ``routilux run -p``) that the entry routine's ``trigger``
  handler does not take are refused: a run would drop them.
* ``module:Class`` imports run the module: it is code the user chose to run. The
  directory of the flow file is put on ``sys.path`` (at the front, once) before
  importing, so a flow file can use a module that sits next to it.
* ``executor`` becomes ``Flow(execution_strategy=name, max_workers=...,
  executor_options=options)``; the name must be a registered executor.
* A routine's ``executor`` (a name, or ``{name, max_workers, options}``; ``max_workers``
  defaults to 1 for ``sequential``, else 5) becomes
  ``flow.set_routine_executor(id, name, max_workers=..., **options)``: that routine's
  activations run there, every other routine's on the flow's executor (its default), and
  routines with equal settings share one executor. Each executor keeps its own order
  (``sequential`` runs its activations one at a time, in the order they were emitted); nothing
  is promised between activations on different executors. Pause, resume, cancel, retries and
  completion work across them. ``routilux run --executor`` replaces the flow's executor only.
* Both ``executor`` settings are checked when the file is read: a registered name, a positive
  ``max_workers``, and options the executor accepts (it is created, not started, so an unknown
  or bad option is a problem of the file, e.g. ``routines.work.executor.options: executor
  'concurrent' refuses these settings ...``, not an error in the middle of a run).
  :func:`dump_flow_file` writes each routine's executor back.
* Every routine must be reachable from the entry routine through connections.
* Limits (:mod:`.limits`): at most 64 MiB, lists and mappings nested at most 100
  deep, YAML aliases adding at most 100,000 values; a file beyond them is
  refused (:class:`FlowFileRefused`) with one message, before anything is built.

:func:`validate_flow_file` reports every problem at once, each with its location
(``routines.clip.type``, ``connections[2].to``, ...) and, when known, its line;
:func:`load_flow_file` raises :class:`FlowFileError` with the same list.
:func:`dump_flow_file` writes a flow built in Python as a flow file.

Modules: :mod:`.schema` (keys, problems, errors, the spec), :mod:`.reader` (text ->
data, with :mod:`.yaml_text`, :mod:`.json_text` and :mod:`.limits`),
:mod:`.builder` (data -> Flow, with :mod:`.settings`, :mod:`.wiring`,
:mod:`.routine_shape` and :mod:`.names`) and :mod:`.writer` (Flow -> file).
"""

from __future__ import annotations

from routilux_cli.flowfile.builder import build_flow, load_flow_file, validate_flow_file
from routilux_cli.flowfile.names import resolve_routine_type
from routilux_cli.flowfile.reader import read_document
from routilux_cli.flowfile.schema import (
    FLOW_FILE_SUFFIXES,
    SCHEMA_VERSION,
    FlowFileError,
    FlowFileRefused,
    FlowFileSpec,
    Problem,
)
from routilux_cli.flowfile.writer import dump_flow_file, flow_to_document

__all__ = [
    "FLOW_FILE_SUFFIXES",
    "SCHEMA_VERSION",
    "FlowFileError",
    "FlowFileRefused",
    "FlowFileSpec",
    "Problem",
    "build_flow",
    "dump_flow_file",
    "flow_to_document",
    "load_flow_file",
    "read_document",
    "resolve_routine_type",
    "validate_flow_file",
]
