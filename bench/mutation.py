"""Mutation testing of the core (terminal/txn, terminal/store) with mutmut 3.8.1: one command prints the score.

    python -m bench.mutation                    # every mutant (hours on a shared 2-core machine)
    python -m bench.mutation 'terminal.txn.saf*' 'terminal.store.lifecycle*'   # bounded chunks, by name
    python -m bench.mutation --score            # only read the results mutmut keeps in mutants/

mutmut runs niced (it is CPU-heavy) against the fast in-process tests named in setup.cfg [mutmut]. The score
is killed / (killed + survived), over the mutants tested so far; mutants listed as equivalent in
docs/mutation.md are counted as neither, with their reason there. See docs/mutation.md.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "docs" / "mutation.md"
MUTMUT = [sys.executable, "-m", "mutmut"]


def equivalent_mutants() -> set[str]:
    """Mutant names listed in docs/mutation.md's table of equivalent mutants (first column, in backticks)."""
    if not EQUIVALENT.exists():
        return set()
    return set(re.findall(r"^\| `([\w.]+__mutmut_\d+)` \|", EQUIVALENT.read_text(), re.M))


def results() -> dict[str, str]:
    """mutant name -> status, as `mutmut results --all true` prints them."""
    out = subprocess.run(MUTMUT + ["results", "--all", "true"], cwd=ROOT, capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        name, sep, status = line.strip().partition(": ")
        if sep and "__mutmut_" in name:
            found[name] = status.strip()
    return found


def score(found: dict[str, str]) -> dict:
    equivalent = equivalent_mutants()
    killed = sum(s == "killed" for n, s in found.items() if n not in equivalent)
    survived = sorted(n for n, s in found.items() if s == "survived" and n not in equivalent)
    other = sum(s not in ("killed", "survived") for s in found.values())
    tested = killed + len(survived)
    return {"killed": killed, "survived": len(survived), "equivalent": len(equivalent & set(found)),
            "not tested or other": other, "score": round(100 * killed / tested, 1) if tested else None,
            "survivors": survived}


def main(argv: list[str]) -> int:
    if "--score" not in argv:
        subprocess.run(["nice", "-n", "19", *MUTMUT, "run", *argv], cwd=ROOT)
    s = score(results())
    print(json.dumps({k: v for k, v in s.items() if k != "survivors"}))
    for name in s["survivors"]:
        print("survived:", name)
    print(f"mutation score: {s['score']}% ({s['killed']} killed, {s['survived']} survived, "
          f"{s['equivalent']} equivalent)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
