"""The whole book as one PDF, printed from the built website by Chromium (``make pdf``).

Every page of the table of contents is opened from the built site (served on loopback, so the
offline MathJax and the figures load as they do for a reader), equations are typeset before
printing, and the pages are printed with the theme's print style (no sidebars) and joined in
reading order with one bookmark per page. Chromium is the one the browser tests use; no LaTeX
installation is needed.

Run ``python -m booktools.pdf [HTML_DIR] [OUTPUT]`` (defaults ``_build/html`` and
``_build/pdf/the-limits-of-deep-learning.pdf``) after ``make book``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import io
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
OUTPUT = ROOT / "_build" / "pdf" / "the-limits-of-deep-learning.pdf"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def toc_pages(root: Path = ROOT) -> list[str]:
    """The book's pages in reading order, as paths without suffix (``chapters/part1/index``)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(items):
        for item in items:
            if "file" in item:
                pages.append(item["file"])
            walk(item.get("chapters", []) + item.get("sections", []))

    walk(toc["parts"])
    return pages


def find_chromium() -> str:
    for path in (os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES):
        if path and Path(path).exists():
            return path
    found = shutil.which("chromium")
    if found is None:
        raise FileNotFoundError("No Chromium found (set CHROMIUM=/path/to/chromium, or "
                                "`apt-get install chromium`).")
    return found


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(directory: Path):
    """Serve ``directory`` on a free loopback port; yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


_TYPESET = """async () => {
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    await window.MathJax.startup.promise;
  }
  document.querySelectorAll('details').forEach(d => { d.open = false; });
  return document.querySelector('h1') ? document.querySelector('h1').innerText : document.title;
}"""


def build(html: Path = HTML, output: Path = OUTPUT, *, pages: list[str] | None = None,
          browser=None) -> dict:
    """Print ``pages`` (default: the whole table of contents) of the site in ``html`` to one PDF.

    ``browser`` is a Playwright Chromium browser to print with (default: launch one).
    Returns ``{"path", "pages" (PDF pages), "bookmarks" (title per site page)}``.
    """
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    html = Path(html)
    pages = toc_pages() if pages is None else list(pages)
    missing = [p for p in pages if not (html / f"{p}.html").exists()]
    if missing:
        raise FileNotFoundError(f"pages not built in {html}: {missing} (run `make book` first).")
    writer, titles = PdfWriter(), []
    with serve(html) as url, contextlib.ExitStack() as stack:
        if browser is None:
            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(executable_path=find_chromium(),
                                                 args=["--no-sandbox", "--disable-gpu"])
            stack.callback(browser.close)
        page = browser.new_page()
        stack.callback(page.close)
        page.emulate_media(media="print")
        for name in pages:
            page.goto(f"{url}/{name}.html", wait_until="networkidle")
            title = " ".join(str(page.evaluate(_TYPESET)).split()).rstrip("#").strip()
            data = page.pdf(format="A4", print_background=True, display_header_footer=True,
                            header_template="<span></span>",
                            footer_template=('<div style="font-size:8px;width:100%;'
                                             'text-align:center;">'
                                             f'{title} · <span class="pageNumber"></span></div>'),
                            margin={"top": "16mm", "bottom": "16mm", "left": "14mm",
                                    "right": "14mm"})
            first = len(writer.pages)
            for pdf_page in PdfReader(io.BytesIO(data)).pages:
                writer.add_page(pdf_page)
            writer.add_outline_item(title=title, page_number=first)
            titles.append(title)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    writer.add_metadata({"/Title": "The Limits of Deep Learning"})
    with output.open("wb") as f:
        writer.write(f)
    return {"path": output, "pages": len(writer.pages), "bookmarks": titles}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, nargs="?", default=HTML)
    parser.add_argument("output", type=Path, nargs="?", default=OUTPUT)
    args = parser.parse_args(argv)
    result = build(args.html, args.output)
    print(f"wrote {result['path']}: {result['pages']} pages, "
          f"{len(result['bookmarks'])} chapters and pages bookmarked")


if __name__ == "__main__":
    main()
