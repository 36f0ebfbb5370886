"""The mutation score counts what no test reaches against it, and leaves out only listed equivalents."""
from bench import mutation


def test_no_tests_counts_against_the_score_and_timeouts_count_as_caught():
    found = {"m.x_f__mutmut_1": "killed", "m.x_f__mutmut_2": "timeout", "m.x_f__mutmut_3": "survived",
             "m.x_g__mutmut_1": "no tests", "m.x_g__mutmut_2": "not checked"}
    s = mutation.score(found, set())
    assert (s["caught"], s["survived"], s["no tests"], s["not run yet"]) == (2, 1, 1, 1)
    assert s["score"] == 50.0 and s["not caught"] == ["m.x_f__mutmut_3", "m.x_g__mutmut_1"]


def test_an_equivalent_mutant_is_neither_caught_nor_against():
    found = {"m.x_f__mutmut_1": "killed", "m.x_f__mutmut_3": "survived"}
    s = mutation.score(found, {"m.x_f__mutmut_3"})
    assert s["score"] == 100.0 and s["equivalent"] == 1 and s["not caught"] == []


def test_equivalents_are_read_from_every_list_with_their_reason(tmp_path, monkeypatch):
    a, b = tmp_path / "mutation.md", tmp_path / "store.md"
    a.write_text("| Mutant | Why |\n|---|---|\n| `terminal.txn.saf.x__drain__mutmut_7` | both falsy |\n")
    b.write_text("| `terminal.store.db.xǁDatabaseǁopen__mutmut_2` | the same mode string |\n"
                 "| `not_a_mutant` | ignored |\n")
    monkeypatch.setattr(mutation, "EQUIVALENT_LISTS", [a, b, tmp_path / "missing.md"])
    assert mutation.equivalent_mutants() == {"terminal.txn.saf.x__drain__mutmut_7": "both falsy",
                                             "terminal.store.db.xǁDatabaseǁopen__mutmut_2": "the same mode string"}
