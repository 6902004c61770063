"""Bad flow files, bad ``-p`` values and bad job-store input: one clear line on stderr and exit status 2,
never a hang.

Each command runs in a real subprocess bounded by BAD_INPUT_TIMEOUT: a
command that hangs (a "billion laughs" being expanded) fails the test by
``subprocess.TimeoutExpired`` instead of blocking the suite.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest

BAD_INPUT_TIMEOUT = 60

ENTRY_FIXTURES = Path(__file__).resolve().parent / "entry_fixtures.py"


@pytest.fixture
def routilux(cli_command, cli_env):
    """``routilux(*args)``: the CLI in a subprocess that must end within BAD_INPUT_TIMEOUT."""
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(cli_command(*args), env=cli_env(), capture_output=True, text=True,
                              encoding="utf-8", timeout=BAD_INPUT_TIMEOUT, check=False)

    return run


def assert_one_line_usage_error(result: subprocess.CompletedProcess, *words: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def billion_laughs(path: Path) -> Path:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    tail = "\nroutines:\n  src: {type: FlowInput}\nentry: src\n"
    path.write_text("\n".join(lines) + tail, encoding="utf-8")
    return path


def deep_yaml(path: Path) -> Path:
    return write(path, "routines:\n  src: {type: FlowInput, config: {each: " + "[" * 20_000 + "]" * 20_000
                 + "}}\nentry: src\n")


def deep_json(path: Path) -> Path:
    head = '{"routines": {"src": {"type": "FlowInput"}},\n "entry": {"routine": "src", "params": {"x": '
    path.write_text(head + "[" * 20_000 + "]" * 20_000 + "}}}", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [["validate"], ["run"], ["graph", "--format", "mermaid"]])
def test_billion_laughs_is_refused_by_every_command(routilux, tmp_path, command):
    path = billion_laughs(tmp_path / "laughs.yaml")
    assert_one_line_usage_error(routilux(command[0], str(path), *command[1:]),
                                f"{path}:6:", "YAML aliases expand the document by more than 100,000 values")


@pytest.mark.parametrize("make, line", [(deep_yaml, 2), (deep_json, 2)], ids=["yaml", "json"])
@pytest.mark.parametrize("command", ["validate", "run", "graph"])
def test_deep_nesting_in_a_flow_file_is_refused(routilux, tmp_path, make, line, command):
    path = make(tmp_path / f"deep{'.yaml' if make is deep_yaml else '.json'}")
    assert_one_line_usage_error(routilux(command, str(path)), f"{path}:{line}:",
                                "nested deeper than 100 levels")


def test_a_5000_digit_integer_in_a_flow_file_is_refused(routilux, tmp_path):
    path = write(tmp_path / "digits.yaml", "routines:\n  src: {type: FlowInput}\nentry:\n  routine: src\n"
                 "  params: {n: " + "7" * 5000 + "}\n")
    assert_one_line_usage_error(routilux("validate", str(path)), f"{path}:5:", "5000 digits", "quote it")


def test_deep_nesting_in_a_param_is_refused(routilux, examples_dir):
    deep = "[" * 20_000 + "]" * 20_000
    result = routilux("run", str(examples_dir / "text_pipeline.yaml"), "-p", f"x={deep}")
    assert_one_line_usage_error(result, "--param x:", "nested deeper than 100 levels")
    assert result.stdout == ""  # nothing ran


def test_a_5000_digit_param_is_refused(routilux, examples_dir):
    result = routilux("run", str(examples_dir / "text_pipeline.yaml"), "-p", "x=" + "9" * 5000)
    assert_one_line_usage_error(result, "--param x:", "an integer with 5000 digits", "quote it")
    assert result.stdout == ""


def test_a_param_that_is_not_key_value_is_refused(routilux, examples_dir):
    assert_one_line_usage_error(routilux("run", str(examples_dir / "text_pipeline.yaml"), "-p", "=3"),
                                "--param '=3' is not KEY=VALUE")


def test_a_param_the_entry_does_not_take_is_refused_before_the_run(routilux, tmp_path):
    shutil.copy(ENTRY_FIXTURES, tmp_path / "entry_fixtures.py")
    path = write(tmp_path / "counter.yaml", """
        routines:
          start: {type: "entry_fixtures:Counter"}
        entry: {routine: start, params: {value: 41}}
    """)
    good = routilux("run", str(path), "-p", "step=2", "--json")
    assert "Traceback" not in good.stderr
    assert '"value": 43' in good.stdout  # the check lets a key the entry takes through
    result = routilux("run", str(path), "-p", "valu=3")
    line = assert_one_line_usage_error(result, "--param valu:", "takes no parameter 'valu'")
    assert "did you mean 'value'?" in line
    assert result.stdout == ""


def test_validate_reports_a_config_key_and_a_transformation_a_run_would_ignore(routilux, tmp_path):
    path = write(tmp_path / "typos.yaml", """
        routines:
          src: {type: FlowInput}
          clip: {type: TextClipper, config: {max_lenght: 60}}
          tidy: {type: DataTransformer, config: {transformations: [uppercse]}}
        connections:
          - {from: src.output, to: clip.input}
          - {from: clip.output, to: tidy.input, mapping: {clipped_text: data}}
        entry: src
    """)
    result = routilux("validate", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}:3: routines.clip.config.max_lenght: TextClipper has no config key 'max_lenght'; " \
           "did you mean 'max_length'?" in result.stdout
    assert (f"{path}:4: routines.tidy.config.transformations[0]: unknown transformation 'uppercse'"
            in result.stdout)


def test_bad_yaml_is_one_line_naming_the_file_and_the_line_where_the_quote_opened(routilux, tmp_path):
    path = write(tmp_path / "quote.yaml", """
        routines:
          src: {type: "FlowInput}
          show: {type: FlowOutput}
        entry: src
    """)
    line = assert_one_line_usage_error(routilux("run", str(path)), f"{path}:2: invalid YAML:")
    assert "<unicode string>" not in line
    validated = routilux("validate", str(path))
    assert validated.returncode == 1
    assert f"{path}:2: invalid YAML: found unexpected end of stream" in validated.stdout


# -- job stores: unknown ids, stores that cannot be opened, bad options -----------------------------

STATUSES = "pending, running, paused, completed, failed, cancelled"


def test_an_unknown_job_id_names_the_store(routilux, pipeline, job_store):
    assert routilux("run", pipeline).returncode == 0
    for command in ("inspect", "pause", "cancel", "resume"):
        assert_one_line_usage_error(routilux(command, "no-such-job"), "'no-such-job'", str(job_store))


def test_reading_a_store_that_does_not_exist_is_one_line(routilux, tmp_path):
    missing = tmp_path / "missing.db"
    for command in (["jobs"], ["inspect", "some-id"], ["pause", "some-id"],
                    ["jobs", "prune", "--older-than", "1d"]):
        assert_one_line_usage_error(routilux(*command, "--store", str(missing)), str(missing), "no store")
    assert not missing.exists()


def test_a_store_file_that_is_not_sqlite_is_one_line(routilux, pipeline, tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not a database, just text " * 100, encoding="utf-8")
    for command in (["run", pipeline], ["jobs"]):
        assert_one_line_usage_error(routilux(*command, "--store", str(bogus)), str(bogus),
                                    "not an SQLite database")


def test_a_locked_store_is_one_line(routilux, pipeline, job_store):
    assert routilux("run", pipeline).returncode == 0
    holder = sqlite3.connect(job_store, isolation_level=None, check_same_thread=False)
    try:
        # Exclusive locking mode keeps even readers out until the connection lets go.
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        assert_one_line_usage_error(routilux("jobs"), str(job_store), "locked")
    finally:
        holder.close()
    assert routilux("jobs").returncode == 0


def test_an_unknown_status_is_one_line_listing_the_valid_ones(routilux):
    assert_one_line_usage_error(routilux("jobs", "--status", "done"), "'done'", STATUSES)


@pytest.mark.parametrize("age", ["7", "7x", "d", "-1d", "1.5.3h"])
def test_a_bad_age_is_one_line(routilux, age):
    assert_one_line_usage_error(routilux("jobs", "prune", "--older-than", age), repr(age), "s, m, h or d")


def test_store_and_no_store_together_are_refused(routilux, pipeline, tmp_path):
    result = routilux("run", pipeline, "--no-store", "--store", str(tmp_path / "x.db"))
    assert_one_line_usage_error(result, "--store and --no-store")
    assert result.stdout == ""


def test_a_store_key_that_is_not_text_is_a_flow_file_problem(routilux, tmp_path):
    flow = write(tmp_path / "bad_store.yaml", "store: 3\nroutines:\n  src: {type: FlowInput}\nentry: src\n")
    assert_one_line_usage_error(routilux("run", str(flow)), f"{flow}:1: store: store must be a path or URL")


def test_a_store_whose_plugin_is_not_installed_is_one_line(routilux):
    assert_one_line_usage_error(routilux("jobs", "--store", "postgres://db/jobs"), "'postgres'")
