"""A real browser for the tests: Debian's headless Chromium, driven by Playwright.

Playwright's own browser downloads are never used: `CHROMIUM` is the system package
(`infra/local-stack.sh install` installs `chromium`). Screenshots go to `ARTIFACTS`
(git-ignored; CI keeps the folder as its artifacts).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = os.environ.get("NEWSFLOW_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: run `infra/local-stack.sh install` "
            "(Debian packages chromium and chromium-driver)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save what the page shows now as `tests/artifacts/NAME.png`."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# axe-core rule tags checked on every console page: WCAG 2.0/2.1/2.2 A and AA (contrast,
# names and labels, landmarks...) and axe's best practices (one main, headings in order,
# regions).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def accessibility_violations(page: Page) -> list[str]:
    """What axe-core (the engine `axe-playwright-python` bundles) finds wrong on the page as
    it is now, whatever the impact: one line per rule broken, with the first elements."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options).response
    found = []
    for violation in results["violations"]:
        where = "; ".join(
            " ".join(node["target"]) + ": " + " ".join(node.get("failureSummary", "").split())
            for node in violation["nodes"][:3]
        )
        found.append(f"{violation['id']} ({violation['impact']}) {violation['help']} at {where}")
    return found


LAYOUT_SHIFT_SCRIPT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
  }).observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve(total), 300);
})"""


def layout_shift(page: Page) -> float:
    """The page's cumulative layout shift so far (0 when nothing moved after it was drawn)."""
    return float(page.evaluate(LAYOUT_SHIFT_SCRIPT))


FOCUS_SCRIPT = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  if (e === document.body) return ['body', false];  // past the last stop
  // A date field's last stop is its calendar button, inside the browser's own shadow tree:
  // the field itself is not :focus then, and Chromium rings the button (checked by eye).
  if (e.type === 'date' && !e.matches(':focus')) return [e.id + ' calendar button', true];
  const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + ' ' + (e.getAttribute('aria-label') || e.textContent || e.name || '').trim().slice(0, 40);
  return [name, s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2];
}"""


def tab_stops(page: Page, count: int) -> list[tuple[str, bool]]:
    """Press Tab `count` times from the top of the page: each stop's name and whether its
    focus is drawn (an outline of 2 px or more)."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    stops = []
    for _ in range(count):
        page.keyboard.press("Tab")
        name, visible = page.evaluate(FOCUS_SCRIPT)
        stops.append((str(name), bool(visible)))
    return stops
