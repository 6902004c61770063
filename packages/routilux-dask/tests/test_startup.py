"""The shared LocalCluster as a script meets it: started once, closed at exit, and the unguarded script.

Each test runs a script written to ``tmp_path`` in a fresh interpreter, since
what is tested (the ``__main__`` module re-imported by the worker processes,
the atexit close) belongs to a whole process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent('''
    import json

    from routilux import Flow, JobState, Routine


    class Source(Routine):
        def __init__(self):
            super().__init__()
            self.define_slot("trigger", self.start)
            self.define_event("item", ["index"])

        def start(self, n=0, **_):
            for index in range(n):
                self.emit("item", index=index)


    class Square(Routine):
        def __init__(self):
            super().__init__()
            self.define_slot("input", self.square)
            self.define_event("value", ["square"])

        def square(self, index):
            self.emit("value", square=index * index)


    def main():
        report = []
        for _ in range(2):
            flow = Flow(execution_strategy="dask", max_workers=2)
            flow.add_routine(Source(), "src")
            flow.add_routine(Square(), "square")
            flow.connect("src", "item", "square", "input")
            job = flow.execute("src", entry_params={{"n": 4}})
            assert JobState.wait_for_completion(flow, job, timeout=60), job.status
            squares = sorted(r.data["square"] for r in job.get_execution_history("square")
                             if r.event_name == "value")
            executor = flow._get_executor()
            report.append({{"status": job.status, "squares": squares, "cluster": id(executor.cluster),
                            "scheduler": executor.client.scheduler.address}})
            flow.shutdown()
        print(json.dumps(report))


    {run}
''')

#: A bound on each script: a LocalCluster starts in seconds.
TIMEOUT = 120


def run_script(tmp_path: Path, guarded: bool) -> subprocess.CompletedProcess[str]:
    run = 'if __name__ == "__main__":\n    main()' if guarded else "main()"
    script = tmp_path / "flow_script.py"
    script.write_text(SCRIPT.format(run=run))
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=tmp_path, check=False,
    )


def test_flows_of_a_script_share_one_cluster_closed_at_exit(tmp_path: Path) -> None:
    result = run_script(tmp_path, guarded=True)
    assert result.returncode == 0, result.stdout + result.stderr
    first, second = json.loads(result.stdout)
    for flow in (first, second):
        assert flow["status"] == "completed" and flow["squares"] == [0, 1, 4, 9]
    # One LocalCluster for both flows, though the first flow was shut down before the second ran.
    assert first["cluster"] == second["cluster"] and first["scheduler"] == second["scheduler"]
    # Closed at exit without complaints: no traceback, no warning or error logged by dask.
    assert "Traceback" not in result.stderr and "distributed." not in result.stderr, result.stderr


def test_unguarded_script_fails_with_one_clear_error(tmp_path: Path) -> None:
    result = run_script(tmp_path, guarded=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "routilux_dask.local_cluster.DaskStartupError" in result.stderr, output
    assert 'Put the script\'s code under `if __name__ == "__main__":`' in result.stderr
    assert '"processes": False' in result.stderr
    assert "re-imports the main module" in result.stderr
    # Not the hundreds of lines of nanny tracebacks dask prints by itself.
    assert len(output.splitlines()) < 40, output
    assert result.stderr.count("Traceback") == 1, output
