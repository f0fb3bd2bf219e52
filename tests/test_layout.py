"""The package layout is the architecture: runtime code never reaches into the model tooling, and the pipeline
stages never reach into results or the runner."""

import ast
import subprocess
import sys

import pytest

from conftest import ROOT

PACKAGE = ROOT / "helmetscan"


def imported_modules(path):
    """Every ``helmetscan.*`` module a source file imports, at any depth (also inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helmetscan"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("helmetscan"))
    return found


def files_of(*folders):
    return sorted(p for folder in folders for p in (PACKAGE / folder).glob("*.py"))


RUNTIME = files_of("pipeline", "models", "results", "runner") + [
    PACKAGE / name for name in ("config.py", "errors.py", "geometry.py", "fielddoc.py", "readme.py", "__init__.py")
]


@pytest.mark.parametrize("path", RUNTIME, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_runtime_module_imports_the_model_tooling(path):
    assert not {m for m in imported_modules(path) if m.startswith("helmetscan.modelling")}


@pytest.mark.parametrize("path", files_of("pipeline", "models"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_stages_and_models_do_not_import_results_or_the_runner(path):
    bad = {m for m in imported_modules(path) if m.startswith(("helmetscan.results", "helmetscan.runner"))}
    assert not bad


def test_the_cli_imports_the_model_tooling_only_inside_its_commands():
    tree = ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8"))
    top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not [n for n in top_level if isinstance(n, ast.ImportFrom) and "modelling" in (n.module or "")]


def test_analyze_loads_no_model_tooling_module():
    code = ("import sys; import helmetscan.cli, helmetscan.runner.batch, helmetscan.models.loader; "
            "print(sorted(m for m in sys.modules if m.startswith('helmetscan.modelling')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
