"""Message text as sanitized HTML: Markdown (code blocks, lists, tables) rendered on the server.

A message is whatever a program or a model wrote, so it is hostile until shown otherwise.
markdown-it-py renders CommonMark plus tables with raw HTML turned off: a ``<script>`` or an
``<img onerror=...>`` in a message comes out as escaped text. Links keep only ``http``,
``https`` and ``mailto`` targets (``javascript:`` and the rest stay text) and open with
``rel="noopener noreferrer nofollow"``. An image is shown only when it is a ``data:image/...``
URL (the page's CSP allows ``img-src 'self' data:``); an http(s) image becomes a plain link,
so opening a session never makes the browser fetch from a third party.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

__all__ = ["LONG_VALUE_CHARS", "is_image_data_url", "is_long", "render_markdown"]

LONG_VALUE_CHARS = 1500
"""Values longer than this (or than :data:`_LONG_LINES` lines) start collapsed, with "show all"."""

_LONG_LINES = 24
_SAFE_LINK = re.compile(r"^(https?:|mailto:)", re.IGNORECASE)
_IMAGE_DATA_URL = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,[A-Za-z0-9+/=\s]+$", re.IGNORECASE)
_RENDER_CHARS = 200_000
"""Longer texts are shown as plain text: Markdown over megabytes of text is slow and unreadable."""


def is_image_data_url(url: str) -> bool:
    """True for a complete ``data:image/...;base64`` URL of a raster image (SVG excluded)."""
    return bool(_IMAGE_DATA_URL.match(url))


def is_long(value: Any) -> bool:
    """True when a shown value is long enough to start collapsed."""
    text = value if isinstance(value, str) else str(value)
    return len(text) > LONG_VALUE_CHARS or text.count("\n") > _LONG_LINES


def _render_link_open(renderer: Any, tokens: Sequence[Token], index: int, options: Any, env: Any) -> str:
    token = tokens[index]
    if not _SAFE_LINK.match(str(token.attrGet("href") or "").strip()):
        token.attrs.pop("href", None)  # a data: URL passes the image check, never as a link
    token.attrSet("rel", "noopener noreferrer nofollow")
    token.attrSet("target", "_blank")
    return str(renderer.renderToken(tokens, index, options, env))


def _render_image(renderer: Any, tokens: Sequence[Token], index: int, options: Any, env: Any) -> str:
    token = tokens[index]
    src = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    if is_image_data_url(src):
        return f'<img class="thumb" src="{escape(src)}" alt="{escape(alt)}">'
    if _SAFE_LINK.match(src):
        return (f'<a class="image-link" href="{escape(src)}" rel="noopener noreferrer nofollow" '
                f'target="_blank">image: {escape(alt)}</a>')
    return str(escape(f"![{alt}]({src})"))


def _allowed_url(url: str) -> bool:
    url = url.strip()
    return bool(_SAFE_LINK.match(url)) or is_image_data_url(url)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False, "typographer": False})
    # "breaks": a chat message's single newlines are line breaks, as people typed them.
    md.enable("table")
    md.enable("strikethrough")
    # Links: only web and mail targets; markdown-it's own check lets more through (relative, ftp).
    # The instance's validateLink decides which (normalized) URLs may be links or images: ours allows fewer.
    md.validateLink = _allowed_url  # type: ignore[method-assign]
    # markdown-it-py binds a rule to its renderer: the renderer comes first.
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("image", _render_image)
    return md


def render_markdown(text: str | None) -> Markup:
    """``text`` as sanitized HTML; empty for None."""
    if not text:
        return Markup("")
    if len(text) > _RENDER_CHARS:
        return Markup(f"<pre>{escape(text)}</pre>")
    return Markup(_parser().render(text))
