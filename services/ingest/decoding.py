"""Bytes to text: BOMs, declared charsets, then statistical detection; binary data refused."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from shared.errors import PermanentError

# Above this share of control characters a "text" is binary data decoded by accident.
_MAX_CONTROL_SHARE = 0.01
# Detection on a short or mostly-ASCII text cannot tell Western legacy encodings apart; the
# web's own default (WHATWG) is windows-1252, so it wins among equally plausible candidates.
_PREFERRED_LEGACY = "cp1252"
_CHAOS_MARGIN = 0.05
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)"""
    rb"""|<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)
# Control characters (C0 but tab and line breaks, DEL, C1), lone surrogates, U+FFFD.
_ODD = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")
# WHATWG: pages labelled latin-1 or ascii are decoded as windows-1252.
_LABEL_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252"}


class UndecodableInput(PermanentError):
    """The bytes are not text in any encoding we can recognise (binary data, garbage)."""

    reason = "undecodable_input"


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML or XML document declares in its head, if Python knows it."""
    match = _DECLARED.search(data[:4096])
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii").lower()
    label = _LABEL_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _looks_binary(text: str) -> bool:
    """Control characters (NULs among them) or undecodable bytes (U+FFFD) beyond a trace:
    not text."""
    return len(_ODD.findall(text)) > _MAX_CONTROL_SHARE * max(len(text), 1)


def _without_nuls(text: str) -> str:
    # A trace of NULs in a page (a CMS's stray padding) is dropped, as browsers ignore it:
    # no stage, and no PostgreSQL text column, takes them.
    return text.replace("\x00", "")


def _detect(data: bytes) -> str | None:
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        return None
    best_chaos = min(m.chaos for m in matches)
    plausible = [m for m in matches if m.chaos <= best_chaos + _CHAOS_MARGIN]
    for match in plausible:
        if _PREFERRED_LEGACY in match.could_be_from_charset:
            return _PREFERRED_LEGACY
    return plausible[0].encoding


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode a file's bytes to text, or raise `UndecodableInput` for binary data.
    `charset`: the one the transport states (an HTTP header), tried before any other."""
    if not data:
        return ""
    candidates: list[str] = [enc for bom, enc in _BOMS if data.startswith(bom)][:1]
    if not candidates:
        if charset:
            candidates.append(charset)
        candidates.append("utf-8")  # by far the most common, and strict UTF-8 rarely lies
        if (declared := declared_charset(data)) is not None:
            candidates.append(declared)
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if not _looks_binary(text):
            return _without_nuls(text)
        break  # valid in a declared encoding yet full of control characters: binary
    if (detected := _detect(data)) is not None:
        text = data.decode(detected, errors="replace")
        if not _looks_binary(text):
            return _without_nuls(text)
    raise UndecodableInput("the input is binary data or in an unrecognised encoding")
