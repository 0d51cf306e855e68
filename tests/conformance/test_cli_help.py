"""Every command and every option of the `conformance` CLI says what it is for (``--help``)."""

from __future__ import annotations

import argparse

from conformance.cli import _parser


def _parsers(parser: argparse.ArgumentParser, name: str = "conformance") -> list[tuple[str, argparse.ArgumentParser]]:
    out = [(name, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, p in action.choices.items():
                out += _parsers(p, f"{name} {sub}")
    return out


def test_every_option_and_argument_has_help() -> None:
    missing = [
        f"{name}: {action.dest}"
        for name, parser in _parsers(_parser())
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction | argparse._HelpAction) and not action.help
    ]
    assert missing == []


def test_every_command_has_help_and_the_exit_codes_are_documented() -> None:
    parser = _parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {c.dest: c.help for c in commands._choices_actions}
    assert set(helps) >= {"list", "show", "repro", "run", "diff", "summary", "merge", "coverage", "baseline"}
    assert all(helps.values()), helps
    assert "Exit status: 0" in parser.format_help()
