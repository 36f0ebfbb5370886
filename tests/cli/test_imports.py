"""`posterm --help` must not load the hardware libraries (DESIGN.md: pyscard and pyserial are imported only
when a reader is opened), nor SQLite. Checked in a fresh interpreter, by what ends up in sys.modules."""
from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from terminal.cli.main import build_parser
build_parser().format_help()
print(sorted({m.split('.')[0] for m in sys.modules} & {'smartcard', 'serial', 'sqlite3', 'cryptography', 'iso8583'}))
"""


def test_help_loads_no_reader_library_and_no_sqlite():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
