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
import importlib.util
import http.server
import json
import os
import re
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
    # net::ERR_ABORTED: a load the next page.goto cancelled (on a loaded machine "networkidle"
    # may come before Material's search worker is asked for), not a missing file: a missing
    # file is a 404, and a host out of reach another error
    page.on("requestfailed", lambda request: request.failure != "net::ERR_ABORTED" and problems.append(
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


def test_the_notebook_page_shows_fits_finished_progress_bar_and_loads_nothing_from_elsewhere(
        site, server, browser):
    """The executed notebook's tqdm widget is drawn from its saved state (tools/mkdocs_hooks.py):
    ``fit: 100%``, a full bar, ``100/100 [...]``, as Jupyter showed it when the cell finished;
    the page asks nothing of another host and keeps no script that would."""
    html = (site / "notebooks" / "kidcreative" / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b[^>]*>.*?</script>", html, flags=re.S | re.I)
    assert not [s for s in scripts if re.search(r"(?:src=\"|import\(\s*[\"'])(?:https?:)?//", s)]
    assert "application/vnd.jupyter.widget" not in html
    elsewhere = []
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.on("request", lambda request: not request.url.startswith(server) and elsewhere.append(request.url))
    page.goto(server + "notebooks/kidcreative/", wait_until="networkidle")
    bar = page.locator(".widget-static [role=progressbar]")
    assert bar.count() == 1
    assert (bar.get_attribute("aria-valuenow"), bar.get_attribute("aria-valuemax")) == ("100", "100")
    bar.scroll_into_view_if_needed()
    assert bar.is_visible() and bar.bounding_box()["width"] > 100
    filled = bar.evaluate("b => b.firstElementChild.getBoundingClientRect().width / b.clientWidth")
    assert filled == pytest.approx(1, abs=0.01)
    text = page.inner_text(".widget-static")
    assert re.search(r"fit:\s+100%", text) and re.search(r"\b100/100 \[", text), text
    assert "loss=" in text and "val_accuracy=" in text
    # the widget sits in the fit cell's outputs, above the History it returned
    out = page.locator(".jp-OutputArea-executeResult", has_text="History(epochs=100").first
    assert bar.bounding_box()["y"] < out.bounding_box()["y"]
    page.close()
    assert not elsewhere, elsewhere


def test_the_hook_draws_widgets_from_their_saved_state_and_drops_other_hosts_scripts():
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", ROOT / "tools" / "mkdocs_hooks.py")
    mkdocs_hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mkdocs_hooks)
    state = {"state": {
        "box": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_left", "IPY_MODEL_bar"]}},
        "left": {"model_name": "HTMLModel", "state": {"value": "fit:\u200740%"}},
        "bar": {"model_name": "FloatProgressModel",
                "state": {"min": 0, "max": 10, "value": 4, "bar_style": "danger"}},
        "slider": {"model_name": "IntSliderModel", "state": {"value": 3}},
    }}
    view = '<script type="application/vnd.jupyter.widget-view+json">{{"model_id": "{}"}}</script>'
    page = (
        '<script src="https://unpkg.com/@jupyter-widgets/html-manager.js"></script>'
        '<script type="module">const m = await import("https://cdn.example/x.mjs");</script>'
        "<script>var local = 1;</script>"
        + view.format("box") + view.format("slider") + view.format("missing")
        + f'<script type="application/vnd.jupyter.widget-state+json">{json.dumps(state)}</script>')
    out = mkdocs_hooks.on_post_page(page, None, None)
    assert "https://" not in out and "application/vnd.jupyter" not in out
    assert "<script>var local = 1;</script>" in out
    assert "<div>fit: 40%</div>" in out and 'aria-valuenow="4" ' in out and "width: 40%" in out
    assert "#f44336" in out  # bar_style "danger", Jupyter's red
    assert "an interactive widget (IntSlider): run the notebook to use it" in out
    assert "a widget whose state the notebook did not save" in out
