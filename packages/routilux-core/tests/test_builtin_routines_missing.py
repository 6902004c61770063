"""Without routilux-std-routines, the built-in routine names raise an ImportError saying what to install."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys

import pytest

from routilux.testing import make_registry, use_registry

CATEGORY_NAMES = [
    ("text_processing", "TextClipper"),
    ("text_processing", "TextRenderer"),
    ("text_processing", "ResultExtractor"),
    ("utils", "TimeProvider"),
    ("utils", "DataFlattener"),
    ("data_processing", "DataTransformer"),
    ("data_processing", "DataValidator"),
    ("control_flow", "ConditionalRouter"),
]

std_installed = importlib.util.find_spec("routilux_std_routines") is not None


def assert_names_distribution(exc_info: pytest.ExceptionInfo, name: str) -> None:
    message = str(exc_info.value)
    assert "routilux-std-routines" in message and repr(name) in message
    assert isinstance(exc_info.value.__cause__, LookupError)


@pytest.mark.skipif(
    std_installed, reason="routilux-std-routines is installed; this checks a core-only install"
)
@pytest.mark.parametrize(("category", "name"), CATEGORY_NAMES)
def test_core_only_install_raises_import_error(category, name):
    with pytest.raises(ImportError) as info:
        exec(f"from routilux.builtin_routines.{category} import {name}", {})
    assert_names_distribution(info, name)
    with pytest.raises(ImportError) as info:
        exec(f"from routilux import {name}", {})
    assert_names_distribution(info, name)


@pytest.mark.parametrize(("category", "name"), CATEGORY_NAMES)
def test_registry_without_the_plugin_raises_import_error(category, name):
    # Same check whatever is installed: a registry that reads no entry point.
    module = importlib.import_module(f"routilux.builtin_routines.{category}")
    with use_registry(make_registry()):
        with pytest.raises(ImportError) as info:
            getattr(module, name)
        assert_names_distribution(info, name)
        with pytest.raises(ImportError) as info:
            exec(f"from routilux import {name}", {})
        assert_names_distribution(info, name)


def test_category_modules_list_their_names():
    for category, name in CATEGORY_NAMES:
        module = importlib.import_module(f"routilux.builtin_routines.{category}")
        assert name in module.__all__ and name in dir(module)
        with pytest.raises(AttributeError):
            module.NotARoutine  # noqa: B018


def test_importing_core_does_not_import_the_std_package():
    # Names resolve lazily through the registry; importing core and the category modules loads no plugin.
    code = (
        "import sys, routilux, routilux.builtin_routines\n"
        "import routilux.builtin_routines.text_processing, routilux.builtin_routines.utils\n"
        "import routilux.builtin_routines.data_processing, routilux.builtin_routines.control_flow\n"
        "assert 'routilux_std_routines' not in sys.modules, 'core imported routilux_std_routines'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
