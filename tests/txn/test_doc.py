"""docs/txn.md shows the sale core's table the code runs."""
from __future__ import annotations

from pathlib import Path

from terminal.txn.doc import generated_section, render_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "txn.md"


def test_the_doc_table_is_the_code_table():
    assert generated_section(DOC.read_text(encoding="utf-8")) == render_table(), (
        "docs/txn.md is stale: run python -m terminal.txn.doc docs/txn.md"
    )


def test_the_doc_names_every_phase():
    from terminal.txn.core import Phase
    text = DOC.read_text(encoding="utf-8")
    assert all(f"| {p.value} |" in text for p in Phase)
