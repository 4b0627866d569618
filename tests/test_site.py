"""The documentation site (mkdocs.yml) builds with ``mkdocs build --strict`` -- no broken link
or anchor, no object the API reference cannot find -- and every page of it loads in headless
Chromium without a console error, its pictures shown.

The built site is served by ``http.server`` on 127.0.0.1 rather than opened as ``file://``:
Material's search fetches ``search/search_index.json`` from a web worker, which Chromium
refuses for ``file://`` pages (a console error that no reader of the published site sees),
and the pages link to each other as directories (``api/graph/``), which only a server turns
into their ``index.html``.
"""
import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# the `browser` fixture (conftest.py) launches Chromium with these, once per session
CHROMIUM = "/usr/bin/chromium"  # Debian's package (.ci/run installs it)
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site, built strict into a temporary directory."""
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)},
    )
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stdout}\n{build.stderr}"
    return out


@pytest.fixture(scope="session")
def server(site):
    """The base address of the built site, served on 127.0.0.1 by ``http.server``."""
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # one line per request would flood the test output
        pass


def site_pages(site):
    """Every page of the built site, as its address relative to the root (``""`` is home)."""
    pages = sorted(
        path.parent.relative_to(site).as_posix() + "/" for path in site.rglob("index.html")
    )
    return [page.removeprefix("./") for page in pages]


def test_the_site_has_the_pages_that_must_load(site):
    pages = site_pages(site)
    for page in ("", "api/graph/", "tutorial/", "architecture/"):
        assert page in pages


def test_the_api_reference_shows_the_graph_and_its_methods(site):
    html = (site / "api" / "graph" / "index.html").read_text(encoding="utf-8")
    assert 'id="graphnn.Graph"' in html and 'id="graphnn.Graph.forward"' in html
    # `>>>` examples are code blocks, not quotes three levels deep (tools/griffe_rest.py)
    assert "<blockquote>" not in html and "&gt;&gt;&gt;" in html


def test_every_page_loads_without_console_errors_and_shows_its_pictures(site, server, browser):
    problems = []
    page = browser.new_page()
    page.on("console", lambda message: message.type == "error" and problems.append(
        f"{page.url}: console: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: error: {error}"))
    page.on("requestfailed", lambda request: problems.append(
        f"{page.url}: could not load {request.url} ({request.failure})"))
    for address in site_pages(site):
        page.goto(server + address, wait_until="networkidle")
        broken = page.eval_on_selector_all(
            "article img", "images => images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
        problems += [f"{server + address}: picture not shown: {src}" for src in broken]
    page.close()
    assert not problems, "\n".join(problems)


def test_the_home_page_shows_both_diagrams(server, browser):
    page = browser.new_page()
    page.goto(server, wait_until="networkidle")
    widths = page.eval_on_selector_all("article img", "images => images.map(i => i.naturalWidth)")
    page.close()
    assert len(widths) == 2 and all(width > 0 for width in widths)
