"""Graph output of a flow in each text format (library level), and Graphviz rendering."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from routilux import Flow
from routilux_cli.flowfile import load_flow_file
from routilux_cli.graph import GraphvizMissing, render_image, render_text

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def flow() -> Flow:
    loaded, _spec = load_flow_file(EXAMPLES / "retry_and_route.yaml")
    return loaded


def test_mermaid(flow: Flow):
    text = render_text(flow, "mermaid")
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert sum(1 for line in lines if '["' in line) == len(flow.routines)
    assert sum(1 for line in lines if "-->" in line) == len(flow.connections)
    assert 'r1 -->|"valid → input (validated_data→order)"| r2' in text
    assert "class r0 entry" in text


def test_d2(flow: Flow):
    text = render_text(flow, "d2")
    assert "direction: right" in text
    assert '"pay": {' in text and 'label: "pay (FlakyPayment)"' in text
    assert '"route" -> "large": "large → input"' in text
    assert text.count(" -> ") == len(flow.connections)


def test_dot(flow: Flow):
    text = render_text(flow, "dot")
    assert text.startswith('digraph "retry-and-route" {')
    assert '"orders" [label="orders\\nFlowInput", penwidth=3];' in text
    assert '"check" -> "rejected" [label="invalid → input"];' in text
    assert text.rstrip().endswith("}")
    if shutil.which("dot"):
        checked = subprocess.run(["dot", "-Tcanon"], input=text, capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr


def test_unknown_format(flow: Flow):
    with pytest.raises(ValueError, match="mermaid, d2, dot"):
        render_text(flow, "plantuml")


def test_image_without_dot(flow: Flow):
    with pytest.raises(GraphvizMissing, match="Install Graphviz"):
        render_image(flow, "svg", dot_program="no-such-dot-program")


def test_png_with_dot(flow: Flow):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' is not installed")
    assert render_image(flow, "png").startswith(b"\x89PNG")
