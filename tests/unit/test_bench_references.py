"""The extraction benches' references are read as their authors wrote them."""

from __future__ import annotations

from tests.bench.fetch_unseen_corpus import expected_text


def test_readabilitys_expected_output_is_read_a_line_per_block_element() -> None:
    html = (
        "<div id='readability-page-1' class='page'><div><h2>Harbour</h2><p>The bridge"
        " <a href='/x'>re</a>opens.</p><p>Traffic<br>returned</p><ul><li>East</li><li>West</li>"
        "</ul><table><tr><td>1947</td><td>Repeat</td></tr></table></div></div>"
    )
    # Blocks end a line, so the words of two paragraphs never run together ("opens.Traffic"
    # is one token); inline elements join the words they are part of ("reopens").
    assert expected_text(html).split("\n") == [
        "Harbour",
        "The bridge reopens.",
        "Traffic",
        "returned",
        "East",
        "West",
        "1947",
        "Repeat",
    ]
