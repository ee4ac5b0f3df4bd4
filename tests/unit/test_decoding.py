"""Bytes to text: encodings detected, binary data refused with a clear error."""

from __future__ import annotations

import codecs
import gzip
import random
from pathlib import Path

import pytest

from services.ingest.decoding import UndecodableInput, decode_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
FRENCH = "Les propri\u00e9taires des caf\u00e9s se r\u00e9jouissent d\u00e9j\u00e0"


def test_utf8_is_decoded() -> None:
    assert decode_bytes("Gr\u00fc\u00dfe \u2014 \u201cquoted\u201d".encode()) == (
        "Gr\u00fc\u00dfe \u2014 \u201cquoted\u201d"
    )


def test_latin1_file_is_decoded() -> None:
    text = decode_bytes((FIXTURES / "latin1.txt").read_bytes())
    assert text.startswith("Les caf\u00e9s de la place rouvrent")
    assert "Gen\u00e8ve" in text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (FRENCH, "latin-1"),
        ("Gr\u00fc\u00dfe aus M\u00fcnchen, sch\u00f6ne Stra\u00dfe", "latin-1"),
        ("Z\u00fcrich \u2013 \u201cquoted\u201d na\u00efve fa\u00e7ade", "cp1252"),
        (
            "\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430? "
            "\u042d\u0442\u043e \u0442\u0435\u0441\u0442.",
            "cp1251",
        ),
        ("h\u00e9llo w\u00f6rld", "utf-16"),  # with a BOM
    ],
)
def test_legacy_encodings_are_detected(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding)) == text


def test_the_utf8_bom_is_dropped() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + b"Title\n\nBody") == "Title\n\nBody"


def test_an_html_declared_charset_is_used() -> None:
    page = b'<html><head><meta charset="iso-8859-1"></head><body>caf\xe9 cr\xe8me</body></html>'
    assert "caf\u00e9 cr\u00e8me" in decode_bytes(page)


def test_a_trace_of_nuls_in_a_page_is_dropped() -> None:
    padded = "<img src='a.png'>\x00\x00\x00\n" * 3
    page = f"<html><body><p>caf\u00e9</p>{padded}<p>{FRENCH * 20}</p></body></html>"
    assert decode_bytes(page.encode()) == page.replace("\x00", "")


def test_empty_bytes_are_empty_text() -> None:
    assert decode_bytes(b"") == ""


@pytest.mark.parametrize(
    "data",
    [
        random.Random(7).randbytes(4000),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes([7, 200, 13, 0, 255, 1, 2, 3]) * 50,
        gzip.compress(b"compressed text is still binary until it is decompressed" * 20),
    ],
    ids=["random", "png", "gzip"],
)
def test_binary_data_raises_a_clear_error(data: bytes) -> None:
    with pytest.raises(UndecodableInput, match="binary data"):
        decode_bytes(data)
    assert UndecodableInput.reason == "undecodable_input"
