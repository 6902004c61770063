"""How long ``routilux validate`` takes on a 10 MB flow file, and a hostile one.

    python benchmarks/flowfile_validate.py [--mb 10] [--repeat 3] [--routines 0]

Writes, in a temporary directory, the example text pipeline with ``--mb`` megabytes of entry
params (a list of texts), once as YAML and once as JSON, and times:

* ``validate_flow_file`` in this process (best of ``--repeat``): reading, parsing once and
  building the flow;
* ``python -m routilux_cli validate FILE`` as a whole process (best of ``--repeat``);
* ``routilux validate`` of a YAML "billion laughs" (9 levels of 9 aliases), which is refused
  with one line and exit status 2 instead of expanding 9**9 values.

Target (issue 10): 10 MB validated in at most 3 s (it took 22 s when the file was parsed twice
with PyYAML's pure-Python parser). ``--routines N`` adds a file of N chained ``TextClipper``
routines: its time is mostly the building of N routines by routilux-core, not the parsing.
Nothing is asserted; the figures are printed beside the target.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from workloads.bytecode import child_env

TARGET_S = 3.0
TIMEOUT = 300.0


#: ``routilux`` as this interpreter runs it (the same code as the ``routilux`` script).
ROUTILUX = [sys.executable, "-m", "routilux_cli"]


def pipeline_document(megabytes: float) -> dict[str, Any]:
    """The text pipeline of the examples, with about ``megabytes`` MB of texts as entry params."""
    text = "a text to clip, strip and shout, long enough to look like real input: " + "x" * 20
    count = int(megabytes * 1_000_000 / (len(text) + 12))
    return {
        "version": 1,
        "flow_id": "big",
        "routines": {
            "src": {"type": "FlowInput", "config": {"each": "texts", "item_key": "text"}},
            "clip": {"type": "TextClipper", "config": {"max_length": 40}},
            "tidy": {"type": "DataTransformer",
                     "config": {"transformations": ["strip_whitespace", "uppercase"]}},
            "show": {"type": "FlowOutput", "config": {"output_type": "text", "keys": ["transformed_data"]}},
        },
        "connections": [
            {"from": "src.output", "to": "clip.input"},
            {"from": "clip.output", "to": "tidy.input", "mapping": {"clipped_text": "data"}},
            {"from": "tidy.output", "to": "show.input"},
        ],
        "entry": {"routine": "src", "params": {"texts": [f"{i} {text}" for i in range(count)]}},
    }


def routines_document(count: int) -> dict[str, Any]:
    routines: dict[str, Any] = {"src": {"type": "FlowInput"}}
    connections = []
    previous = "src"
    for index in range(count):
        routines[f"clip{index}"] = {"type": "TextClipper", "config": {"max_length": 40 + index % 7}}
        connections.append({"from": f"{previous}.output", "to": f"clip{index}.input"})
        previous = f"clip{index}"
    return {"routines": routines, "connections": connections, "entry": "src"}


def write_yaml(path: Path, document: dict[str, Any]) -> Path:
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's writer, when PyYAML has it
    path.write_text(yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def billion_laughs(path: Path) -> Path:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    path.write_text("\n".join(lines) + "\nroutines: {src: FlowInput}\nentry: src\n", encoding="utf-8")
    return path


def best_in_process(path: Path, repeat: int) -> float:
    from routilux_cli.flowfile import validate_flow_file

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        problems = validate_flow_file(path)
        times.append(time.perf_counter() - started)
        if problems:
            raise SystemExit(f"{path} is not valid: {problems[:3]}")
    return min(times)


def best_process(path: Path, repeat: int, expect: int = 0) -> tuple[float, str]:
    times = []
    last = ""
    for _ in range(repeat):
        started = time.perf_counter()
        result = subprocess.run([*ROUTILUX, "validate", str(path)], capture_output=True, text=True,
                                timeout=TIMEOUT, check=False, env=child_env())
        times.append(time.perf_counter() - started)
        if result.returncode != expect:
            raise SystemExit(f"routilux validate {path}: exit {result.returncode}: {result.stderr}")
        last = (result.stderr or result.stdout).strip()
    return min(times), last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=10.0, help="size of the entry params, in MB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--routines", type=int, default=0, help="also time a file of this many routines")
    args = parser.parse_args()

    import yaml

    print(f"Python {sys.version.split()[0]}, PyYAML {yaml.__version__} "
          f"(libyaml: {'yes' if getattr(yaml, '__with_libyaml__', False) else 'no'})")
    with tempfile.TemporaryDirectory(prefix="routilux-validate-") as tmp:
        folder = Path(tmp)
        document = pipeline_document(args.mb)
        files = [write_yaml(folder / "big.yaml", document), write_json(folder / "big.json", document)]
        if args.routines:
            many = routines_document(args.routines)
            files.append(write_yaml(folder / f"routines_{args.routines}.yaml", many))
        print(f"{'file':<22} {'MB':>6} {'in-process s':>13} {'process s':>10}  target {TARGET_S:.1f} s")
        for path in files:
            size = path.stat().st_size / 1_000_000
            inside = best_in_process(path, args.repeat)
            whole, _ = best_process(path, args.repeat)
            print(f"{path.name:<22} {size:6.1f} {inside:13.2f} {whole:10.2f}")
        laughs = billion_laughs(folder / "laughs.yaml")
        whole, message = best_process(laughs, args.repeat, expect=2)
        size = laughs.stat().st_size / 1e6
        print(f"{laughs.name:<22} {size:6.4f} {'-':>13} {whole:10.2f}  exit 2: {message}")


if __name__ == "__main__":
    main()
