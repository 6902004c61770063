"""Rendering routilux's plugin template (``routilux plugin new``) with copier.

The template is package data of routilux-cli (``routilux_cli/plugin_template``, a copier
template); copier is an optional dependency: ``pip install 'routilux-cli[template]'``.
:func:`plugin_answers` turns ``KIND NAME`` into the template's answers and
:func:`render_plugin` writes the distribution.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
from pathlib import Path

__all__ = [
    "KINDS",
    "TEMPLATE_DIR",
    "TemplateError",
    "plugin_answers",
    "render_plugin",
]

#: Where the copier template lives inside the installed routilux-cli.
TEMPLATE_DIR = Path(__file__).resolve().parent / "plugin_template"

#: Every plugin kind of issue 13, in the order ``--help`` shows them.
KINDS: tuple[str, ...] = ("routine", "serializer", "executor", "store", "error-strategy")

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*([-_.][A-Za-z0-9]+)*$")


class TemplateError(Exception):
    """``routilux plugin new`` cannot render: a bad name or kind, a used folder, copier missing."""


def _camel(words: list[str]) -> str:
    return "".join(word[:1].upper() + word[1:] for word in words)


def plugin_answers(kind: str, name: str, description: str | None = None) -> dict[str, str]:
    """The template's answers for ``routilux plugin new KIND NAME``.

    ``NAME`` (``shout``, ``text-tools`` or ``routilux-shout``) gives the distribution
    ``routilux-<name>``, the package ``routilux_<name>``, the entry point ``<name>`` and the
    registered name: ``Shout``/``TextTools`` (the class) for a routine, ``<name>`` otherwise.

    Raises:
        TemplateError: ``NAME`` is not a valid name, or its package name is already importable.
    """
    if not _NAME.match(name):
        raise TemplateError(
            f"NAME {name!r} is not a valid plugin name: use letters and digits, separated by "
            "single '-', '_' or '.', starting with a letter (for example 'shout' or 'text-tools')")
    short = re.sub(r"[-_.]+", "-", name).lower()
    if short.startswith("routilux-"):
        short = short[len("routilux-"):]
    if short in ("", "routilux"):
        raise TemplateError(f"NAME {name!r} names routilux itself; pick the name of your plugin")
    words = short.split("-")
    package = "routilux_" + "_".join(words)
    if keyword.iskeyword(package) or not package.isidentifier():
        raise TemplateError(f"NAME {name!r} gives the package name {package!r}, which is not an identifier")
    if importlib.util.find_spec(package) is not None:
        raise TemplateError(f"NAME {name!r} gives the package {package!r}, which is already importable "
                            "here; pick another name")
    camel = _camel(words)
    class_name = camel + "Executor" if kind == "executor" and not camel.endswith("Executor") else camel
    return {
        "kind": kind,
        "project_name": f"routilux-{short}",
        "package_name": package,
        "plugin_name": camel if kind == "routine" else short,
        "class_name": class_name,
        "entry_point_name": short,
        # The same default as copier.yml's, so `copier copy` alone renders the same project.
        "description": description or f"A routilux {kind} plugin.",
        "routilux_requirement": f"routilux-core>={_core_version()}",
    }


def _core_version() -> str:
    import routilux

    # routilux reads its version from its metadata on first use (a module __getattr__: typed Any).
    return str(routilux.__version__)


def render_plugin(kind: str, name: str, destination: Path | None = None,
                  description: str | None = None) -> tuple[Path, dict[str, str], list[Path]]:
    """Render the template for ``kind``/``name`` into ``destination`` (default ``./routilux-<name>``).

    Returns:
        The project folder, the answers used and the files written (relative to the folder).

    Raises:
        TemplateError: the kind cannot be rendered, the name is invalid, the destination exists
            and is not an empty folder, or copier is not installed.
    """
    if kind not in KINDS:
        raise TemplateError(f"unknown plugin kind {kind!r}; kinds: {', '.join(KINDS)}")
    answers = plugin_answers(kind, name, description)
    target = Path(destination) if destination is not None else Path.cwd() / answers["project_name"]
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise TemplateError(f"{target} already exists and is not an empty folder; "
                            "pick another --dir or remove it")
    try:
        import copier
    except ImportError as error:
        raise TemplateError("routilux plugin new renders its template with copier, which is not "
                            "installed: pip install 'routilux-cli[template]'") from error
    copier.run_copy(str(TEMPLATE_DIR), str(target), data=answers, defaults=True, quiet=True,
                    unsafe=False, overwrite=False)
    written = sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file())
    return target, answers, written
