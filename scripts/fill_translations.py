"""Fills msgstr entries of a .po file from a Python dict of {msgid: Japanese}, clearing fuzzy flags.

Usage: python scripts/fill_translations.py locale/ja/LC_MESSAGES/django.po translations.py
(the second file defines a dict named T). Entries not in T are left as they are.
"""

import re
import sys


def po_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def po_unquote(lines: list[str]) -> str:
    return "".join(re.findall(r'"(.*)"', "\n".join(lines))).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")


def fill(po_path: str, translations: dict[str, str]) -> int:
    blocks = open(po_path, encoding="utf-8").read().split("\n\n")
    filled = 0
    for index, block in enumerate(blocks):
        lines = block.split("\n")
        id_start = next((i for i, line in enumerate(lines) if line.startswith("msgid ")), None)
        if id_start is None:
            continue
        id_end = next(i for i, line in enumerate(lines) if line.startswith(("msgstr", "msgid_plural")))
        msgid = po_unquote(lines[id_start:id_end])
        if not msgid or msgid not in translations:
            continue
        kept = [line for line in lines[:id_start] if not line.startswith("#|")]
        kept = [re.sub(r",\s*fuzzy", "", line) if line.startswith("#,") else line for line in kept]
        kept = [line for line in kept if line.strip() not in ("#,", "#")]
        plural_start = id_end if lines[id_end].startswith("msgid_plural") else None
        plural = []
        if plural_start is not None:
            plural_end = next(i for i, line in enumerate(lines) if line.startswith("msgstr"))
            plural = lines[plural_start:plural_end]
        body = lines[id_start:id_end] + plural
        body.append(("msgstr[0] " if plural else "msgstr ") + po_quote(translations[msgid]))
        blocks[index] = "\n".join(kept + body)
        filled += 1
    open(po_path, "w", encoding="utf-8").write("\n\n".join(blocks))
    return filled


if __name__ == "__main__":
    namespace: dict = {}
    exec(open(sys.argv[2], encoding="utf-8").read(), namespace)
    print(fill(sys.argv[1], namespace["T"]), "entries filled")
