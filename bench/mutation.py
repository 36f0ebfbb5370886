"""Mutation testing of the core (terminal/txn, terminal/store) with mutmut 3.8.1: one command prints the score.

    python -m bench.mutation                    # every mutant (about an hour on a quiet 2-core machine)
    python -m bench.mutation 'terminal.txn.saf*' 'terminal.store.lifecycle*'   # bounded chunks, by name
    python -m bench.mutation --rerun            # test again every survivor, and what has not run (after new tests)
    python -m bench.mutation --score            # only read the results mutmut keeps in mutants/
    python -m bench.mutation --check tests/mutation/test_x.py -- NAME...   # does this test kill these mutants?

mutmut runs niced (it is CPU-heavy) against the fast in-process tests named in setup.cfg [mutmut]. The score
is caught / (caught + not caught) over every mutant mutmut made: caught is killed or timed out (the tests did
not pass); not caught is survived, or reached by no test at all ("no tests": nothing guards that code, so it
counts against the score rather than being left out). Mutants listed as equivalent in docs/mutation.md or
docs/mutation/*.md, each with its reason, are counted as neither. See docs/mutation.md.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT_LISTS = [ROOT / "docs" / "mutation.md", *sorted((ROOT / "docs" / "mutation").glob("*.md"))]
MUTMUT = [sys.executable, "-m", "mutmut"]
CAUGHT = {"killed", "timeout", "segfault", "caught by type check"}
NOT_CAUGHT = {"survived", "no tests", "suspicious"}


def equivalent_mutants() -> dict[str, str]:
    """Mutant name -> reason, from the tables of equivalent mutants (first column in backticks, then the reason)."""
    found = {}
    for path in EQUIVALENT_LISTS:
        if path.exists():
            for name, reason in re.findall(r"^\| `([\w.ǁ]+__mutmut_\d+)` \| (.+?) \|\s*$", path.read_text(), re.M):
                found[name] = reason
    return found


def results() -> dict[str, str]:
    """mutant name -> status, as `mutmut results --all true` prints them."""
    out = subprocess.run(MUTMUT + ["results", "--all", "true"], cwd=ROOT, capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        name, sep, status = line.strip().partition(": ")
        if sep and "__mutmut_" in name:
            found[name] = status.strip()
    return found


def score(found: dict[str, str], equivalent: set[str]) -> dict:
    counted = {n: s for n, s in found.items() if n not in equivalent}
    caught = sum(s in CAUGHT for s in counted.values())
    not_caught = sorted(n for n, s in counted.items() if s in NOT_CAUGHT)
    untested = sorted(n for n, s in counted.items() if s not in CAUGHT | NOT_CAUGHT)
    judged = caught + len(not_caught)
    return {"caught": caught, "survived": sum(counted[n] == "survived" for n in not_caught),
            "no tests": sum(counted[n] == "no tests" for n in not_caught), "equivalent": len(equivalent & set(found)),
            "not run yet": len(untested), "score": round(100 * caught / judged, 1) if judged else None,
            "not caught": not_caught, "not run": untested}


def check(tests: list[str], names: list[str]) -> int:
    """Run `tests` once per named mutant (MUTANT_UNDER_TEST picks it inside mutants/): which of them do they kill?

    Quicker than a mutmut run when writing a test for a survivor: no stats pass, only the given tests. The
    mutated sources come from the last `mutmut run` (mutants/); this checkout's tests/ is copied over them."""
    mutants = ROOT / "mutants"
    if not (mutants / "terminal").is_dir():
        print("no mutants/ here: run `python -m bench.mutation` (or a chunk of it) first", file=sys.stderr)
        return 2
    shutil.rmtree(mutants / "tests", ignore_errors=True)
    shutil.copytree(ROOT / "tests", mutants / "tests")

    def passes(name: str) -> int:
        env = {**os.environ, "MUTANT_UNDER_TEST": name, "PYTHONPATH": str(mutants)}
        return subprocess.run(["nice", "-n", "10", sys.executable, "-m", "pytest", "-q", "-x", "-p",
                               "no:cacheprovider", *tests], cwd=mutants, env=env, capture_output=True).returncode

    if passes("") != 0:
        print("the tests fail with no mutant applied: fix them first", file=sys.stderr)
        return 1
    survivors = 0
    for name in names:
        rc = passes(name)
        survivors += rc == 0
        print({0: "SURVIVED", 1: "killed"}.get(rc, f"error (pytest exit {rc})"), name)
    return 1 if survivors else 0


def main(argv: list[str]) -> int:
    if "--check" in argv:
        rest = argv[argv.index("--check") + 1:]
        if "--" not in rest:
            print("usage: python -m bench.mutation --check TESTS... -- MUTANT...", file=sys.stderr)
            return 2
        cut = rest.index("--")
        return check(rest[:cut], rest[cut + 1:])
    equivalent = equivalent_mutants()
    if "--rerun" in argv:
        before = score(results(), set(equivalent))
        again = before["not caught"] + before["not run"]   # explicit names: mutmut keeps every earlier verdict
        if again:
            subprocess.run(["nice", "-n", "19", *MUTMUT, "run", *[a for a in argv if a != "--rerun"], *again],
                           cwd=ROOT)
    elif "--score" not in argv:
        subprocess.run(["nice", "-n", "19", *MUTMUT, "run", *argv], cwd=ROOT)
    s = score(results(), set(equivalent))
    print(json.dumps({k: v for k, v in s.items() if k not in ("not caught", "not run")}))
    for name in s["not caught"]:
        print("not caught:", name)
    print(f"mutation score: {s['score']}% ({s['caught']} caught; {s['survived']} survived and {s['no tests']} "
          f"reached by no test, both counted against; {s['equivalent']} equivalent, left out)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
