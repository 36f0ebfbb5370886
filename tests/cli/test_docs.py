"""The docs in the repository cover the command and the configuration as the code has them."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _options() -> set[str]:
    from terminal.cli.main import build_parser
    found: set[str] = set()

    def walk(p: argparse.ArgumentParser) -> None:
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for sub in a.choices.values():
                    walk(sub)
            else:
                found.update(a.option_strings)
    walk(build_parser())
    return found


def _config_keys() -> set[str]:
    from terminal.config import KEYPAD_KEYS, SCHEMA
    keys = {f"[{t}] {k}" for t, (_cls, checks) in SCHEMA.items() for k in checks}
    return keys | {f"[keypad] {k}" for k in KEYPAD_KEYS}


def test_every_cli_option_is_in_docs_cli_md():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = sorted(o for o in _options() if not re.search(rf"`{re.escape(o)}[ `=\\|]", text))
    assert missing == [], f"options missing from docs/cli.md: {missing}"


def test_every_config_key_is_in_docs_config_md_and_the_sample():
    from terminal.cli.cmd_config import SAMPLE
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    tables = re.split(r"^### `\[(\w+)\]`", text, flags=re.M)
    documented = {f"[{tables[i]}] {k}" for i in range(1, len(tables), 2)
                  for k in re.findall(r"^\| `(\w+)` \|", tables[i + 1], flags=re.M)}
    missing = sorted(_config_keys() - documented)
    assert missing == [], f"keys missing from docs/config.md: {missing}"
    absent = sorted(k for k in _config_keys() if f"{k.split()[1]} =" not in SAMPLE)
    assert absent == [], f"keys missing from the `config init` sample: {absent}"


def test_readme_is_self_contained_and_starts_with_the_two_set_up_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = text.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split()[:2] for line in first_block] == [["make", "demo"], ["make", "test"]]
    for target in re.findall(r"\]\(([^)]+)\)", text):
        assert not target.startswith(("http:", "https:", "/", "..")), target
        assert (ROOT / target.split("#")[0]).exists(), target
    assert "../shared" not in text
    for doc in ("docs/cli.md", "docs/config.md", "docs/host-interface.md", "docs/deploy.md"):
        assert doc in text and (ROOT / doc).is_file()


def test_deploy_covers_the_real_set_ups():
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for needle in ("pcscd", "udev", "serial:", "tls_ca_file", "tls_cert_file", "Restart=always", "posterm run",
                   "KCV", "persistent"):
        assert needle in text, needle
