"""Every command has help text and is documented in the README (the README is the user's manual)."""

from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from peelnlp.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
ROOT = get_command(app)


def commands():
    for name, cmd in ROOT.commands.items():
        if hasattr(cmd, "commands"):
            yield from ((f"{name} {sub}", subcmd) for sub, subcmd in cmd.commands.items())
        else:
            yield name, cmd


@pytest.mark.parametrize(("name", "cmd"), list(commands()), ids=lambda x: x if isinstance(x, str) else "")
def test_command_has_help_and_is_in_readme(name, cmd):
    assert cmd.help and len(cmd.help.strip()) > 20
    assert f"peelnlp {name}" in README
    result = CliRunner().invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_readme_test_command_is_what_ci_runs():
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    command = 'python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]" && .venv/bin/pytest'
    assert command in README and command in ci
