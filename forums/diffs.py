"""A readable difference between two texts of the minutes, line by line and word by word.

Built as plain data (lines of segments) rather than HTML: the template writes each
segment with auto-escaping, so nothing in either text can inject markup.
"""

import difflib
import re
from dataclasses import dataclass, field

CONTEXT_LINES = 2
WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    kind: str  # "same", "added" or "removed"
    text: str


@dataclass
class DiffLine:
    kind: str  # "same", "added", "removed", "changed" or "skipped"
    old_number: int | None = None
    new_number: int | None = None
    segments: list[Segment] = field(default_factory=list)
    skipped: int = 0  # for "skipped": how many unchanged lines are not shown


def _word_diff(old: str, new: str) -> list[Segment]:
    old_words, new_words = WORDS.findall(old), WORDS.findall(new)
    segments: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(Segment("same", "".join(old_words[i1:i2])))
            continue
        if tag in ("replace", "delete"):
            segments.append(Segment("removed", "".join(old_words[i1:i2])))
        if tag in ("replace", "insert"):
            segments.append(Segment("added", "".join(new_words[j1:j2])))
    return segments


def _similar(old: str, new: str) -> bool:
    # A line rewritten beyond recognition reads better as removed + added than word by word.
    return difflib.SequenceMatcher(None, old, new, autojunk=False).ratio() >= 0.5


def diff_texts(old_text: str, new_text: str, *, context: int = CONTEXT_LINES) -> list[DiffLine]:
    """The lines of `new_text` against `old_text`, unchanged runs cut to `context` lines around changes."""
    old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                text = old_lines[i1 + offset]
                lines.append(DiffLine("same", i1 + offset + 1, j1 + offset + 1, [Segment("same", text)]))
            continue
        old_block, new_block = old_lines[i1:i2], new_lines[j1:j2]
        paired = min(len(old_block), len(new_block)) if tag == "replace" else 0
        for offset in range(paired):
            old_line, new_line = old_block[offset], new_block[offset]
            if _similar(old_line, new_line):
                lines.append(DiffLine("changed", i1 + offset + 1, j1 + offset + 1, _word_diff(old_line, new_line)))
            else:
                lines.append(DiffLine("removed", i1 + offset + 1, None, [Segment("removed", old_line)]))
                lines.append(DiffLine("added", None, j1 + offset + 1, [Segment("added", new_line)]))
        for offset in range(paired, len(old_block)):
            lines.append(DiffLine("removed", i1 + offset + 1, None, [Segment("removed", old_block[offset])]))
        for offset in range(paired, len(new_block)):
            lines.append(DiffLine("added", None, j1 + offset + 1, [Segment("added", new_block[offset])]))
    return _trim_unchanged(lines, context)


def _trim_unchanged(lines: list[DiffLine], context: int) -> list[DiffLine]:
    changed = [index for index, line in enumerate(lines) if line.kind != "same"]
    if not changed:
        return lines
    keep = set()
    for index in changed:
        keep.update(range(max(0, index - context), min(len(lines), index + context + 1)))
    trimmed: list[DiffLine] = []
    run = 0
    for index, line in enumerate(lines):
        if index in keep:
            if run:
                trimmed.append(DiffLine("skipped", skipped=run))
                run = 0
            trimmed.append(line)
        else:
            run += 1
    if run:
        trimmed.append(DiffLine("skipped", skipped=run))
    return trimmed


def has_changes(lines: list[DiffLine]) -> bool:
    return any(line.kind not in ("same", "skipped") for line in lines)
