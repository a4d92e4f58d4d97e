"""Word-level prompt diffs (what a person reads to see what the reviser changed)."""

from __future__ import annotations

import difflib
import re

from worlddirector.artifacts.revision import DiffOp

_TOKEN = re.compile(r"\s+|[\w'-]+|[^\w\s]")


def word_diff(old: str, new: str) -> list[DiffOp]:
    """Diff two prompts word by word; whitespace is kept so joining the ops rebuilds either side."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    ops: list[DiffOp] = []

    def push(op: str, text: str) -> None:
        if not text:
            return
        if ops and ops[-1].op == op:
            ops[-1] = DiffOp(op=op, text=ops[-1].text + text)
        else:
            ops.append(DiffOp(op=op, text=text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            push("equal", "".join(a[i1:i2]))
        else:
            push("delete", "".join(a[i1:i2]))
            push("insert", "".join(b[j1:j2]))
    return ops


def apply_side(ops: list[DiffOp], side: str) -> str:
    """Rebuild the old (``side='old'``) or new prompt from a diff."""
    skip = "insert" if side == "old" else "delete"
    return "".join(o.text for o in ops if o.op != skip)
