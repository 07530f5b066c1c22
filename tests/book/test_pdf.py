"""`make pdf`: the whole book printed from the built site by Chromium, every page bookmarked."""

from __future__ import annotations

import re

import pytest

from booktools import pdf

from .test_build import toc_files

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def book_pdf(built_site, browser, tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf") / "book.pdf"
    return pdf.build(built_site, out, browser=browser)


def test_the_pdf_has_every_page_of_the_book_in_order(book_pdf):
    from pypdf import PdfReader

    reader = PdfReader(book_pdf["path"])
    assert len(book_pdf["bookmarks"]) == len(toc_files())
    assert [o.title for o in reader.outline] == book_pdf["bookmarks"]
    assert len(reader.pages) == book_pdf["pages"] >= 3 * len(toc_files())
    chapters = [t for t in book_pdf["bookmarks"] if t]
    assert len(set(chapters)) == len(chapters), "two pages printed with the same title"


def test_the_pdf_has_figures_and_typeset_equations(book_pdf):
    from pypdf import PdfReader

    reader = PdfReader(book_pdf["path"])
    n_images = sum(len(page.images) for page in reader.pages)
    assert n_images >= 20, f"only {n_images} images in the PDF: figures did not print"
    text = "".join(page.extract_text() for page in reader.pages)
    raw_tex = re.findall(r"\\(?:frac|mathrm)\b|\$\$", text)
    assert not raw_tex, f"raw TeX printed instead of equations: {raw_tex[:5]}"


def test_pdf_refuses_a_site_that_was_not_built(tmp_path):
    with pytest.raises(FileNotFoundError, match="make book"):
        pdf.build(tmp_path, tmp_path / "x.pdf", pages=["intro"])
