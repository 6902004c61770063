"""The side-by-side table of ``peers.py``: one row per workload, a column per system, footnotes."""

from __future__ import annotations

from dataclasses import dataclass, field

from workloads.report import Row, fmt

from .cases import WORKLOADS, Figure, NotExpressible

#: What a peer's column holds for a workload: a timing, n/a, the exception it raised, or nothing
#: (the peer is not installed).
Outcome = Figure | NotExpressible | BaseException | None


@dataclass
class Table:
    """The cells of the table and its footnotes (numbered in the order they are first cited)."""

    peers: list[str]
    baseline: dict[str, Row]
    outcomes: dict[str, dict[str, Outcome]]
    sizes: dict[str, int]
    footnotes: list[str] = field(default_factory=list)

    def cite(self, text: str) -> str:
        """The marker ``[k]`` of footnote ``text`` (added when new)."""
        if text not in self.footnotes:
            self.footnotes.append(text)
        return f"[{self.footnotes.index(text) + 1}]"

    def figure(self, per_unit_us: float, floor_us: float, ok: bool) -> str:
        """A figure in microseconds with its ratio to the floor (FAIL when a sink was wrong)."""
        ratio = per_unit_us / floor_us if floor_us > 0 else float("nan")
        return f"{fmt(per_unit_us)} ({fmt(ratio)}x)" + ("" if ok else " FAIL")

    def peer_cell(self, peer: str, key: str, floor_us: float) -> str:
        """The cell of ``peer`` for workload ``key``."""
        outcome = self.outcomes[peer].get(key)
        if outcome is None:
            return "not installed"
        if isinstance(outcome, NotExpressible):
            return "n/a " + self.cite(f"{peer} ({key}): {outcome.why}")
        if isinstance(outcome, BaseException):
            return "error " + self.cite(f"{peer} ({key}): {type(outcome).__name__}: {outcome}")
        text = self.figure(outcome.per_unit_us, floor_us, outcome.ok)
        if outcome.size != self.sizes[key]:
            text += f" @{outcome.size:,}"
        if outcome.reduced:
            text += " " + self.cite(f"{peer} ({key}) at size {outcome.size:,}: {outcome.reduced}")
        return text

    def rows(self) -> list[tuple[str, ...]]:
        """The header and the body: a row per workload, and (i) once more as runs per second."""
        lines = [("workload", "unit", "plain floor", "routilux", *self.peers)]
        for workload in WORKLOADS:
            key = workload.key
            base = self.baseline[key]
            lines.append((workload.label(self.sizes[key]), workload.unit, fmt(base.floor),
                          self.figure(base.framework, base.floor, base.ok),
                          *(self.peer_cell(peer, key, base.floor) for peer in self.peers)))
            if key == "i":
                lines.append(("    the same, as jobs (runs) per second", "jobs/s", fmt(1e6 / base.floor),
                              fmt(1e6 / base.framework), *(self.per_second(peer) for peer in self.peers)))
        return lines

    def per_second(self, peer: str) -> str:
        """``peer``'s (i) figure as runs per second, or the same status as its (i) cell."""
        outcome = self.outcomes[peer].get("i")
        if isinstance(outcome, Figure):
            return fmt(1e6 / outcome.per_unit_us)
        return "not installed" if outcome is None else "-"

    def show(self) -> None:
        """Print the table, then its footnotes."""
        lines = self.rows()
        widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]

        def render(cells: tuple[str, ...]) -> str:
            return "  ".join(f"{c:<{w}}" if i < 2 else f"{c:>{w}}"
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        print(render(lines[0]))
        print("  ".join("-" * w for w in widths))
        for line in lines[1:]:
            print(render(line))
        print()
        print("Figures: median per unit in microseconds, (Nx) = N times the plain floor's cost; '@N': the")
        print("peer ran that size instead of the row's (see its footnote); FAIL: a sink's values were wrong.")
        for number, text in enumerate(self.footnotes, 1):
            print(f"  [{number}] {text}")
