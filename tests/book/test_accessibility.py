"""Accessibility of every page of the built site, checked by axe-core in Chromium.

axe-core (bundled by axe-playwright-python, nothing is downloaded) runs the WCAG 2 A and AA rules
on each page as a reader's browser shows it. A violation of impact "serious" or "critical" fails
the test, with the rule, the elements and axe's help text; "moderate" and "minor" findings are
reported by axe but do not fail.
"""

from __future__ import annotations

import pytest

from .test_browser import visit
from .test_build import toc_files

pytestmark = pytest.mark.browser

FAILING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.mark.parametrize("page_name", toc_files())
def test_no_serious_or_critical_accessibility_violation(browser, site_url, axe, page_name):
    with visit(browser, f"{site_url}/{page_name}.html") as v:
        v.page.wait_for_load_state("networkidle")
        result = axe.run(v.page, options={"runOnly": {"type": "tag",
                                                      "values": ["wcag2a", "wcag2aa"]}})
    bad = [x for x in result.response["violations"] if x["impact"] in FAILING_IMPACTS]
    report = [f"{x['id']} ({x['impact']}, {len(x['nodes'])} elements): {x['help']}; e.g. "
              f"{x['nodes'][0]['target']} {x['nodes'][0]['html'][:120]}" for x in bad]
    assert not bad, f"{page_name}:\n" + "\n".join(report)
