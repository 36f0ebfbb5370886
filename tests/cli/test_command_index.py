"""main.INDEX, which lets `posterm CMD` import only CMD's module and `posterm --help` import none, must say
exactly what the modules register; and a command line gets the same parse from the lazy parser as from the
whole one."""
from __future__ import annotations

import argparse
import importlib

import pytest

from terminal.cli import main as m


def registered() -> dict[str, tuple[str, str]]:
    parser = m.Parser(prog="posterm")
    sub = parser.add_subparsers(dest="command", parser_class=m.Parser)
    found: dict[str, tuple[str, str]] = {}
    for module in m.COMMANDS:
        before = set(sub.choices)
        importlib.import_module(module).register(sub)
        helps = {a.dest: a.help for a in sub._choices_actions}
        found.update({name: (module, helps[name]) for name in sub.choices if name not in before})
    return found


def test_index_names_every_command_its_module_and_help() -> None:
    actual = registered()
    missing = {k: v for k, v in actual.items() if m.INDEX.get(k) != v}
    assert not missing and set(m.INDEX) == set(actual), (
        f"terminal/cli/main.py INDEX is out of date; these entries should read: {missing}; "
        f"extra: {set(m.INDEX) - set(actual)}")


@pytest.mark.parametrize("argv, command", [
    (["sale", "1.00"], "sale"),
    (["--config", "sale", "txn", "list"], "txn"),        # a value of --config is never the command
    (["--json", "--lang", "zh-CN", "status"], "status"),
    (["--config=x.toml", "settle"], "settle"),
    (["--help"], None),
    ([], None),
])
def test_command_in_skips_common_options_and_their_values(argv, command) -> None:
    assert m.command_in(argv) == command


@pytest.mark.parametrize("argv", [
    ["sale", "1.00", "--reader", "emulated:visa", "--json"],
    ["--json", "txn", "list", "--last4", "0010"],
    ["saf", "flush"],
    ["--lang", "zh-CN", "settle"],
    ["fw", "capk", "list"],
])
def test_the_lazy_parser_reads_a_command_line_as_the_whole_one_does(argv) -> None:
    lazy, whole = m.build_parser(argv).parse_args(argv), m.build_parser().parse_args(argv)
    assert {k: v for k, v in vars(lazy).items() if k != "run"} == \
        {k: v for k, v in vars(whole).items() if k != "run"}
    assert lazy.run.__module__ == whole.run.__module__ and lazy.run.__name__ == whole.run.__name__


def test_top_level_help_lists_every_command_without_importing_them(capsys) -> None:
    import subprocess
    import sys
    code = ("import sys; from terminal.cli.main import build_parser; build_parser(['--help']).format_help(); "
            "print(sorted(n for n in sys.modules if n.startswith('terminal.cli.cmd_')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    text = m.build_parser(["--help"]).format_help()
    assert all(name in text for name in m.INDEX)


def test_an_unknown_command_is_refused_naming_the_choices() -> None:
    with pytest.raises(m.ArgumentError, match="invalid choice: 'sael'.*'sale'"):
        m.build_parser(["sael"]).parse_args(["sael"])
