"""The built site in a real headless Chromium: pages load cleanly, search works, solutions open."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from .test_build import toc_files

pytestmark = pytest.mark.browser

# The only third-party resource the site loads is MathJax, from its CDN. The tests run offline, so
# those requests are aborted on purpose and the errors they cause are not counted.
ALLOWED_EXTERNAL_HOSTS = {"cdn.jsdelivr.net"}


def _open(browser, url: str):
    page = browser.new_page()
    errors, external = [], []

    def route(r):
        host = urlparse(r.request.url).hostname
        if host not in ("127.0.0.1", "localhost"):
            external.append(r.request.url)
            return r.abort()
        return r.continue_()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    return page, errors, external


def _own_errors(errors: list[str], external: list[str]) -> list[str]:
    # a blocked CDN request shows up as "Failed to load resource: net::ERR_FAILED"
    blocked = any(urlparse(u).hostname in ALLOWED_EXTERNAL_HOSTS for u in external)
    return [e for e in errors if not (blocked and "net::ERR_FAILED" in e)]


@pytest.mark.parametrize("page_name", toc_files())
def test_page_loads_without_console_errors_or_broken_images(browser, site_url, page_name):
    page, errors, external = _open(browser, f"{site_url}/{page_name}.html")
    try:
        assert page.title(), "page has no title"
        unexpected = [u for u in external if urlparse(u).hostname not in ALLOWED_EXTERNAL_HOSTS]
        assert not unexpected, f"page requests third-party resources: {unexpected}"
        assert not _own_errors(errors, external), f"console errors: {errors}"
        broken = page.evaluate(
            """() => Array.from(document.images)
                 .filter(img => img.complete && img.naturalWidth === 0)
                 .map(img => img.getAttribute('src'))"""
        )
        assert not broken, f"broken images: {broken}"
    finally:
        page.close()


def test_search_finds_a_term_from_a_chapter(browser, site_url):
    page, errors, external = _open(browser, f"{site_url}/search.html?q=teacher")
    try:
        page.wait_for_selector("#search-results li", timeout=15000)
        links = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.href)")
        assert any("03-scaling-laws" in link for link in links), links
        assert not _own_errors(errors, external), errors
    finally:
        page.close()


def test_an_exercise_solution_opens(browser, site_url):
    page, errors, external = _open(browser, f"{site_url}/chapters/part1/03-scaling-laws.html")
    try:
        solution = page.locator("div.solution.dropdown").first
        solution.scroll_into_view_if_needed()
        content = solution.locator("section").first
        assert not content.is_visible(), "a dropdown solution should start closed"
        solution.locator("button.toggle-button").first.click()
        content.wait_for(state="visible", timeout=5000)
        assert "times the data" in content.inner_text()
        assert not _own_errors(errors, external), errors
    finally:
        page.close()


def test_figures_render_with_captions(browser, site_url):
    page, _, _ = _open(browser, f"{site_url}/chapters/part1/03-scaling-laws.html")
    try:
        captions = page.locator("figure figcaption")
        assert captions.count() >= 3
        sizes = page.evaluate(
            "() => Array.from(document.querySelectorAll('figure img')).map(i => i.naturalWidth)"
        )
        assert sizes and min(sizes) > 300, sizes
    finally:
        page.close()
