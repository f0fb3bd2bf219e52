"""The package layout is the architecture: packages form layers, and a module imports only from its own layer and the
layers below it. Imports inside functions count like any other (a deferred import is still a dependency), so no cycle
can hide in one."""

import ast
import subprocess
import sys

import pytest

from conftest import ROOT

PACKAGE = ROOT / "helmetscan"

#: The layers, bottom first. A module may import from its own layer and any layer before it, never from one after it.
LAYERS = (
    "core",  # errors, geometry, detections, status vocabularies, plate formats, documented fields
    "weights",  # where weight files are, their hashes, install-time fetch and conversion
    "config",  # the settings
    "inference",  # model adapters behind the Detector Protocol
    "plates",  # plate region, crop, read, recognisers, fuse, stage, photos
    "pipeline",  # the analysis of one video, and the loading of a run's models
    "results",  # records, evidence, database, reports
    "runner",  # the batch: discovery, dashcam names, GPS, executors
    "review",  # the review page
    "tooling",  # datasets, training, evaluation, benchmark
    "cli",  # the command line
)


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module):
    """The layer index of a ``helmetscan...`` module name; the package root (``helmetscan``: its version) is core."""
    parts = module.split(".")
    if len(parts) == 1:
        return 0
    top = parts[1]
    if top == "__main__":
        return LAYERS.index("cli")
    return LAYERS.index(top)


def imported_modules(path):
    """Every ``helmetscan`` module a source file imports, at any depth (also inside functions), resolved to the module
    (``from helmetscan.core import errors`` is ``helmetscan.core.errors``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helmetscan"):
            assert node.level == 0, f"{path}: relative import"
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if _is_module(candidate) else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("helmetscan"))
    return found


def _is_module(name):
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


SOURCES = sorted(PACKAGE.rglob("*.py"))
GRAPH = {module_name(p): imported_modules(p) for p in SOURCES}


def test_every_folder_of_the_package_is_a_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == set(LAYERS)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_its_own_layer_and_those_below(path):
    own = layer_of(module_name(path))
    above = {m for m in imported_modules(path) if layer_of(m) > own}
    assert not above, f"{LAYERS[own]} imports from a higher layer: {sorted(above)}"


def test_no_import_cycle_between_modules():
    """Within a layer too: a depth-first search over every module's imports (function-level ones included)."""
    state, stack = {}, []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if target == module or target not in GRAPH:
                continue
            if state.get(target) == "open":
                cycle = stack[stack.index(target):] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_the_records_import_only_the_bottom_layer():
    """The persisted schema is read by `report`, `verify` and `review`, which run no stage."""
    assert {layer_of(m) for m in GRAPH["helmetscan.results.records"]} <= {0}


@pytest.mark.parametrize("entry, forbidden", [
    ("helmetscan.cli, helmetscan.runner.batch, helmetscan.pipeline.loading", ("helmetscan.tooling",)),
    ("helmetscan.results.report, helmetscan.results.verify, helmetscan.review.app",
     ("helmetscan.tooling", "helmetscan.pipeline", "helmetscan.plates", "helmetscan.inference")),
])
def test_what_a_command_loads(entry, forbidden):
    """`analyze` loads no model tooling; `report`, `verify` and `review` load no stage and no model."""
    code = (f"import sys; import {entry}; "
            f"print(sorted(m for m in sys.modules if m.startswith({forbidden!r})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_no_development_history_or_machine_paths_in_the_package():
    """Settings, help and docstrings speak to users: no development round, no path of a developer's machine."""
    import re

    history = re.compile(r"\bsessions? ?\d|\bsession\d|\brows\d\b|/work/|/root/|/home/\w")
    texts = sorted(p for pattern in ("*.py", "*.toml", "*.j2") for p in PACKAGE.rglob(pattern))
    found = [f"{p.relative_to(PACKAGE)}:{n}" for p in texts
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if history.search(line.lower())]
    assert not found, found
