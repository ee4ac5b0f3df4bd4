"""The web console in a real browser, against the real stack.

A uvicorn process serves the API and the console; real workers ingest, enrich and index a
few fixture articles (one of them a near-copy of another, one that the ingest stage
rejects); headless Chromium searches, clicks a facet, pages with the cursor, opens an
article, and replays the failed one, reading the text a person would read. Screenshots of
each page go to tests/artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from shared.apikeys import hash_api_key
from tests.browser import accessibility_violations, layout_shift, screenshot, tab_stops
from tests.conftest import wipe_store
from tests.support import FIXTURES, ApiServer, WorkerPool, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

HARBOUR = (FIXTURES / "e2e" / "harbour-bridge.txt").read_text()
# Nothing to extract: the ingest stage fails it (`no_article_text`), for real.
EMPTY_PAGE = "<html><head><title></title></head><body><nav><ul><li></li></ul></nav></body></html>"


@dataclass
class Console:
    url: str
    ids: dict[str, str]  # fixture name -> article id


def _articles() -> dict[str, dict[str, str]]:
    return {
        "alaska": {"text": (FIXTURES / "alaska-summit.txt").read_text(), "source": "seed"},
        "harbour": {"text": HARBOUR, "source": "fixture", "published_at": "2025-06-02T08:00:00Z"},
        # The same story lightly edited by another outlet: a near-duplicate, collapsed.
        "harbour-copy": {
            "text": HARBOUR.replace("40 million", "forty million"),
            "source": "copydesk",
            "published_at": "2025-06-02T09:00:00Z",
        },
        "glacier": {
            "html": (FIXTURES / "e2e" / "glacier-study.html").read_text(),
            "url": "https://meridian.example.org/science/patagonia-glaciers",
            "source": "meridian",
        },
        "broken": {"html": EMPTY_PAGE, "source": "broken-feed"},
    }


@pytest.fixture(scope="module")
def console(stack: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The API on a loopback port, workers, and the fixture articles processed."""
    wipe_store(stack)
    logs = tmp_path_factory.mktemp("console")
    workers = WorkerPool(logs)
    workers.start_all()
    server = ApiServer(logs)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as api:
            ids = {}
            for name, payload in _articles().items():
                answer = api.post("/v1/articles", json=payload)
                assert answer.status_code == 202, answer.text
                ids[name] = answer.json()["id"]

            def states() -> dict[str, str]:
                return {n: api.get(f"/v1/articles/{i}").json()["state"] for n, i in ids.items()}

            expected = dict.fromkeys(ids, "indexed") | {"broken": "failed"}
            wait_until(lambda: states() == expected, timeout=120, message=f"{states()}")
            wait_until(
                lambda: api.get("/v1/search", params={"collapse": "false"}).json()["total"] == 4,
                timeout=15,
                message="indexed articles not searchable",
            )
        yield Console(server.url, ids)
    finally:
        server.stop()
        workers.stop_all()
        wipe_store(stack)


def _text(page: Page, selector: str) -> str:
    return re.sub(r"\s+", " ", page.locator(selector).inner_text()).strip()


def test_search_facet_and_cursor_paging(console: Console, page: Page) -> None:
    page.goto(f"{console.url}/")  # `/` leads to the console
    expect(page).to_have_url(re.compile(r"/ui/search$"))
    # Four articles, but the near-copy folds into its story: three stories, newest first.
    expect(page.locator("#result-summary")).to_contain_text("4 articles in 3 stories")
    expect(page.locator("#result-summary")).to_contain_text("newest first")

    page.get_by_label("Search articles").fill("harbour bridge")
    page.get_by_label("Search articles").press("Enter")
    expect(page).to_have_url(re.compile(r"q=harbour\+bridge"))
    hits = page.locator("li.hit")
    expect(hits).to_have_count(1)
    expect(hits.first.locator("em").first).to_have_text(re.compile("harbour|bridge", re.I))
    copies = hits.first.locator("details.copies")
    expect(copies.locator("summary")).to_have_text("1 copy")
    copies.locator("summary").click()
    # One of the two outlets leads the story, the other is its copy.
    expect(copies.locator("li")).to_have_count(1)
    expect(hits.first).to_contain_text("fixture")
    expect(hits.first).to_contain_text("copydesk")
    screenshot(page, "console-search")

    # A facet narrows the search; the URL (the permalink) holds the filter.
    page.goto(f"{console.url}/ui/search")
    page.get_by_role("link", name=re.compile(r"^Filter by sources: meridian \(1\)")).click()
    expect(page).to_have_url(re.compile(r"source=meridian"))
    expect(page.locator("li.hit")).to_have_count(1)
    expect(page.locator("li.hit h3")).to_contain_text("Patagonia")
    expect(page.get_by_role("list", name="Active filters")).to_contain_text("source: meridian")
    page.reload()  # the permalink alone gives the same page
    expect(page.locator("li.hit h3")).to_contain_text("Patagonia")

    # Two stories a page: the cursor leads to the third, and no further.
    page.goto(f"{console.url}/ui/search?size=2")
    first_page = page.locator("li.hit h3").all_inner_texts()
    assert len(first_page) == 2
    page.get_by_role("link", name="Next page »").click()
    expect(page.locator("#result-summary")).to_contain_text("page 2")
    second_page = page.locator("li.hit h3").all_inner_texts()
    assert len(second_page) == 1
    assert not set(first_page) & set(second_page)
    expect(page.get_by_role("link", name="Next page »")).to_have_count(0)
    # Facets stay on later pages.
    expect(page.get_by_role("link", name=re.compile(r"^Filter by sources: seed"))).to_be_visible()


def test_empty_results_and_errors_are_explained(console: Console, page: Page) -> None:
    page.goto(f"{console.url}/ui/search?q=zzyzx+quokka")
    expect(page.locator("#results")).to_contain_text("No article matches zzyzx quokka")
    expect(page.locator("#results")).to_contain_text("Every word must appear")

    page.goto(f"{console.url}/ui/search?since=2025-03-01&until=2025-02-01")
    expect(page.get_by_role("alert")).to_contain_text("The From date is after the To date")

    page.goto(f"{console.url}/ui/search?q=bridge&cursor=bm90LWEtY3Vyc29y")
    expect(page.get_by_role("alert")).to_contain_text("does not belong to this search")
    page.get_by_role("link", name="First page of this search").click()
    expect(page.locator("li.hit")).not_to_have_count(0)


def test_keyboard_and_labels(console: Console, page: Page) -> None:
    page.goto(f"{console.url}/ui/search")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    unlabelled = page.evaluate(
        """[...document.querySelectorAll('input:not([type=hidden]), select')]
             .filter(e => e.labels.length === 0).map(e => e.name)"""
    )
    assert unlabelled == []
    # Every stop of the keyboard's path shows where focus is; the path reaches the query
    # box, the results and the facets.
    page.goto(f"{console.url}/ui/search?q=bridge")
    stops = tab_stops(page, 30)
    assert [name for name, visible in stops if not visible] == []
    names = " | ".join(name for name, _ in stops)
    assert "input#q" in names
    assert "Harbour" in names or "harbour" in names.lower()
    assert "Filter by" in names
    # Enter on a focused facet filters, as a click does.
    page.get_by_role("link", name=re.compile(r"^Filter by sources: fixture")).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"source=fixture"))
    # Phone width: one column, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{console.url}/ui/search?q=bridge")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "console-search-phone")


def _pages(console: Console) -> dict[str, str]:
    """Every kind of page the console draws, with what a person may open on it."""
    return {
        "search": "/ui/search?q=harbour+bridge",
        "search, every story": "/ui/search",
        "search, nothing found": "/ui/search?q=zzyzx+quokka",
        "search, a form error": "/ui/search?since=2025-03-01&until=2025-02-01",
        "article": f"/ui/articles/{console.ids['alaska']}",
        "article, failed": f"/ui/articles/{console.ids['broken']}",
        "pipeline": "/ui/pipeline",
        "sign-in, no keys": "/ui/login",
        "not found": "/ui/articles/" + "0" * 32,
    }


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_passes_axe_and_does_not_jump(console: Console, page: Page, width: int) -> None:
    """axe-core's WCAG 2.2 A/AA and best-practice rules (contrast, names, labels, landmarks,
    scrollable regions...) find nothing on any page, closed and with every fold opened (the
    raw input loads then); the keyboard's focus is drawn on every stop; nothing moves once
    drawn (cumulative layout shift 0: the parts that arrive later have their room kept)."""
    page.set_viewport_size({"width": width, "height": 900})
    problems: list[str] = []
    for name, path in _pages(console).items():
        page.goto(f"{console.url}{path}")
        page.wait_for_load_state("networkidle")
        shift = layout_shift(page)
        if shift > 0.001:
            problems.append(f"{name}: layout shift {shift:.4f}")
        hidden = [stop for stop, visible in tab_stops(page, 20) if not visible]
        problems += [f"{name}: focus not drawn on {stop}" for stop in hidden if stop != "body"]
        # Opened, the page shows all it can (what it shows closed too): one axe pass.
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        page.wait_for_load_state("networkidle")
        problems += [f"{name}: {v}" for v in accessibility_violations(page)]
    assert problems == [], "\n".join(problems)


def test_article_page_shows_enrichment_and_history(console: Console, page: Page) -> None:
    page.goto(f"{console.url}/ui/search?q=Putin+Alaska")
    page.locator("li.hit h3 a").first.click()
    expect(page).to_have_url(re.compile(rf"/ui/articles/{console.ids['alaska']}$"))
    expect(page.locator("h1")).to_contain_text("Putin")
    expect(page.locator(".facts")).to_contain_text("indexed")
    expect(page.locator(".facts")).to_contain_text("en")
    # Entities are listed and marked in the body; quotes carry their speakers.
    entities = page.get_by_role("region", name="Entities")
    expect(entities).to_contain_text("Vladimir Putin")
    expect(page.locator(".body-text mark.ent-person").first).to_be_visible()
    expect(page.locator(".body-text mark.ent-place", has_text="Alaska").first).to_be_visible()
    expect(page.get_by_role("region", name="Summary")).not_to_be_empty()
    expect(page.get_by_role("region", name="Models")).to_contain_text("entities")
    history = page.locator("table.history tbody tr")
    expect(history).to_have_count(3)
    assert [history.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == [
        "ingest",
        "enrich",
        "index",
    ]
    # Similar articles arrive after the page (a more-like-this search of their own).
    expect(
        page.get_by_role("region", name="Similar articles").get_by_role("link")
    ).not_to_have_count(0)
    page.get_by_text("Show the input as submitted").click()
    expect(page.locator(".raw-text")).to_contain_text("Anchorage")
    screenshot(page, "console-article")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "console-article-top", full_page=False)

    # The near-copy's page names its story.
    page.goto(f"{console.url}/ui/articles/{console.ids['harbour-copy']}")
    expect(page.get_by_role("region", name="Near-duplicates")).to_contain_text("fixture")


def test_pipeline_page_and_replay(console: Console, page: Page) -> None:
    page.goto(f"{console.url}/ui/pipeline")
    expect(page.locator('[data-state="indexed"]')).to_have_text("4")
    expect(page.locator('[data-state="failed"]')).to_have_text("1")
    stages = page.locator("table.stages")
    expect(stages).to_contain_text("ingest")
    failures = page.locator("table.failures").first
    expect(failures).to_contain_text("no_article_text")
    screenshot(page, "console-pipeline")

    # The panel refreshes itself, without a reload.
    updated = page.locator(".updated time").inner_text()
    expect(page.locator(".updated time")).not_to_have_text(updated, timeout=12_000)
    assert layout_shift(page) < 0.001  # the refreshed panel takes the old one's place exactly
    # A value that changes with time ("99 s ago" becoming "100 s ago") moves no column: the
    # longest such a value reads fits the width it already has.
    longest = "e => e.textContent = '119 min ago'"
    page.evaluate(f"document.querySelectorAll('.ticking').forEach({longest})")
    assert layout_shift(page) < 0.001

    failures.get_by_role("button", name="Replay 1").click()
    expect(page.locator("#replay-result")).to_contain_text("Replayed 1 article (ingest: 1)")
    assert accessibility_violations(page) == []
    # It runs again, fails again (the input has no text), and its history says so.
    broken = console.ids["broken"]

    def failed_twice() -> bool:
        history = httpx.get(f"{console.url}/v1/articles/{broken}/history").json()["events"]
        return [e["outcome"] for e in history] == ["failed", "replay", "failed"]

    wait_until(failed_twice, timeout=30, message="the replayed article did not run again")
    page.goto(f"{console.url}/ui/articles/{broken}")
    outcomes = page.locator("table.history tbody tr td:nth-child(3)").all_inner_texts()
    assert outcomes == ["failed", "replay", "failed"]
    expect(page.get_by_role("alert")).to_contain_text("no_article_text")


ADMIN_KEY = "ak-e2e-console-0f1e2d3c4b5a69788796"


@pytest.fixture(scope="module")
def keyed_url(console: Console, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second API process on the same store, with an admin key configured."""
    keys = f'{{"{hash_api_key(ADMIN_KEY)}": ["admin"]}}'
    server = ApiServer(tmp_path_factory.mktemp("keyed"), {"NEWSFLOW_API_KEYS": keys})
    try:
        yield server.url
    finally:
        server.stop()


def test_sign_in_keeps_a_signed_session_not_the_key(keyed_url: str, page: Page) -> None:
    page.goto(f"{keyed_url}/ui/pipeline")
    expect(page).to_have_url(re.compile(r"/ui/login\?next=%2Fui%2Fpipeline$"))
    assert accessibility_violations(page) == []
    key = page.get_by_label("API key")
    key.fill("not-a-key")
    key.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("That API key is not valid.")
    assert accessibility_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert accessibility_violations(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_label("API key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/ui/pipeline$"))
    expect(page.locator("table.failures").first).to_contain_text("no_article_text")
    (cookie,) = page.context.cookies()
    assert cookie["name"] == "newsflow_console_session"
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/ui"
    assert ADMIN_KEY not in cookie["value"]

    # The page's writes carry its CSRF token: signing out (an htmx POST) works from the page.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    page.goto(f"{keyed_url}/ui/search")
    expect(page).to_have_url(re.compile(r"/ui/login\?next="))
