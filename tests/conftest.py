"""Shared fixtures live in tests/fixtures/<part>.py, one module per real part (pcscd, host, pty, ...);
every module there is loaded as a pytest plugin so no fixture is copied between test files."""
from __future__ import annotations

import pkgutil
from pathlib import Path

pytest_plugins = [
    f"tests.fixtures.{m.name}"
    for m in pkgutil.iter_modules([str(Path(__file__).parent / "fixtures")])
]
