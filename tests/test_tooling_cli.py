"""The model tooling has one command line: every tool is a `helmetscan` command in the tooling panel, whose defaults
are those of the function it calls, and whose usage errors exit with code 2 before any work."""

import dataclasses
import inspect
import re

import pytest
import typer.main
from typer.testing import CliRunner

from helmetscan.cli import app, plate_tooling, tooling

runner = CliRunner()


def _pairs():
    """Each tooling command with the function (or options dataclass) it calls."""
    from helmetscan.tooling import (benchmark, docs, head_crops, head_eval, head_train, locator_crops, locator_train,
                                    plate_crops, plate_region_dataset, plate_sets, plate_tracks, plate_train, quantize)

    return [(tooling.bench_cmd, benchmark.run_benchmark), (tooling.docs_cmd, docs.write_docs),
            (tooling.quantize_cmd, quantize.quantize_detector), (tooling.head_crops_cmd, head_crops.build_head_crops),
            (tooling.train_heads_cmd, head_train.train_head_classifier),
            (tooling.evaluate_heads_cmd, head_eval.head_report),
            (tooling.locator_crops_cmd, locator_crops.build_locator_crops),
            (tooling.train_locator_cmd, locator_train.train_locator),
            (plate_tooling.plate_crops_cmd, plate_crops.cut_labelled_crops),
            (plate_tooling.plate_sets_cmd, plate_sets.export_sets),
            (plate_tooling.plate_tracks_cmd, plate_tracks.track_report),
            (plate_tooling.plate_region_dataset_cmd, plate_region_dataset.build),
            (plate_tooling.train_plates_cmd, plate_train.ReaderTraining)]


def _defaults(target):
    if dataclasses.is_dataclass(target):
        return {f.name: f.default for f in dataclasses.fields(target)}
    return {name: p.default for name, p in inspect.signature(target).parameters.items()}


def _same(value):
    """Defaults compared as values: an unset list option (None) is an empty sequence, lists are tuples."""
    if value is None or value is inspect.Parameter.empty:
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_every_tool_is_a_command_in_the_tooling_panel():
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    panel = result.stdout.split("Model tooling")[1]
    names = [name for name, _ in tooling.COMMANDS]
    assert {"bench", "docs", "quantize", "plate-crops", "plate-sets", "plate-tracks", "plate-region-dataset",
            "train-plates", "head-crops", "train-heads", "evaluate-heads", "evaluate-plates", "locator-crops",
            "train-locator"} <= set(names)
    assert len(set(names)) == len(names)
    for name in names:
        assert re.search(rf"│ {re.escape(name)} ", panel), name
    registered = typer.main.get_command(app).commands
    assert all(name in registered for name in names)


@pytest.mark.parametrize("name", [name for name, _ in tooling.COMMANDS])
def test_every_tooling_command_has_help(name):
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout


@pytest.mark.parametrize("command, target", _pairs(), ids=lambda x: getattr(x, "__name__", ""))
def test_a_commands_defaults_are_those_of_the_function_it_calls(command, target):
    own, theirs = _defaults(command), _defaults(target)
    common = own.keys() & theirs.keys()
    assert common, f"{command.__name__} shares no parameter name with {target.__name__}"
    for name in common:
        assert _same(own[name]) == _same(theirs[name]), (command.__name__, name)


def test_train_plates_help_names_every_recipe():
    from helmetscan.tooling.plate_render import TRAINING_RECIPES

    help_text = next(p.help for p in typer.main.get_command(app).commands["train-plates"].params if p.name == "recipe")
    assert all(name in help_text for name in TRAINING_RECIPES)


def test_the_crops_default_to_the_users_cache_not_a_machines_path():
    from helmetscan.tooling.plate_crops import DEFAULT_CROPS

    assert plate_tooling.CROPS == DEFAULT_CROPS and str(DEFAULT_CROPS).startswith("~/")


def test_options_that_do_not_go_together_are_usage_errors(tmp_path):
    result = runner.invoke(app, ["plate-sets", "--footage", str(tmp_path / "clip.mp4"), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--footage and --footage-text go together" in result.stderr
    assert not any(tmp_path.iterdir())  # nothing written
    result = runner.invoke(app, ["plate-tracks", "--tracks", "10", "--tracks", "20", "--frames", "5"])
    assert result.exit_code == 2 and "one per --frames value" in result.stderr
    result = runner.invoke(app, ["train-plates", "--run", str(tmp_path / "run"), "--rows", "--bands", "4"])
    assert result.exit_code == 2 and "--bands 2" in result.stderr
    assert not (tmp_path / "run").exists()


def test_a_failing_tool_exits_1_with_one_line(tmp_path):
    result = runner.invoke(app, ["plate-crops", str(tmp_path / "missing"), str(tmp_path / "crops")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: plate-crops: ") and "no <split>/images folders" in result.stderr


@pytest.mark.parametrize("args", [["locator-crops", "{tmp}/crops", "--hold-out", "nosuch"],
                                  ["head-crops", "{tmp}/crops", "--hold-out", "nosuch"],
                                  ["train-locator", "{tmp}/missing", "{tmp}/run"]])
def test_the_locator_tools_fail_with_one_line(tmp_path, args):
    """A source that is not in head_locator_sources.toml, or crops that were never cut: exit 1, one line naming it."""
    from conftest import DATASETS

    if "--hold-out" in args and not DATASETS.is_dir():
        pytest.skip("../shared is not beside the repository")
    result = runner.invoke(app, [a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {args[0]}: ") and len(result.stderr.strip().splitlines()) == 1
    assert ("nosuch" if "--hold-out" in args else "data.yaml") in result.stderr
