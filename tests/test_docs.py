"""The README documents every command and option (in the style of sqlite-utils' tests/test_docs.py), and its
generated settings and record tables match the models."""

import re

import pytest
import typer.main

from conftest import ROOT
from helmetscan.cli import app
from helmetscan.tooling.docs import update

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = typer.main.get_command(app).commands


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_readme(command):
    assert re.search(rf"helmetscan {re.escape(command)}\b", README), f"`helmetscan {command}` is not in the README"


@pytest.mark.parametrize(
    ("command", "option"),
    sorted((name, opt) for name, cmd in COMMANDS.items() for param in cmd.params for opt in param.opts
           if opt.startswith("--")),
)
def test_every_option_is_in_the_readme(command, option):
    assert option in README, f"`helmetscan {command} {option}` is not in the README"


def test_every_option_shows_a_default_in_help():
    """Options that fall back to a setting show that setting's default (rich would swallow a `[default: x]` typed
    into the help text, so defaults are given to click, which prints them itself)."""
    for name, cmd in COMMANDS.items():
        for param in cmd.params:
            if param.param_type_name != "option" or param.is_flag or param.required or param.multiple:
                continue
            shows = param.show_default not in (None, False) or param.default is not None
            assert shows, f"`helmetscan {name} {param.opts[0]}` has no default in --help"


def test_generated_tables_are_up_to_date():
    assert update(README) == README, "README's generated tables are stale: run `make docs`"
    assert "| `plates.upscale_height_px` | `64` | px |" in README
    assert "| `plate.status` | 'read' \\| 'unvalidated' \\| 'unread' |" in README


def test_the_docs_command_rewrites_stale_sections_only(tmp_path):
    from typer.testing import CliRunner

    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- BEGIN generated: csv_columns -->\nstale\n<!-- END generated: csv_columns -->\nend\n",
                      encoding="utf-8")
    result = CliRunner().invoke(app, ["docs", str(readme)])
    assert result.exit_code == 0 and "rewritten" in result.stderr
    text = readme.read_text(encoding="utf-8")
    assert "stale" not in text and "| `plate_text` |" in text and text.startswith("intro\n") and text.endswith("end\n")
    result = CliRunner().invoke(app, ["docs", str(readme)])
    assert result.exit_code == 0 and "already up to date" in result.stderr
    assert readme.read_text(encoding="utf-8") == text
