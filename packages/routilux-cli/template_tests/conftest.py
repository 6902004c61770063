"""Shared pieces of the template tests: where things are, and the per-kind timing summary."""

from __future__ import annotations

import pytest

_TIMINGS = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def template_timings(request: pytest.FixtureRequest) -> dict[str, dict[str, float]]:
    """kind -> {step: seconds} (and "wheelhouse" -> {"total": seconds}); printed at the end."""
    return request.config.stash.setdefault(_TIMINGS, {})


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    timings = dict(config.stash.get(_TIMINGS, {}))
    shared = timings.pop("wheelhouse", None)
    if not timings:
        return
    steps = list(next(iter(timings.values())))
    terminalreporter.section("plugin template: wall time per kind (s)")
    terminalreporter.write_line(f"{'kind':<16}" + "".join(f"{step:>10}" for step in steps))
    for kind, row in timings.items():
        terminalreporter.write_line(f"{kind:<16}" + "".join(f"{row.get(step, 0.0):>10.1f}" for step in steps))
    if shared:
        terminalreporter.write_line(f"wheelhouse (built once, shared): {shared['total']:.1f}")
