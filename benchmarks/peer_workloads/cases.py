"""What a peer module provides for each workload (a :class:`Case`), and how a case is timed.

Every case is timed the way the routilux rows (g)-(j) of ``run.py`` are: ``reps`` runs, each on a
pipeline built untimed just before it, median reported, the sink's values compared with what the
routilux workload's sink records (``workloads.routing.expected_chain``) after every run.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workloads.measuring import measure
from workloads.routing import expected_chain
from workloads.sizes import Sizes


@dataclass(frozen=True)
class Workload:
    """One of the four workloads of issue 15 section 1: its size field in ``Sizes`` and its sink's values."""

    key: str
    unit: str
    title: str
    #: The ``workloads.sizes.Sizes`` field holding its size, so that routilux and the peers share sizes.
    size_field: str
    #: The smallest size it makes sense at: the warm-up run and the size fit's small probe use it.
    smallest: int
    #: What the sink records at size ``n`` (for (j): what the built chain's sink records on one run).
    expected: Callable[[int], list[Any]]

    def size(self, sizes: Sizes) -> int:
        """The size this workload has in ``sizes``."""
        value: int = getattr(sizes, self.size_field)
        return value

    def label(self, n: int) -> str:
        """The workload's row title at size ``n``."""
        return self.title.format(n=n)


#: (g) n nodes: a source, n - 2 relays adding one each, a sink: the sink gets n - 2 (one message).
#: (h) and (i): source -> relay -> sink for values 0..n-1, in order. (j): the built chain run once.
WORKLOADS: tuple[Workload, ...] = (
    Workload("g", "us/step", "(g) chain of {n:,} distinct nodes, one run, fresh pipeline", "long_chain", 3,
             lambda n: expected_chain(1, n - 1)),
    Workload("h", "us/item", "(h) {n:,} items: source -> routine -> sink, one run", "items", 1,
             lambda n: expected_chain(n, 2)),
    Workload("i", "us/job", "(i) {n:,} runs of a 3-step pipeline, one after another", "pipeline_jobs", 1,
             lambda n: expected_chain(n, 2)),
    Workload("j", "us/routine", "(j) building a chain of {n:,} nodes (construct + add + connect)",
             "build_routines", 3, lambda n: expected_chain(1, n - 1)),
)


def _identity(result: Any) -> Any:
    return result


@dataclass(frozen=True)
class Case:
    """One workload in one peer's public API.

    ``build(n)`` makes what a run needs at size ``n`` (untimed); ``run(built)`` is the timed part
    and returns the sink's values; ``readout(result)`` (untimed) turns what ``run`` returned into
    the sink's values, for (j), whose timed part only builds (its readout runs the chain once).
    """

    how: str
    build: Callable[[int], Any]
    run: Callable[[Any], Any]
    readout: Callable[[Any], Any] = _identity
    #: The size of the probe run that sizes the timed runs to the budget (0: the quick size).
    probe: int = 0


@dataclass(frozen=True)
class NotExpressible:
    """A workload a peer cannot express sensibly: shown as n/a, ``why`` as its footnote."""

    why: str


@dataclass(frozen=True)
class Figure:
    """A case's timing: microseconds per unit at ``size``, and whether every run's sink was right."""

    per_unit_us: float
    size: int
    reps: int
    ok: bool
    #: Why ``size`` is below the workload's size (the estimate of the full size), else "".
    reduced: str = ""


def time_case(case: Case, workload: Workload, n: int, reps: int) -> tuple[float, bool]:
    """Median seconds of ``reps`` runs of ``case`` at size ``n``, each on a fresh build, and whether
    every run's sink values were ``workload.expected(n)``."""
    built: list[Any] = []
    want = workload.expected(n)

    def reset() -> None:
        built[:] = [case.build(n)]

    return measure(reps, lambda: case.run(built[0]), lambda result: case.readout(result) == want, reset,
                   summary=statistics.median)


def next_size(size: int, full: int) -> int:
    """The step after ``size`` on the 1, 2, 5, 10, 20, 50, ... ladder, capped at ``full``."""
    decade = 10 ** math.floor(math.log10(size))
    for step in (1, 2, 5, 10):
        if step * decade > size:
            return min(step * decade, full)
    return full  # pragma: no cover - the 10 x decade step is always above size


def fit_size(case: Case, workload: Workload, full: int, probe: int, reps: int,
             budget: float) -> tuple[int, bool, str]:
    """The size to time ``case`` at: ``full`` unless ``reps`` runs of it would take over ``budget`` s.

    Runs ``case`` once at the workload's smallest size (a warm-up: imports, a peer's server), then
    once at ``probe`` and at each step of the 1-2-5 ladder above it, up to ``full``, while ``reps``
    runs of the next step, estimated linearly from the last run, fit in ``budget``. A cost that
    grows faster than the size (a peer's server falling behind) shows one step late at most; a step
    that raises ends the climb at the step below it. Returns the size, whether those runs' sinks were
    right, and, when the size is below ``full``, why.
    """
    tiny = min(workload.smallest, full)
    _, ok = time_case(case, workload, tiny, 1)
    size = max(min(probe, full), tiny)
    seconds, probe_ok = time_case(case, workload, size, 1)
    ok = ok and probe_ok
    while size < full:
        bigger = next_size(size, full)
        estimate = seconds * bigger / size
        if reps * estimate > budget:
            return size, ok, (f"one run at {size:,} took {seconds:.1f} s, so {reps} runs at {bigger:,} would "
                              f"take about {reps * estimate:,.0f} s, over the {budget:g} s budget")
        try:
            seconds, step_ok = time_case(case, workload, bigger, 1)
        except Exception as exc:  # the peer breaks above ``size``: report the size it ran, and why not more
            return size, ok, f"one run at {bigger:,} failed: {type(exc).__name__}: {str(exc)[:200]}"
        ok = ok and step_ok
        size = bigger
    return full, ok, ""


def measure_case(case: Case, workload: Workload, full: int, quick: int, reps: int, budget: float) -> Figure:
    """Fit the size of ``case`` to ``budget`` (see :func:`fit_size`), then time ``reps`` runs of it."""
    probe = min(case.probe or quick, full)
    size, ok, reduced = fit_size(case, workload, full, probe, reps, budget)
    seconds, runs_ok = time_case(case, workload, size, reps)
    return Figure(seconds / size * 1e6, size, reps, ok and runs_ok, reduced)


# -- the workloads' steps as plain functions, for the peers whose nodes or tasks wrap functions ---------


def make_relay() -> Callable[[int], int]:
    """A relay function of its own: a chain's nodes are distinct functions, as its routines are."""

    def relay(value: int) -> int:
        return value + 1

    return relay


def source(start: int) -> int:
    """The entry step: passes the run's ``start`` on."""
    return start


def sink(value: int) -> list[tuple[int, int]]:
    """The last step: what routilux's Sink records for ``value``."""
    return [(0, value)]
