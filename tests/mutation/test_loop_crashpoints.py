"""The crash plan a real `posterm` process reads from its environment (terminal/txn/crashpoints.py):
POSTERM_CRASH_AT=<point> SIGKILLs the process at that point and nowhere else, POSTERM_PAUSE_AT=<point>:<path>
stops it there until `<path>.go` exists, and a malformed plan is refused naming what was wrong.

The SIGKILL is real: each plan runs in a forked copy of this process (os.fork, no exec, so the code under test
is the very code of this process), and the parent reads how the copy ended."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from terminal.txn import crashpoints
from terminal.txn.crashpoints import POINTS, CrashPoints, from_env

SURVIVED = 7


def ending_of(reach) -> str:
    """Run `reach()` in a forked copy of this process: 'SIGKILL' when it was killed, 'survived' when it ran on."""
    pid = os.fork()
    if pid == 0:
        try:
            reach()
        finally:
            os._exit(SURVIVED)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name
    return "survived" if os.WEXITSTATUS(status) == SURVIVED else f"exit {os.WEXITSTATUS(status)}"


@pytest.fixture
def env(monkeypatch):
    monkeypatch.delenv("POSTERM_CRASH_AT", raising=False)
    monkeypatch.delenv("POSTERM_PAUSE_AT", raising=False)
    return monkeypatch


def test_no_plan_does_nothing_at_any_point(env):
    plan = from_env()
    assert ending_of(lambda: [plan.reached(p) for p in POINTS]) == "survived"


def test_crash_at_kills_the_process_at_that_point_only(env):
    env.setenv("POSTERM_CRASH_AT", "after_send")
    env.setenv("POSTERM_PAUSE_AT", "after_send:/nonexistent/p")      # the crash plan wins
    plan = from_env()
    others = [p for p in POINTS if p != "after_send"]
    assert ending_of(lambda: [plan.reached(p) for p in others]) == "survived"
    assert ending_of(lambda: plan.reached("after_send")) == "SIGKILL"


def test_an_unknown_crash_point_is_refused_naming_it_and_the_known_ones(env):
    env.setenv("POSTERM_CRASH_AT", "after_lunch")
    with pytest.raises(ValueError) as e:
        from_env()
    assert str(e.value) == ("POSTERM_CRASH_AT='after_lunch': expected one of " + ", ".join(POINTS))


@pytest.mark.parametrize("plan", ["after_lunch:/tmp/p", "after_send", "after_send:", ":/tmp/p"])
def test_a_malformed_pause_plan_is_refused_naming_it(env, plan):
    env.setenv("POSTERM_PAUSE_AT", plan)
    with pytest.raises(ValueError) as e:
        from_env()
    assert str(e.value) == (f"POSTERM_PAUSE_AT={plan!r}: expected POINT:PATH, POINT one of " + ", ".join(POINTS))


def reach_in_thread(plan: CrashPoints, point: str) -> threading.Thread:
    t = threading.Thread(target=plan.reached, args=(point,), daemon=True)
    t.start()
    return t


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 10.0
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.001)


def test_pause_at_stops_at_its_point_until_go_exists(env, tmp_path):
    base = tmp_path / "pause"
    env.setenv("POSTERM_PAUSE_AT", f"saf_after_send:{base}")
    plan = from_env()
    plan.reached("saf_after_attempt")                       # another point: passes at once, tells nothing
    assert not Path(f"{base}.reached").exists()
    paused = reach_in_thread(plan, "saf_after_send")
    wait_for(Path(f"{base}.reached"))
    time.sleep(0.05)
    still_waiting = paused.is_alive()
    Path(f"{base}.go").touch()
    paused.join(10.0)
    assert still_waiting and not paused.is_alive()


def test_the_pause_path_may_itself_hold_a_colon(env, tmp_path):
    base = tmp_path / "a:b"
    env.setenv("POSTERM_PAUSE_AT", f"after_response:{base}")
    Path(f"{base}.go").touch()                              # released before it got there: passes at once
    from_env().reached("after_response")
    assert Path(f"{base}.reached").exists()


def test_a_pause_nobody_releases_ends_at_its_limit(env, tmp_path, monkeypatch):
    monkeypatch.setattr(crashpoints, "PAUSE_LIMIT_S", 0.05)
    base = tmp_path / "pause"
    env.setenv("POSTERM_PAUSE_AT", f"after_write_ahead:{base}")
    paused = reach_in_thread(from_env(), "after_write_ahead")
    paused.join(10.0)
    assert not paused.is_alive()
    assert Path(f"{base}.reached").exists() and not Path(f"{base}.go").exists()


def test_a_plan_of_its_own_hears_every_point_and_the_default_none(env):
    heard: list[str] = []
    CrashPoints(heard.append).reached("after_response")
    CrashPoints().reached("after_response")
    crashpoints.NONE.reached("after_response")
    assert heard == ["after_response"]
