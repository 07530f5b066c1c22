"""The built site in a real headless Chromium: pages load cleanly, search works, solutions open."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest

from .test_build import toc_files

pytestmark = pytest.mark.browser

# The site loads nothing from a third party: MathJax is served from the site itself
# (sphinx-mathjax-offline), so equations render for a reader with no network.
ALLOWED_EXTERNAL_HOSTS: set[str] = set()


@dataclass
class Visit:
    page: object
    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)

    def own_errors(self) -> list[str]:
        """Console errors, less the ones caused by the deliberately blocked CDN request."""
        blocked = any(urlparse(u).hostname in ALLOWED_EXTERNAL_HOSTS for u in self.external)
        return [e for e in self.errors if not (blocked and "net::ERR_FAILED" in e)]


@contextmanager
def visit(browser, url: str):
    page = browser.new_page()
    v = Visit(page)

    def route(r):
        if urlparse(r.request.url).hostname not in ("127.0.0.1", "localhost"):
            v.external.append(r.request.url)
            return r.abort()
        return r.continue_()

    page.route("**/*", route)
    page.on("console", lambda m: v.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: v.errors.append(str(e)))
    page.goto(url, wait_until="load")
    try:
        yield v
    finally:
        page.close()


@pytest.mark.parametrize("page_name", toc_files())
def test_page_loads_without_console_errors_or_broken_images(browser, site_url, page_name):
    with visit(browser, f"{site_url}/{page_name}.html") as v:
        assert v.page.title(), "page has no title"
        unexpected = [u for u in v.external if urlparse(u).hostname not in ALLOWED_EXTERNAL_HOSTS]
        assert not unexpected, f"page requests third-party resources: {unexpected}"
        assert not v.own_errors(), f"console errors: {v.errors}"
        broken = v.page.evaluate(
            """() => Array.from(document.images)
                 .filter(img => img.complete && img.naturalWidth === 0)
                 .map(img => img.getAttribute('src'))"""
        )
        assert not broken, f"broken images: {broken}"


def test_search_finds_a_term_from_a_chapter(browser, site_url):
    with visit(browser, f"{site_url}/search.html?q=teacher") as v:
        v.page.wait_for_selector("#search-results li", timeout=15000)
        links = v.page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.href)")
        assert any("03-scaling-laws" in link for link in links), links
        assert not v.own_errors(), v.errors


def test_an_exercise_solution_opens(browser, site_url):
    with visit(browser, f"{site_url}/chapters/part1/03-scaling-laws.html") as v:
        solution = v.page.locator("div.solution.dropdown").first
        solution.scroll_into_view_if_needed()
        content = solution.locator("section").first
        assert not content.is_visible(), "a dropdown solution should start closed"
        solution.locator("button.toggle-button").first.click()
        content.wait_for(state="visible", timeout=5000)
        assert "times the data" in content.inner_text()
        assert not v.own_errors(), v.errors


def test_figures_render_with_captions(browser, site_url):
    with visit(browser, f"{site_url}/chapters/part1/03-scaling-laws.html") as v:
        assert v.page.locator("figure figcaption").count() >= 3
        sizes = v.page.evaluate(
            "() => Array.from(document.querySelectorAll('figure img')).map(i => i.naturalWidth)"
        )
        assert sizes and min(sizes) > 300, sizes


def test_equations_are_typeset_offline(browser, site_url):
    """MathJax comes from the built site and typesets an equation with no network."""
    with visit(browser, f"{site_url}/chapters/part1/05-why-returns-diminish.html") as v:
        v.page.wait_for_selector("mjx-container", state="attached", timeout=15000)
        n = v.page.locator("mjx-container").count()
        assert n >= 5, f"only {n} typeset equations"
        raw = v.page.evaluate(
            "() => Array.from(document.querySelectorAll('article p'))"
            ".filter(p => /\\$[^$]+\\$/.test(p.innerText)).length")
        assert raw == 0, f"{raw} paragraphs still show raw TeX between dollar signs"
        assert not v.external, f"requests left the site: {v.external}"


@pytest.mark.parametrize("page_name", [f for f in toc_files() if f.startswith("chapters/")
                                       or f == "intro"])
def test_no_code_block_is_wider_than_its_column(browser, site_url, page_name):
    """Code and printed output fit the page column: nothing scrolls sideways."""
    with visit(browser, f"{site_url}/{page_name}.html") as v:
        v.page.set_viewport_size({"width": 1280, "height": 900})
        wide = v.page.evaluate(
            """() => Array.from(document.querySelectorAll(
                   'div.cell_input pre, div.cell_output pre, div.highlight pre'))
                 .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 2)
                 .map(el => el.innerText.split('\\n').reduce(
                     (a, b) => b.length > a.length ? b : a, '').slice(0, 90))"""
        )
        assert not wide, f"blocks wider than the column (longest line of each): {wide}"
