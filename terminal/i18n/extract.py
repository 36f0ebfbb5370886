"""Every msgid in the source, found by reading it (ast), not by running it; and what the catalog lacks.

A msgid is the literal first argument of `_("...")` or `N_("...")` anywhere under terminal/ and firmware_tools/ (adjacent literals
are one constant to ast, so a message split over lines is found whole). `python -m terminal.i18n.extract`
prints the entries zh_CN.po is missing, as .po stubs to fill in and append; tests/i18n require there are none.
"""
from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKERS = {"_", "N_"}
SOURCE_PACKAGES = ("terminal", "firmware_tools")   # drivers import nothing of terminal, so no _()


@dataclass(frozen=True)
class Found:
    msgid: str
    path: str
    line: int


def msgids_in(source: str, path: str = "<source>") -> list[Found]:
    found = []
    for node in ast.walk(ast.parse(source, path)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append(Found(node.args[0].value, path, node.lineno))
    return sorted(found, key=lambda f: f.line)


def source_files(root: Path = ROOT) -> list[Path]:
    return sorted(p for package in SOURCE_PACKAGES for p in (root / package).rglob("*.py"))


def all_msgids(root: Path = ROOT) -> list[Found]:
    out: list[Found] = []
    for p in source_files(root):
        out += msgids_in(p.read_text(encoding="utf-8"), str(p.relative_to(root)))
    return out


def missing(lang: str = "zh-CN", root: Path = ROOT) -> list[Found]:
    """msgids with no translation in `lang`'s catalog, first place each is used."""
    from terminal.i18n.text import PO_DIR, parse_po
    catalog = parse_po((PO_DIR / f"{lang.replace('-', '_')}.po").read_text(encoding="utf-8"))
    seen: set[str] = set()
    out = []
    for f in all_msgids(root):
        if f.msgid not in catalog and f.msgid not in seen:
            seen.add(f.msgid)
            out.append(f)
    return out


def po_stub(f: Found) -> str:
    import json
    return f"#: {f.path}:{f.line}\nmsgid {json.dumps(f.msgid, ensure_ascii=False)}\nmsgstr \"\"\n"


if __name__ == "__main__":
    gaps = missing(sys.argv[1] if len(sys.argv) > 1 else "zh-CN")
    print("\n".join(po_stub(f) for f in gaps))
    sys.exit(1 if gaps else 0)
