"""Text normalisation shared by every input format: mojibake, Unicode form, whitespace."""

from __future__ import annotations

import re

import ftfy

# Repair encoding accidents only: curly quotes and full-width forms are the author's choice
# (and quote detection downstream relies on the curly ones).
_FTFY = ftfy.TextFixerConfig(
    uncurl_quotes=False,
    fix_character_width=False,
    normalization="NFC",
    explain=False,
)
# Dropped: control characters (Unicode category Cc: U+0000-001F and U+007F-009F) but the
# newline and tab that carry layout, and invisible characters that only break words for
# search: zero-width space, word joiner, BOM, soft hyphen. ZWJ/ZWNJ stay: they change how
# emoji and some scripts are written. One regex pass (a per-character category test in
# Python cost a fifth of an article's extraction).
_DROPPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace except a newline, incl. NBSP and U+2000..
_BLANK_LINES = re.compile(r"\n\s*\n+")


def repair_text(text: str) -> str:
    """Mojibake fixed, NFC, no control or invisible characters; layout untouched."""
    text = ftfy.fix_text(text, _FTFY)  # also normalises line breaks (CRLF, U+2028) to \n
    return drop_invisible(text)


def drop_invisible(text: str) -> str:
    """The text without control characters (but newline and tab) and invisible ones."""
    return _DROPPED.sub("", text)


def clean_line(text: str) -> str:
    """One line of text: repaired, whitespace collapsed to single spaces."""
    return _SPACES.sub(" ", repair_text(text).replace("\n", " ")).strip()


def clean_text(text: str) -> str:
    """Repaired text with single spaces, paragraphs separated by exactly one blank line."""
    paragraphs = (_SPACES.sub(" ", p).strip() for p in _BLANK_LINES.split(repair_text(text)))
    lines = ("\n".join(line.strip() for line in p.split("\n")) for p in paragraphs)
    return "\n\n".join(p for p in lines if p)


def join_paragraphs(paragraphs: list[str]) -> str:
    return "\n\n".join(p for p in paragraphs if p)
