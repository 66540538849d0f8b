"""Every public function of the user-facing modules shows an example, and the examples run.

pyomeca's rule: a public function without an ``Examples`` section fails this test. The examples
themselves are executed as doctests by the default suite (``--doctest-modules`` over
``src/lbprun`` in pyproject.toml), so an example that stops being true fails too.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODULES = [
    "lbprun.stats",
    "lbprun.cohort",
    "lbprun.figures",
    "lbprun.tables",
    "lbprun.registry",
    "lbprun.trial",
    "lbprun.c3d",  # every module of the package (header, worker, poses... not only the loader)
]
PENDING: list[str] = []  # modules whose examples are still being written (xfail)
# packages held to the rule in some of their modules only: name -> module names
LOADER_ONLY: dict[str, tuple[str, ...]] = {}


def _modules(name: str) -> list:
    """The module, and its submodules when it is a package (only the loader's for c3d)."""
    module = importlib.import_module(name)
    found = [module]
    if hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, f"{name}."):
            if name in LOADER_ONLY and info.name.rsplit(".", 1)[-1] not in LOADER_ONLY[name]:
                continue
            found.append(importlib.import_module(info.name))
    return found


def _without_example(name: str) -> list[str]:
    missing = []
    for module in _modules(name):
        for attr, obj in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(obj):
                continue
            if obj.__module__ != module.__name__:  # imported from elsewhere
                continue
            doc = inspect.getdoc(obj) or ""
            if "Examples\n--------" not in doc or ">>>" not in doc:
                missing.append(f"{module.__name__}.{attr}")
    return missing


@pytest.mark.parametrize(
    "name",
    [
        *MODULES,
        *(
            pytest.param(n, marks=pytest.mark.xfail(strict=False, reason="examples pending"))
            for n in PENDING
        ),
    ],
)
def test_every_public_function_has_an_example(name):
    missing = _without_example(name)
    assert not missing, f"public functions without an Examples section: {', '.join(missing)}"


def test_the_rule_sees_a_function_without_example(monkeypatch):
    module = importlib.import_module("lbprun.registry")

    def undocumented():
        """Do something, with no example."""

    undocumented.__module__ = module.__name__
    monkeypatch.setattr(module, "undocumented", undocumented, raising=False)
    assert _without_example("lbprun.registry") == ["lbprun.registry.undocumented"]


def test_the_default_suite_runs_the_examples():
    # (tomllib is Python 3.11+; the two lines are read as text)
    lines = (REPO / "pyproject.toml").read_text().splitlines()
    addopts = next(line for line in lines if line.startswith("addopts"))
    testpaths = next(line for line in lines if line.startswith("testpaths"))
    assert "--doctest-modules" in addopts and '"src/lbprun"' in testpaths
