"""Shared fixtures live in tests/fixtures/<part>.py, one module per real part (pcscd, host, pty, ...);
every module there is loaded as a pytest plugin so no fixture is copied between test files.

Hypothesis: the default profile is derandomized (the same examples on every run, so CI is never red by
luck) and has no deadline (timing belongs in bench/, and CI machines are shared). Developers hunting new
counter-examples run `HYPOTHESIS_PROFILE=explore python -m pytest tests/properties`: random, 10x examples.
A counter-example found that way becomes a plain regression test next to the code it broke.
"""
from __future__ import annotations

import os
import pkgutil
from pathlib import Path

from hypothesis import settings

settings.register_profile("default", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", derandomize=False, deadline=None, print_blob=True,
                          max_examples=settings.default.max_examples * 10)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The suite's expected texts are English unless a test asks for a language (--lang, LANG in its env): a
# developer whose shell runs in zh_CN must see the same results as CI. The locale's encoding stays UTF-8.
for _name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_name, None)
os.environ["LANG"] = "C.UTF-8"

pytest_plugins = [
    f"tests.fixtures.{m.name}"
    for m in pkgutil.iter_modules([str(Path(__file__).parent / "fixtures")])
]
