"""The result table: one row per figure, the machine it ran on, the formatting of the figures."""

from __future__ import annotations

import math
import os
import platform
from dataclasses import dataclass


@dataclass
class Row:
    """One figure: routilux's cost and the floor's, per ``unit``, and whether both results checked out."""

    name: str
    unit: str
    framework: float
    floor: float
    ok: bool
    note: str = ""
    lower_is_better: bool = True

    @property
    def ratio(self) -> float:
        """How many times the floor's cost routilux pays (NaN when a figure is missing)."""
        if self.floor <= 0 or self.framework <= 0:
            return math.nan
        return self.framework / self.floor if self.lower_is_better else self.floor / self.framework


def machine() -> str:
    """The OS, the CPU model and the CPU count, for the header of the report."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.system()} {platform.release()} {platform.machine()}, {cpu}, {os.cpu_count()} cpu(s)"


def fmt(value: float) -> str:
    """A figure with as many digits as its size deserves."""
    if math.isnan(value):
        return "n/a"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def print_table(rows: list[Row]) -> None:
    """Print the table of ``rows``, then their notes and how to read the ratios."""
    headers = ("workload", "unit", "routilux", "floor", "x floor", "check")
    body = [(r.name, r.unit, fmt(r.framework), fmt(r.floor), fmt(r.ratio), "ok" if r.ok else "FAIL")
            for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in body)) for i, h in enumerate(headers)]
    align = ["<", "<", ">", ">", ">", "<"]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths)).rstrip()

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for cells in body:
        print(line(cells))
    print()
    for r in rows:
        if r.note:
            print(f"  {r.name.split(' ', 1)[0]} {r.note}")
    print()
    print("'x floor' is how many times the floor's cost routilux pays (for efficiency: floor / routilux);")
    print("1.00 would be free. Absolute figures move +-30% between runs on shared machines.")
