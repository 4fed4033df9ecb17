"""The ``apiary`` parser itself: every command and every argument has help,
and every command has its row in the one exit-code table (``--help``'s
epilog and the README's copy of it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from apiary.cli import _parser
from apiary.cli._exits import COMMAND_EXIT_CODES, exit_codes_text

README = Path(__file__).parents[3] / "README.md"


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return commands


def test_every_command_and_every_argument_has_help():
    parser = _parser()
    commands = _subparsers(parser)
    missing = [f"apiary {a.option_strings or a.dest}" for a in parser._actions if not (a.help or "").strip()]
    helps = {choice.dest: choice.help for choice in commands._choices_actions}
    for name, sub in commands.choices.items():
        if not (helps.get(name) or "").strip():
            missing.append(f"apiary {name} (the command)")
        missing += [
            f"apiary {name} {'/'.join(a.option_strings) or a.dest}" for a in sub._actions if not (a.help or "").strip()
        ]
    assert missing == []
    assert len(commands.choices) >= 9


def test_every_command_has_its_exit_codes():
    commands = set(_subparsers(_parser()).choices)
    assert set(COMMAND_EXIT_CODES) == commands
    text = exit_codes_text()
    for command in commands:
        assert any(line.split()[:1] == [command] for line in text.splitlines()), command


def test_call_and_account_codes_come_from_the_outcome_table():
    from apiary._faces.outcomes import EXIT_MEANINGS, EXIT_USAGE

    expected = {code: meaning for code, meaning in EXIT_MEANINGS.items() if code != EXIT_USAGE}
    assert COMMAND_EXIT_CODES["call"] == expected
    assert COMMAND_EXIT_CODES["account"] == expected


def test_the_readme_holds_the_table_as_rendered():
    assert exit_codes_text() in README.read_text(encoding="utf-8"), (
        "README.md's exit-code table differs from apiary.cli._exits.exit_codes_text(): paste its output"
    )
