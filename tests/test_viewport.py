"""The players fit a laptop's screen (1366 x 768): at every frame of the Kid Creative replay
(in every zoom mode: the default, fit, 100 %, zoomed in) and of a 50-block chain's (the
default, which is 100 % there, and fit), the highlighted node's box lies inside the browser's
viewport and inside the picture's visible area, without scrolling the page, and so does the
step's panel (or its copy pinned over the picture, which hides nothing of the node); the monitor's replay over epochs shows its whole diagram
when it is small and keeps the reader's place when it is not. Headless Chromium (the session's
``browser``), the pages opened from ``file://``, nothing loaded from elsewhere."""
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import graphnn as gn
from graphnn.views.monitor import Monitor

ROOT = Path(__file__).resolve().parent.parent
LAPTOP = {"width": 1366, "height": 768}
#: the key of each zoom mode (the page's keyboard shortcuts) and the data-zoom it gives
MODES = {"default": ((), "auto"), "fit": (("f",), "fit"), "100 %": (("1",), "100"),
         "zoomed in": (("1", "+"), "125")}


def kidcreative_example():
    spec = importlib.util.spec_from_file_location("example_kidcreative_viewport",
                                                  ROOT / "examples" / "kidcreative.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def chain(blocks=50):
    """``blocks`` x (FC 4->4 + tanh), then FC 4->1 and squared error."""
    layers = []
    for i in range(blocks):
        layers += [gn.FullyConnectedLayer(4, 4, seed=i), gn.TanhLayer()]
    return gn.Graph.sequential(*layers, gn.FullyConnectedLayer(4, 1, seed=blocks),
                               objective=gn.SquaredError())


def chain_data(rows=8):
    rng = np.random.default_rng(0)
    return rng.normal(size=(rows, 4)), rng.normal(size=(rows, 1))


@pytest.fixture(scope="module")
def kid_graph():
    example = kidcreative_example()
    X, Y = gn.load_kidcreative()
    graph = example.build_graph(X)  # as examples/kidcreative.py does
    graph.forward(X=X, Y=Y)
    graph.backward()
    return graph, X, Y, example


@pytest.fixture(scope="module")
def pages(tmp_path_factory, kid_graph):
    """``{name: (path, the frames' highlighted nodes or None)}`` of the four players."""
    out = tmp_path_factory.mktemp("viewport")
    graph, X, Y, example = kid_graph
    kid = graph.replay()
    long = chain()
    Xc, Yc = chain_data()
    long.forward(X=Xc, Y=Yc)
    long.backward()
    long_replay = long.replay()
    kid_monitor, chain_monitor = Monitor(), Monitor()
    gn.fit(example.build_graph(X), X, Y, epochs=4, progress=False, callbacks=[kid_monitor])
    gn.fit(chain(), Xc, Yc, epochs=3, progress=False, callbacks=[chain_monitor])
    return {
        "kidcreative": (kid.save(out / "kid.html"), [f.node for f in kid]),
        "chain": (long_replay.save(out / "chain.html"), [f.node for f in long_replay]),
        "kidcreative monitor": (kid_monitor.replay("edge_grad", out / "kid-monitor.html").save(
            out / "kid-monitor.html"), None),
        "chain monitor": (chain_monitor.replay("grad").save(out / "chain-monitor.html"), None),
    }


@pytest.fixture
def open_page(browser):
    """Opens a player at 1366 x 768; on leaving, no console error and no request for
    anything but the file itself."""
    opened, problems = [], []

    def open_(path):
        page = browser.new_page(viewport=LAPTOP)
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: not r.url.startswith(("file:", "data:")) and problems.append(r.url))
        page.goto(Path(path).as_uri())
        opened.append(page)
        return page

    yield open_
    for page in opened:
        page.close()
    assert not problems, problems


# Where the frame's highlighted node is: its box, the viewport, the picture's visible area
# (inside its border and scroll bars) and whether the page itself scrolled.
WHERE = r"""function where() {
  function union(elements) {
    if (!elements.length) { return null; }
    const boxes = elements.map(e => e.getBoundingClientRect());
    return [Math.min(...boxes.map(b => b.left)), Math.min(...boxes.map(b => b.top)),
            Math.max(...boxes.map(b => b.right)), Math.max(...boxes.map(b => b.bottom))];
  }
  const focus = document.querySelectorAll('#picture svg .focus');
  const picture = document.getElementById('picture'), area = picture.getBoundingClientRect();
  const box = focus.length ? focus[0].getBoundingClientRect() : null;
  return {
    frame: Number(document.body.dataset.frame), scale: Number(document.body.dataset.scale),
    zoom: document.body.dataset.zoom, count: focus.length,
    node: focus.length ? focus[0].querySelector('title').textContent : null,
    box: box && [box.left, box.top, box.right, box.bottom],
    viewport: [0, 0, window.innerWidth, window.innerHeight],
    visible: [area.left + picture.clientLeft, area.top + picture.clientTop,
              area.left + picture.clientLeft + picture.clientWidth,
              area.top + picture.clientTop + picture.clientHeight],
    panel: union([...document.querySelectorAll('#picture svg .panel')]),
    copy: document.getElementById('pinned').hidden ? null : union([document.getElementById('pinned')]),
    copyText: document.getElementById('pinned').textContent.replace(/\s+/g, ' ').trim(),
    panelText: [...document.querySelectorAll('#picture svg .panel')].map(e => e.textContent).join(' ')
               .replace(/\s+/g, ' ').trim(),
    pageScrolled: window.scrollY !== 0 || window.scrollX !== 0 ||
                  document.documentElement.scrollHeight > window.innerHeight,
  };
}"""


def overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(box, area, slack=0.5):
    return (box[0] >= area[0] - slack and box[1] >= area[1] - slack
            and box[2] <= area[2] + slack and box[3] <= area[3] + slack)


def walk(page, keys, pressed=True):
    """Every frame from the first to the last (the right arrow key, as a reader steps), in the
    zoom mode the ``keys`` choose on a freshly loaded page; returns what ``WHERE`` says at each.
    ``pressed=False``: the arrow key's events are sent by a script in the page (the same
    handler runs, many times faster than one real key press per frame)."""
    page.reload()
    for key in keys:
        page.keyboard.press(key)
    last = int(page.get_attribute("#slider", "max"))
    if not pressed:
        return page.evaluate(f"""() => {{
          const where = {WHERE}, seen = [where()];
          while (seen[seen.length - 1].frame < {last}) {{
            document.dispatchEvent(new KeyboardEvent("keydown", {{key: "ArrowRight", bubbles: true}}));
            seen.push(where());
          }}
          return seen;
        }}""")
    seen = [page.evaluate(WHERE)]
    while seen[-1]["frame"] < last:
        page.keyboard.press("ArrowRight")
        seen.append(page.evaluate(WHERE))
    return seen


@pytest.mark.parametrize("name", ["kidcreative", "chain"])
def test_the_highlighted_node_is_in_view_at_every_frame_in_every_zoom_mode(pages, open_page, name):
    path, nodes = pages[name]
    page = open_page(path)
    # the chain's default view is at 100 % (test_the_default_view_is_readable), and zoomed in
    # differs from 100 % by the scale only: its every frame is walked in two modes, not four
    modes = MODES if name == "kidcreative" else {m: MODES[m] for m in ("default", "fit")}
    panels = []
    for mode, (keys, zoom) in modes.items():
        # real key presses at every frame of Kid Creative, and of the chain in its default mode
        seen = walk(page, keys, pressed=name == "kidcreative" or mode == "default")
        assert [s["frame"] for s in seen] == list(range(len(nodes)))
        for s, node in zip(seen, nodes):
            where = f"{name}, {mode}, frame {s['frame'] + 1}"
            assert s["count"] == 1 and s["node"] == node, where  # the step's node, and it alone
            assert inside(s["box"], s["viewport"]) and inside(s["box"], s["visible"]), (where, s)
            assert not s["pageScrolled"], where
            # the step's panel: in view, or its copy over the picture, hiding nothing of the node
            if s["copy"] is None:
                assert inside(s["panel"], s["visible"]), (where, "panel", s)
            else:
                assert inside(s["copy"], s["visible"]) and not overlaps(s["copy"], s["box"]), (where, s)
                assert s["copyText"] == s["panelText"] and re.search(
                    r"\b(Forward|Backward): " + re.escape(node) + " ", s["copyText"]), where
            panels.append(s["copy"] is not None)
            assert s["zoom"] == zoom, where
        scales = {s["scale"] for s in seen}
        assert len(scales) == 1, scales  # one zoom for every frame: nodes never jump
        if mode == "100 %":
            assert scales == {1}
        if mode == "zoomed in":
            assert scales == {1.25}
    if name == "chain":  # far from the top, the step's numbers come from the copy
        assert sum(panels) > len(nodes) / 2


def test_the_default_view_is_readable(pages, open_page):
    """The Kid Creative replay fits whole at a readable scale; the chain, which would be
    shrunk to a few per cent, stays at its natural size and follows the step."""
    page = open_page(pages["kidcreative"][0])
    kid = page.evaluate(WHERE)
    assert kid["zoom"] == "auto" and 0.5 <= kid["scale"] < 1
    svg = page.eval_on_selector("#picture svg", "s => s.getBoundingClientRect().bottom")
    assert svg <= kid["visible"][3] + 0.5  # the whole picture
    page = open_page(pages["chain"][0])
    assert page.evaluate(WHERE)["scale"] == 1
    page.keyboard.press("f")
    assert page.evaluate(WHERE)["scale"] < 0.1  # fit, when asked, is the whole picture


def test_zoom_buttons_and_keys(pages, open_page):
    page = open_page(pages["kidcreative"][0])
    state = lambda: (page.get_attribute("body", "data-zoom"), float(page.get_attribute("body", "data-scale")),
                     page.inner_text("#zoom-level"))
    page.click("#full")
    assert state() == ("100", 1.0, "100 %")
    assert page.get_attribute("#full", "aria-pressed") == "true"
    page.click("#zoom-in")
    assert state() == ("125", 1.25, "125 %")
    page.keyboard.press("-")
    assert state()[:2] == ("100", 1.0)
    page.keyboard.press("-")
    assert state()[:2] == ("80", 0.8)
    natural = page.eval_on_selector("#picture svg", "s => s.getBoundingClientRect().width") / 0.8
    page.click("#fit")
    assert state()[0] == "fit" and page.get_attribute("#fit", "aria-pressed") == "true"
    width = page.eval_on_selector("#picture svg", "s => s.getBoundingClientRect().width")
    assert width == pytest.approx(state()[1] * natural, abs=1)
    # keyboard only: the zoom buttons are reached with Tab and pressed with Enter
    page.keyboard.press("Home")
    page.focus("#zoom-in")
    page.keyboard.press("Enter")
    assert state()[1] == pytest.approx(0.68 * 1.25, abs=0.1)
    page.keyboard.press("Control+Equal")  # the browser's own zoom is left alone
    assert state()[1] == pytest.approx(0.68 * 1.25, abs=0.1)


def test_the_monitors_replay_shows_its_small_diagram_whole_at_every_epoch(pages, open_page):
    page = open_page(pages["kidcreative monitor"][0])
    count = int(page.get_attribute("#slider", "max")) + 1
    assert count == 4
    for frame in range(count):
        boxes = page.eval_on_selector_all(
            "#picture svg g.node", "nodes => nodes.map(n => {const b = n.getBoundingClientRect(); "
            "return [b.left, b.top, b.right, b.bottom]})")
        where = page.evaluate(WHERE)
        assert where["frame"] == frame and where["scale"] >= 0.5 and not where["pageScrolled"]
        assert len(boxes) == 7  # five nodes and the legend's two
        for box in boxes:
            assert inside(box, where["viewport"]) and inside(box, where["visible"]), (frame, box)
        page.keyboard.press("ArrowRight")


def test_the_monitors_replay_of_a_long_chain_keeps_the_readers_place(pages, open_page):
    """A 50-block chain is far wider than the screen: the player shows it readable (50 % or
    more) and, as no node is the step's, keeps where the reader scrolled to from epoch to
    epoch; fit, when asked, shows every node inside the viewport."""
    page = open_page(pages["chain monitor"][0])
    assert page.evaluate(WHERE)["scale"] >= 0.5
    page.eval_on_selector("#picture", "p => { p.scrollLeft = p.scrollWidth / 2; }")
    place = page.eval_on_selector("#picture", "p => p.scrollLeft")
    assert place > 1000
    names = "nodes => nodes.filter(n => { const b = n.getBoundingClientRect(); " \
            "return b.left >= 0 && b.right <= window.innerWidth; }).map(n => n.querySelector('title').textContent)"
    shown = page.eval_on_selector_all("#picture svg g.node", names)
    assert len(shown) >= 4
    for frame in range(1, 3):
        page.keyboard.press("ArrowRight")
        assert page.eval_on_selector("#picture", "p => p.scrollLeft") == place
        assert page.eval_on_selector_all("#picture svg g.node", names) == shown
    page.keyboard.press("f")
    for frame in range(3):
        where = page.evaluate(WHERE)
        boxes = page.eval_on_selector_all(
            "#picture svg g.node", "nodes => nodes.map(n => {const b = n.getBoundingClientRect(); "
            "return [b.left, b.top, b.right, b.bottom]})")
        assert all(inside(box, where["viewport"]) and inside(box, where["visible"]) for box in boxes)
        page.keyboard.press("ArrowLeft")
