"""The console's page helpers: entity marking never lets markup through, the search form's
URLs are permalinks, date buckets become day ranges."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from services.api.ui.render import mark_entities
from services.api.ui.search_form import SearchForm, date_bucket_range


def test_entities_are_marked_and_everything_else_escaped() -> None:
    body = 'Vladimir Putin met <script>alert("x")</script> in Alaska.\n\nPutin & Trump.'
    entities = [
        {"name": "Vladimir Putin", "type": "person"},
        {"name": "Alaska", "type": "place"},
        {"name": "<b>", "type": "other"},
    ]
    first, second = (str(p) for p in mark_entities(body, entities))
    assert first == (
        '<mark class="ent ent-person" title="person">Vladimir Putin</mark> met '
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; in "
        '<mark class="ent ent-place" title="place">Alaska</mark>.'
    )
    # The surname alone is the same person; "&" stays text.
    assert second == '<mark class="ent ent-person" title="person">Putin</mark> &amp; Trump.'


def test_a_surname_shared_by_two_people_is_not_marked_alone() -> None:
    entities = [
        {"name": "Gordon Brown", "type": "person"},
        {"name": "Dan Brown", "type": "person"},
    ]
    (paragraph,) = mark_entities("Brown spoke; Gordon Brown left.", entities)
    assert str(paragraph) == (
        'Brown spoke; <mark class="ent ent-person" title="person">Gordon Brown</mark> left.'
    )


def test_names_inside_words_are_not_marked() -> None:
    (paragraph,) = mark_entities("Iranian and Iran", [{"name": "Iran", "type": "place"}])
    assert str(paragraph) == 'Iranian and <mark class="ent ent-place" title="place">Iran</mark>'


def test_the_form_url_is_the_permalink_and_facets_add_or_remove_values() -> None:
    form = SearchForm.from_query(
        QueryParams(
            "q=putin&person=&person=Vladimir+Putin&place=Alaska&sort=newest"
            "&cursor=abc&page=2&size=500"
        )
    )
    assert form.size == 50  # capped
    assert form.url == (
        "/ui/search?q=putin&person=Vladimir+Putin&place=Alaska&sort=newest&size=50"
        "&cursor=abc&page=2"
    )
    # A new filter starts a new search: no cursor, first page.
    assert form.adding("place", "Anchorage") == (
        "/ui/search?q=putin&person=Vladimir+Putin&place=Alaska&place=Anchorage&sort=newest&size=50"
    )
    assert form.removing("person", "Vladimir Putin") == (
        "/ui/search?q=putin&place=Alaska&sort=newest&size=50"
    )
    assert form.next_page_url("def").endswith("&cursor=def&page=3")


def test_form_errors_are_sentences() -> None:
    params, errors = SearchForm(since="2025-13-01").to_params()
    assert params is None
    assert errors == ["From date '2025-13-01' is not a date like 2025-08-15."]
    params, errors = SearchForm(since="2025-03-02", until="2025-03-01").to_params()
    assert params is None
    assert errors == ["The From date is after the To date."]
    params, errors = SearchForm(q="x", since="2025-03-01", until="2025-03-01").to_params()
    assert params is not None
    assert errors == []
    assert params.until is not None
    assert params.since is not None
    assert (params.until - params.since).total_seconds() > 86399  # the whole last day


def test_date_buckets_become_day_ranges() -> None:
    assert date_bucket_range("2025-02-01T00:00:00.000Z", "month") == (
        "2025-02-01",
        "2025-02-28",
        "2025-02",
    )
    assert date_bucket_range("2024-12-30T00:00:00.000Z", "week") == (
        "2024-12-30",
        "2025-01-05",
        "week of 2024-12-30",
    )
    assert date_bucket_range("2025-06-02T14:00:00.000Z", "hour")[:2] == (
        "2025-06-02",
        "2025-06-02",
    )
