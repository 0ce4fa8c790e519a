"""JSON text read with a depth bound: a value nested deeper than any real document stays text.

Attribute values are any text a program supplied; one that merely looks like JSON (a chat
message of ``"[" * 3000``, or a document nested thousands deep) must not reach ``json.loads``,
whose recursion would raise ``RecursionError`` and take the whole page or command down.
:func:`loads` refuses such text with a ``ValueError``, the error every caller already handles
by showing the value as the string it is.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

__all__ = ["MAX_DEPTH", "TooDeep", "loads", "nesting_depth"]

MAX_DEPTH = 100
"""The deepest nesting read as JSON; deeper text is shown as text (real documents nest < 20)."""

# A JSON string literal (the unrolled-loop form: linear, no backtracking), and anything
# that is not a bracket, so only the brackets outside strings are left to count.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class TooDeep(ValueError):
    """The text nests deeper than the bound (a ``ValueError``: callers treat it as not JSON)."""


def nesting_depth(text: str) -> int:
    """How deep the brackets of ``text`` nest, outside its string literals."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` for text nested at most ``max_depth`` deep.

    Raises:
        ValueError: the text is not JSON, or nests deeper than ``max_depth`` (:class:`TooDeep`).
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    # Few brackets cannot nest deep: the exact count (a scan) only for text with many.
    if text.count("[") + text.count("{") > max_depth and nesting_depth(text) > max_depth:
        raise TooDeep(f"the JSON text nests deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except RecursionError:  # a deep stack already: the bound above keeps this out of reach
        raise TooDeep("the JSON text nests too deep to read here") from None
