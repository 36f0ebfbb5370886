"""What the trainee did: one JSON line per drill in DATA_DIR/training/drills.jsonl, read by `posterm training
report`. Appended and fsynced per drill (a trainer's record should survive a power cut like the books do);
the keys are the keypad's audit inputs, in which a PIN digit is only ever '*'."""
from __future__ import annotations

import json
import os
from pathlib import Path

LOG = "drills.jsonl"


def append(directory: Path, entry: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read(directory: Path) -> list[dict]:
    """Every drill recorded, oldest first; a torn last line (power cut mid-write) is left out."""
    path = directory / LOG
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out
