"""`posterm fw bundle apply` is all or nothing across a SIGKILL at each step of the install (real processes)."""
from __future__ import annotations

import json
import signal

import pytest

STEPS = ("after_bundle_write", "before_state_rename", "after_state_rename")


@pytest.mark.parametrize("step", STEPS)
def test_sigkill_during_apply_leaves_the_old_or_the_new_bundle(posterm, tmp_path, step):
    (tmp_path / "p.toml").write_text('[limits]\nfloor_limit = 5000\n')
    assert posterm("fw", "bundle", "keygen", str(tmp_path / "tms")).code == 0
    for n in (1, 2):
        r = posterm("fw", "bundle", "build", str(tmp_path / "p.toml"), "--sign-key", str(tmp_path / "tms.key"),
                    "--version", str(n), "-o", str(tmp_path / f"b{n}"))
        assert r.code == 0, r.err
    pub = str(tmp_path / "tms.pub")
    assert posterm("fw", "bundle", "apply", str(tmp_path / "b1"), "--trust", pub).code == 0
    killed = posterm("fw", "bundle", "apply", str(tmp_path / "b2"), "--trust", pub,
                     env={"POSTERM_BUNDLE_CRASH": step})
    assert killed.code == -signal.SIGKILL
    state = json.loads((posterm.data_dir / "bundles" / "state.json").read_text())
    committed = step == "after_state_rename"
    assert state == ({"current": 2, "previous": 1} if committed else {"current": 1, "previous": None})
    again = posterm("fw", "bundle", "apply", str(tmp_path / "b2"), "--trust", pub)
    assert (again.code == 0) != committed   # not yet installed: installs now; installed: refused as a replay
    assert posterm("fw", "bundle", "rollback").code == 0
    assert json.loads((posterm.data_dir / "bundles" / "state.json").read_text())["current"] == 1
