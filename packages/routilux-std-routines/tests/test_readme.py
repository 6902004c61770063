"""The README's examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(
    r"^( *)```python\n(.*?)^\1```", README.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE
)


def test_readme_has_examples():
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, installed):
    indent, code = BLOCKS[index]
    code = "\n".join(line[len(indent) :] for line in code.splitlines())
    if "from routilux import TextClipper" in code and not installed:
        pytest.skip("resolving routilux.TextClipper needs the installed distribution (entry point)")
    exec(compile(code, f"README.md example {index}", "exec"), {"__name__": f"readme_example_{index}"})
