"""Fill empty translations in the apps' English catalogues from every other catalogue of the project.

A string translated once (say 名称 → Name) need not be translated again in another app's catalogue.
Only single-line entries are filled; the rest are left for a human. Usage (``make messages`` runs it):

    .venv/bin/python scripts/po_fill.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "creditvillage"
ENTRY = re.compile(r'^msgid "(.+)"\nmsgstr "(.*)"$', re.M)


def catalogues() -> list[Path]:
    return sorted(ROOT.glob("**/locale/en/LC_MESSAGES/django.po"))


def known() -> dict[str, str]:
    out: dict[str, str] = {}
    for po in catalogues():
        for msgid, msgstr in ENTRY.findall(po.read_text(encoding="utf-8")):
            if msgstr:
                out.setdefault(msgid, msgstr)
    return out


def main() -> int:
    translations = known()
    filled = 0
    for po in catalogues():
        text = po.read_text(encoding="utf-8")

        def fill(match: re.Match[str]) -> str:
            nonlocal filled
            msgid, msgstr = match.group(1), match.group(2)
            if msgstr or msgid not in translations:
                return match.group(0)
            filled += 1
            return f'msgid "{msgid}"\nmsgstr "{translations[msgid]}"'

        new = ENTRY.sub(fill, text)
        if new != text:
            po.write_text(new, encoding="utf-8")
    sys.stderr.write(f"po_fill: {filled} entries filled\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
