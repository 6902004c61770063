"""The structure of routilux-core stays one-way: the layers contract, and no reading of private names.

The layers are declared once, in the repository's pyproject.toml
(``[tool.importlinter]``), and checked here with import-linter against the
installed ``routilux``. The second test reads every core module's source: no
module imports another's ``_private`` names or reads ``obj._private`` of an
object it does not own, except for the underscore attributes the 0.10 API
fixes (spec §0.4, §2, §3, §6), which user code reads and writes too.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import routilux

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"
SOURCES = Path(routilux.__file__).resolve().parent

#: Underscore attributes and names that are part of the routilux 0.10 API.
API_010 = frozenset({
    "_id", "_slots", "_events", "_config", "_current_flow", "_error_handler", "_data", "_merge_data",
    "_extract_input_data", "_apply_mapping", "_current_job_state", "_paused", "_event_slot_connections",
    "_get_executor", "_find_connection", "_get_routine_id", "_build_dependency_graph",
    "_get_ready_routines", "_start_event_loop", "_enqueue_task", "_executor",
})


def test_the_layers_contract_holds() -> None:
    if importlib.util.find_spec("importlinter") is None:
        pytest.fail("import-linter is not installed: it is a test dependency of routilux-core (see tox.ini)")
    if not PYPROJECT.is_file():
        pytest.fail(f"the layers contract is declared in {PYPROJECT}, which is missing")
    # In a child process: import-linter changes logging settings of the process it runs in.
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename=sys.argv[1]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(PYPROJECT)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (
        "an import runs up the layers declared in pyproject.toml [tool.importlinter]:\n"
        + result.stdout[-3000:]
    )


def _private_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and alias.name not in API_010:
                    found.append(f"{path.name}:{node.lineno} imports {node.module}.{alias.name}")
            parts = (node.module or "").split(".")
            if any(part.startswith("_") and not part.startswith("__") for part in parts):
                found.append(f"{path.name}:{node.lineno} imports from the private module {node.module}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if node.attr in API_010:
                continue
            found.append(f"{path.name}:{node.lineno} reads .{node.attr} of {ast.unparse(owner)}")
    return found


def test_no_module_reads_another_modules_private_names() -> None:
    found = [hit for path in sorted(SOURCES.rglob("*.py")) for hit in _private_reads(path)]
    assert not found, "private names read across modules:\n" + "\n".join(found)


def test_the_check_sees_a_private_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from routilux.plugins.errors import _owner\n"
        "def f(job):\n    return job._gate, self_like._id\n",
        encoding="utf-8",
    )
    found = _private_reads(sample)
    assert any("_owner" in hit for hit in found) and any("._gate" in hit for hit in found)
    assert not any("._id" in hit for hit in found)
