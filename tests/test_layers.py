"""The import layers of DESIGN.md ("Imports go one way"), as the import-linter contracts in setup.cfg say them:
cli -> txn -> (emv, card, iso8583, link, store, keypad) -> drivers; drivers know no transaction; EMV knows no
socket. docs/decisions.md ("Layers, enforced") gives the reason for each allowed exception.

Runs `lint-imports` on the project's own config in a fresh interpreter (its import graph is built from the
source, not from what this test process happens to have imported) and fails with import-linter's report: every
broken contract and the chain of imports that breaks it, file and line."""
from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "setup.cfg"
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def test_import_contracts_are_kept():
    run = subprocess.run([sys.executable, "-c", LINT, "--no-cache", "--no-logo", str(CONFIG)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    report = run.stdout + run.stderr
    broken = report[report.find("Broken contracts"):] if "Broken contracts" in report else report
    assert run.returncode == 0, f"import-linter contracts broken (setup.cfg [importlinter:contract:*]):\n{broken}"


def test_the_design_contracts_are_configured():
    """Guard against a contract being dropped or renamed away: the three the design names are all there."""
    cfg = configparser.ConfigParser()
    cfg.read(CONFIG)
    contracts = {s.split(":", 2)[2]: cfg[s] for s in cfg.sections() if s.startswith("importlinter:contract:")}
    assert {"one-way", "drivers-know-no-transaction", "emv-sans-io"} <= contracts.keys()
    layers = [line.strip() for line in contracts["one-way"]["layers"].strip().splitlines()]
    assert layers[0] == "terminal.cli" and layers[-1] == "drivers"
    assert layers.index("terminal.cli") < [i for i, l in enumerate(layers) if "terminal.txn" in l][0] < \
        [i for i, l in enumerate(layers) if "terminal.emv" in l][0]
    forbidden = contracts["emv-sans-io"]["forbidden_modules"].split()
    assert {"socket", "ssl", "terminal.link"} <= set(forbidden)
