"""Member-written text made fit for one line (a header, a chat message's title). Pure."""

from __future__ import annotations

import re

# What must never reach a header or a one-line field: C0 and C1 controls (CR, LF, NEL among
# them), the Unicode line and paragraph separators, bidirectional overrides (which can make a
# name read backwards) and lone surrogates (which cannot be encoded).
_NOT_ONE_LINE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def one_line(text: str) -> str:
    """`text` fit for a header or a one-line field: no control or line-breaking characters,
    runs of white space as one space, none at either end."""
    return " ".join(_NOT_ONE_LINE.sub(" ", text).split())
