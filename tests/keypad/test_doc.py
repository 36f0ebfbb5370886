"""docs/keypad.md shows the table the code runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from terminal.keypad.doc import generated_section, render_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "keypad.md"


def test_the_doc_table_is_the_code_table():
    assert generated_section(DOC.read_text(encoding="utf-8")) == render_table(), (
        "docs/keypad.md is stale: run python -m terminal.keypad.doc docs/keypad.md"
    )


def test_every_state_and_action_appears_in_the_doc():
    text = DOC.read_text(encoding="utf-8")
    for needle in ("### cancel confirmation", "| ENTER | cancel_sale | idle |", "request_reversal"):
        assert needle in text


def test_a_doc_without_markers_is_a_clear_error():
    with pytest.raises(ValueError, match="marker .* not found"):
        generated_section("no markers here")
