"""A self-contained HTML player for a sequence of pictures: one frame at a time, with buttons.

Generic: it knows nothing of graphs. Give it frames, each an SVG picture and a one-sentence
caption (and, optionally, a little HTML shown under the caption), and it writes one HTML
file that needs no network (no CDN, no fonts, no scripts from elsewhere) and works when
opened from a ``file://`` address: buttons for the first, previous and next frame and for
play/pause, a slider, the left and right arrow keys (space plays and pauses), the caption
and the frame number. In Jupyter a ``Player`` displays as itself, inline (``_repr_html_``).

The page fits the window: the picture takes the room left under the controls and scrolls
inside it, the page itself does not. Zoom: buttons and keys for out (``-``), in (``+``),
``fit`` (``F``: the whole picture, however small) and ``100 %`` (``1``: its natural size);
by default the whole picture when that leaves it at least half its size, else its width fitted
(between 50 % and 100 %). Every frame is shown at the same scale. **The focus**: an element of
a frame's SVG with the class ``focus`` (Graphviz: the attribute ``class="focus"``; the replay
of a pass gives it to the step's node) is centred in the picture's area at every frame and
zoom, wherever the picture is larger than the area; a frame without one keeps the place the
reader scrolled to. **The panel**: the elements of class ``panel`` (the replay's step panel,
its border and its text) are kept in view too: when they are not wholly visible, a copy of
them is shown over the picture, in a corner of the area beside the focus (never over it),
shrunk if it must be, down to 40 %.

The API (kept stable: the replay of a pass and the training monitor both use it):

- ``Frame(svg, caption, html="")``: one frame. ``svg``: an SVG document or fragment (the
  ``<?xml ...?>`` prolog and DOCTYPE Graphviz writes are dropped), or a tuple of strs whose
  concatenation is one (its *pieces*: the prolog, if any, in the first); ``caption``: plain
  text, escaped; ``html``: extra HTML under the caption, inserted as given (trusted).
- ``Player(frames, title="", header_html="", interval=1.0)``: ``frames`` is a list of
  ``Frame`` or of ``(svg, caption)`` / ``(svg, caption, html)`` tuples (at least one);
  ``title``: the page's title and heading; ``header_html``: HTML shown above the picture
  (a legend, say), as given; ``interval``: seconds between frames when playing.
- ``Player.html()``: the whole page, a string (the same frames give the same bytes);
  ``read_page(html)``: the ``Frame``\\ s of a page (each SVG as one str), ``page_data(html)``:
  what its script reads (``pieces``, ``frames``, ``captions``, ``extras``, ``interval``);
  ``Player.save(path)``: writes it (UTF-8) and returns the ``pathlib.Path``; a path in a
  directory that does not exist is a ``FileNotFoundError`` naming it;
  ``Player._repr_html_()``: the page in an ``<iframe srcdoc=...>``, for Jupyter;
  ``len(player)``, ``player.frames``.

Encoding (``graphnn.views.player_data``): the page stores every distinct piece of SVG once
(a frame given as a str is cut into its lines; the replay of a pass gives each node's and
edge's drawing as a piece) and each frame as its changes from the frame before, so a frame
that changes a few pieces costs a few numbers; these are compressed (``zlib``'s DEFLATE)
and written in base64 (the captions stay plain), and the page's script decodes them synchronously
(``graphnn.views.inflate``): no network, no browser feature beyond ``atob`` and
``TextDecoder``.

>>> svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
>>> player = Player([(svg, "the first frame"), Frame(svg, "the second", "<b>!</b>")], title="Demo")
>>> len(player), player.frames[1].caption
(2, 'the second')
>>> page = player.html()
>>> page.startswith("<!DOCTYPE html>") and "the first frame" in page and "http" not in page.replace(
...     "http://www.w3.org/2000/svg", "")
True
>>> [(frame.caption, frame.svg == svg) for frame in read_page(page)]  # as the page's script reads it
[('the first frame', True), ('the second', True)]
"""
import html as _html
import math
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Tuple, Union

from .inflate import INFLATE_JS
from .player_data import FRAMES_ELEMENT, decode, encode, pack, page_data, page_json, pieces_of

__all__ = ["Frame", "Player", "page_data", "read_page"]


@dataclass(frozen=True)
class Frame:
    """One frame of a ``Player``: an SVG picture, a plain-text caption, and optional extra
    HTML shown under the caption (inserted as given)."""

    svg: Union[str, Tuple[str, ...]]
    caption: str
    html: str = ""



class Player:
    """The frames and the page that plays them; see the module's docstring for the API."""

    def __init__(self, frames, title="", header_html="", interval=1.0):
        self.frames = [_as_frame(frame, index) for index, frame in enumerate(frames)]
        if not self.frames:
            raise ValueError("Player: no frames to play (give a list of at least one frame)")
        if (isinstance(interval, bool) or not isinstance(interval, numbers.Real)
                or not 0 < interval < math.inf):  # inf would play nothing, and fail to write
            raise ValueError(f"Player: interval must be a positive, finite number of seconds, got {interval!r}")
        self.title = str(title)
        self.header_html = str(header_html)
        self.interval = float(interval)

    def __len__(self):
        return len(self.frames)

    def html(self):
        """The page: one self-contained HTML document (a string)."""
        pieces, changes = encode([pieces_of(frame.svg) for frame in self.frames])
        payload = page_json({
            "pictures": pack({"pieces": pieces, "frames": changes}),  # compressed, in base64
            "interval": round(self.interval * 1000),
            "captions": [frame.caption for frame in self.frames],
            "extras": [frame.html for frame in self.frames],
        })
        title = _html.escape(self.title)
        heading = f"<h1>{title}</h1>" if title else ""
        return _PAGE.format(
            title=title or "player", heading=heading, header=self.header_html,
            count=len(self.frames), last=len(self.frames) - 1, style=_STYLE,
            script=INFLATE_JS + _SCRIPT, frames=FRAMES_ELEMENT.format(data=payload),
        )

    def save(self, path):
        """Write the page to ``path`` (UTF-8); returns it as a ``pathlib.Path``."""
        path = Path(path)
        if not path.parent.is_dir():
            raise FileNotFoundError(
                f"cannot write the player to {str(path)!r}: the directory "
                f"{str(path.parent)!r} does not exist (create it first)"
            )
        path.write_text(self.html(), encoding="utf-8")
        return path

    def _repr_html_(self):
        """Jupyter: the page inline, in an iframe (its script and keys stay its own)."""
        return (f'<iframe srcdoc="{_html.escape(self.html(), quote=True)}" '
                'style="width:100%;height:640px;border:1px solid #ddd" '
                f'title="{_html.escape(self.title or "player", quote=True)}"></iframe>')


def _as_frame(frame, index):
    if isinstance(frame, Frame):
        return frame
    if isinstance(frame, (tuple, list)) and len(frame) in (2, 3):
        return Frame(*(str(part) for part in frame))
    raise TypeError(
        f"Player: frame {index} must be a Frame or a (svg, caption[, html]) tuple, "
        f"got {type(frame).__name__}"
    )


def read_page(html):
    """The ``Frame``\\ s of a page ``Player.html()`` wrote, each SVG as one str, decoded as the
    page's script decodes them (the prolog the player drops is not there)."""
    data = page_data(html)
    return [Frame(svg, caption, extra)
            for svg, caption, extra in zip(decode(data), data["captions"], data["extras"])]


_STYLE = """
html, body { height: 100%; }
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 0; padding: 0.6em 0.8em; box-sizing: border-box; color: #222;
       display: flex; flex-direction: column; }
h1 { font-size: 1.2em; margin: 0 0 0.3em 0; }
#header > :first-child { margin-top: 0; }
#header > :last-child { margin-bottom: 0.3em; }
#controls { display: flex; align-items: center; gap: 0.4em; flex-wrap: wrap; padding: 0.2em 0; }
#controls button { font-size: 1em; min-width: 2.6em; padding: 0.2em 0.5em; cursor: pointer; }
#controls button[aria-pressed="true"] { background: #dde8f6; border-color: #4a78b0; }
#controls .gap { width: 0.6em; }
#slider { flex: 1; min-width: 10em; }
#number, #zoom-level { font-variant-numeric: tabular-nums; text-align: right; }
#number { min-width: 6em; }
#zoom-level { min-width: 3.5em; }
#caption { font-size: 1.05em; margin: 0.25em 0; min-height: 2.7em; }  /* two lines: a longer
   caption does not move the picture */
#extra { margin: 0.1em 0 0.3em 0; font-size: 0.92em; }
#extra:empty { display: none; }
#stage { flex: 1 1 0; min-height: 12em; position: relative; border-top: 1px solid #eee; }
#picture { position: absolute; top: 0; right: 0; bottom: 0; left: 0; overflow: auto;
           padding-top: 0.3em; }
#pinned { position: absolute; background: rgba(255, 255, 255, 0.95); border-radius: 6px;
          box-shadow: 0 1px 6px rgba(0, 0, 0, 0.3); pointer-events: none; }
#pinned svg { display: block; }
#picture:focus-visible { outline: 2px solid #4a78b0; outline-offset: -2px; }
#picture svg { display: block; }
.hint { color: #777; font-size: 0.85em; margin: 0.3em 0 0 0; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("frames").textContent);
  var pictures = JSON.parse(unpack(data.pictures));  // the SVG's pieces and each frame's changes
  var count = pictures.frames.length, current = -1, timer = null;
  var picture = document.getElementById("picture"), slider = document.getElementById("slider");
  var caption = document.getElementById("caption"), extra = document.getElementById("extra");
  var number = document.getElementById("number"), play = document.getElementById("play");
  var level = document.getElementById("zoom-level"), pinned = document.getElementById("pinned");
  var stage = document.getElementById("stage");
  var fitButton = document.getElementById("fit"), fullButton = document.getElementById("full");
  // zoom: "auto" (fit if that leaves the picture at least MIN_AUTO of its size, else fit the
  // width, between MIN_AUTO and 100 %), "fit" (the whole picture, however small) or a scale
  var MIN_AUTO = 0.5, STEP = 1.25, SMALLEST = 0.05, LARGEST = 4;
  var MIN_PIN = 0.4;  // the panel's copy is not shown smaller than this share of its size
  var zoom = "auto", scale = 1, natural = null;
  var frames = decode(pictures.frames);
  function decode(changes) {
    // each frame's piece numbers, from its changes to the frame before (k >= 0: piece k;
    // -1 - start, count: that run of the frame before)
    var decoded = [], before = [];
    for (var f = 0; f < changes.length; f++) {
      var ops = changes[f], after = [];
      for (var o = 0; o < ops.length; o++) {
        if (ops[o] >= 0) { after.push(ops[o]); continue; }
        var from = -1 - ops[o], to = from + ops[++o];
        for (var k = from; k < to; k++) { after.push(before[k]); }
      }
      decoded.push(after);
      before = after;
    }
    return decoded;
  }
  function svgOf(i) {
    var out = [];
    for (var k = 0; k < frames[i].length; k++) { out.push(pictures.pieces[frames[i][k]]); }
    return out.join("");
  }
  function svg() { return picture.querySelector("svg"); }
  function naturalSize(element) {  // the size the picture asks for, in CSS pixels
    var w = 0, h = 0;
    try { w = element.width.baseVal.value; h = element.height.baseVal.value; } catch (e) {}
    if (!(w > 0 && h > 0)) { var box = element.getBoundingClientRect(); w = box.width; h = box.height; }
    if (!element.hasAttribute("viewBox")) { element.setAttribute("viewBox", "0 0 " + w + " " + h); }
    return { w: w || 1, h: h || 1 };
  }
  function room() {  // the picture's area, inside its padding and scroll bars
    var style = getComputedStyle(picture);
    return { w: Math.max(1, picture.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)),
             h: Math.max(1, picture.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom)) };
  }
  function fitScale() {
    var r = room();
    return Math.min(1, r.w / natural.w, r.h / natural.h);
  }
  function chosenScale() {
    if (zoom === "fit") { return fitScale(); }
    if (zoom === "auto") {
      var whole = fitScale();
      if (whole >= MIN_AUTO) { return whole; }
      return Math.max(MIN_AUTO, Math.min(1, room().w / natural.w));
    }
    return zoom;
  }
  function focus() { var s = svg(); return s ? s.querySelector(".focus") : null; }
  function keepInView() {
    // the frame's focus (an element of class "focus"), centred in the picture's area along
    // every direction in which the picture is larger than the area; none: the reader's place
    var target = focus();
    if (target === null) { return; }
    var box = target.getBoundingClientRect(), area = picture.getBoundingClientRect();
    var style = getComputedStyle(picture);
    var top = area.top + picture.clientTop + parseFloat(style.paddingTop);
    var left = area.left + picture.clientLeft + parseFloat(style.paddingLeft);
    var r = room();
    picture.scrollTop += (box.top + box.height / 2) - (top + r.h / 2);
    picture.scrollLeft += (box.left + box.width / 2) - (left + r.w / 2);
  }
  function area() {  // the picture's visible area, in the window's coordinates
    var box = picture.getBoundingClientRect();
    var left = box.left + picture.clientLeft, top = box.top + picture.clientTop;
    return { left: left, top: top, right: left + picture.clientWidth, bottom: top + picture.clientHeight };
  }
  function within(box, room) {
    return box.left >= room.left - 0.5 && box.top >= room.top - 0.5 &&
           box.right <= room.right + 0.5 && box.bottom <= room.bottom + 0.5;
  }
  function pin() {
    // the frame's panel (its elements of class "panel"), when it is not wholly in view: a
    // copy over the picture, in a corner of the area, beside the focus (never over it)
    pinned.hidden = true;
    pinned.textContent = "";
    var s = svg(), parts = s ? s.querySelectorAll(".panel") : [];
    if (!parts.length) { return; }
    for (var v = 0; v < parts.length; v++) { parts[v].style.visibility = ""; }
    var room = area(), seen = null, inner = null;
    for (var i = 0; i < parts.length; i++) {
      var b = parts[i].getBoundingClientRect(), u = parts[i].getBBox();
      seen = seen ? { left: Math.min(seen.left, b.left), top: Math.min(seen.top, b.top),
                      right: Math.max(seen.right, b.right), bottom: Math.max(seen.bottom, b.bottom) }
                  : { left: b.left, top: b.top, right: b.right, bottom: b.bottom };
      inner = inner ? { x0: Math.min(inner.x0, u.x), y0: Math.min(inner.y0, u.y),
                        x1: Math.max(inner.x1, u.x + u.width), y1: Math.max(inner.y1, u.y + u.height) }
                    : { x0: u.x, y0: u.y, x1: u.x + u.width, y1: u.y + u.height };
    }
    if (within(seen, room)) { return; }
    var pad = 4, per = s.getBoundingClientRect().width / (s.viewBox.baseVal.width || 1), m = 6;
    var w = (inner.x1 - inner.x0 + 2 * pad) * per, h = (inner.y1 - inner.y0 + 2 * pad) * per;
    var target = focus(), f = target ? target.getBoundingClientRect() : null;
    // the room beside the focus (right of it, above, below, left of it; all of it without
    // one), and the scale at which the copy fits there: the largest wins, if at least MIN_PIN
    var W = room.right - room.left - 2 * m, H = room.bottom - room.top - 2 * m;
    var bands = f === null ? [[W, H, "right", "top"]] : [
      [room.right - f.right - 2 * m, H, "right", "top"], [W, f.top - room.top - 2 * m, "right", "top"],
      [W, room.bottom - f.bottom - 2 * m, "right", "bottom"], [f.left - room.left - 2 * m, H, "left", "top"]];
    var best = null;
    for (var c = 0; c < bands.length; c++) {
      var fit = Math.min(1, bands[c][0] / w, bands[c][1] / h);
      if (best === null || fit > best.fit) { best = { fit: fit, x: bands[c][2], y: bands[c][3] }; }
    }
    if (best.fit < MIN_PIN) { return; }
    var cw = w * best.fit, ch = h * best.fit;
    var copy = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    copy.setAttribute("viewBox", [inner.x0 - pad, inner.y0 - pad, inner.x1 - inner.x0 + 2 * pad,
                                  inner.y1 - inner.y0 + 2 * pad].join(" "));
    copy.setAttribute("width", String(cw)); copy.setAttribute("height", String(ch));
    for (var k = 0; k < parts.length; k++) {
      copy.appendChild(parts[k].cloneNode(true));
      parts[k].style.visibility = "hidden";  // the copy stands for it: no half panel under it
    }
    pinned.appendChild(copy);
    var origin = stage.getBoundingClientRect();
    var left = best.x === "right" ? room.right - m - cw : room.left + m;
    var top = best.y === "top" ? room.top + m : room.bottom - m - ch;
    pinned.style.left = (left - origin.left) + "px";
    pinned.style.top = (top - origin.top) + "px";
    pinned.hidden = false;
  }
  var pending = false;
  picture.addEventListener("scroll", function () {  // the reader scrolls: the copy follows
    if (pending) { return; }
    pending = true;
    requestAnimationFrame(function () { pending = false; pin(); });
  });
  function layout() {
    var s = svg();
    if (s === null) { return; }
    // a frame just shown still has its own width and height (a later layout of the same frame,
    // after a zoom or a resize, reuses what was read)
    if (natural === null || s.hasAttribute("width")) { natural = naturalSize(s); }
    else if (!s.hasAttribute("viewBox")) { s.setAttribute("viewBox", "0 0 " + natural.w + " " + natural.h); }
    scale = chosenScale();
    s.style.width = (natural.w * scale) + "px";
    s.style.height = (natural.h * scale) + "px";
    s.removeAttribute("width"); s.removeAttribute("height");
    level.textContent = Math.round(scale * 100) + " %";
    document.body.setAttribute("data-zoom", typeof zoom === "number" ? String(Math.round(zoom * 100)) : zoom);
    document.body.setAttribute("data-scale", String(scale));
    fitButton.setAttribute("aria-pressed", String(zoom === "fit"));
    fullButton.setAttribute("aria-pressed", String(scale === 1 && zoom !== "fit"));
    keepInView();
    pin();
  }
  function setZoom(value) {
    if (typeof value === "number") { value = Math.max(SMALLEST, Math.min(LARGEST, value)); }
    zoom = value;
    layout();
  }
  function show(i) {
    i = Math.max(0, Math.min(count - 1, i));
    if (i === current) { return; }
    current = i;
    var scrollTop = picture.scrollTop, scrollLeft = picture.scrollLeft;
    picture.innerHTML = svgOf(i);
    picture.scrollTop = scrollTop; picture.scrollLeft = scrollLeft;
    caption.textContent = data.captions[i];
    extra.innerHTML = data.extras[i];
    number.textContent = "frame " + (i + 1) + " / " + count;
    slider.value = String(i);
    layout();
    document.body.setAttribute("data-frame", String(i));
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "\\u25B6"; play.title = "play (space)";
  }
  function toggle() {
    if (timer !== null) { stop(); return; }
    if (current === count - 1) { show(0); }
    play.textContent = "||"; play.title = "pause (space)";
    timer = setInterval(function () {
      if (current >= count - 1) { stop(); } else { show(current + 1); }
    }, data.interval);
  }
  function click(id, action) { document.getElementById(id).addEventListener("click", action); }
  click("first", function () { stop(); show(0); });
  click("prev", function () { stop(); show(current - 1); });
  click("next", function () { stop(); show(current + 1); });
  click("last", function () { stop(); show(count - 1); });
  click("zoom-out", function () { setZoom(scale / STEP); });
  click("zoom-in", function () { setZoom(scale * STEP); });
  click("fit", function () { setZoom("fit"); });
  click("full", function () { setZoom(1); });
  play.addEventListener("click", toggle);
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }  // the browser's own zoom
    if (event.target === slider && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      event.preventDefault();  // the slider would move too: one step per key press
    }
    var key = event.key;
    if (key === "ArrowRight") { stop(); show(current + 1); }
    else if (key === "ArrowLeft") { stop(); show(current - 1); }
    else if (key === "Home") { event.preventDefault(); stop(); show(0); }
    else if (key === "End") { event.preventDefault(); stop(); show(count - 1); }
    else if (key === " " && event.target.tagName !== "BUTTON") { event.preventDefault(); toggle(); }
    else if (key === "+" || key === "=") { setZoom(scale * STEP); }
    else if (key === "-" || key === "_") { setZoom(scale / STEP); }
    else if (key === "f" || key === "F") { setZoom("fit"); }
    else if (key === "0" || key === "1") { setZoom(1); }
  });
  window.addEventListener("resize", function () { layout(); });
  show(0);
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
{heading}
<div id="header">{header}</div>
<div id="controls">
<button id="first" type="button" title="first frame (Home)" aria-label="first frame">|&#x25C0;</button>
<button id="prev" type="button" title="previous frame (left arrow)" aria-label="previous frame">&#x25C0;</button>
<button id="play" type="button" title="play (space)" aria-label="play or pause">&#x25B6;</button>
<button id="next" type="button" title="next frame (right arrow)" aria-label="next frame">&#x25B6;&#x25B6;</button>
<button id="last" type="button" title="last frame (End)" aria-label="last frame">&#x25B6;|</button>
<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="frame">
<span id="number">frame 1 / {count}</span>
<span class="gap"></span>
<button id="zoom-out" type="button" title="zoom out (-)" aria-label="zoom out">&#x2212;</button>
<span id="zoom-level" aria-live="polite" title="zoom">100 %</span>
<button id="zoom-in" type="button" title="zoom in (+)" aria-label="zoom in">+</button>
<button id="fit" type="button" title="the whole picture (F)" aria-pressed="false">fit</button>
<button id="full" type="button" title="natural size (1)" aria-pressed="false">100 %</button>
</div>
<div id="caption" aria-live="polite"></div>
<div id="extra"></div>
<div id="stage">
<div id="picture" tabindex="0" role="region" aria-label="picture of the frame"></div>
<div id="pinned" aria-hidden="true" hidden></div>
</div>
<p class="hint">Keys: left and right arrows step, space plays and pauses, Home and End jump;
+ and &#x2212; zoom, F fits the whole picture, 1 shows it at its natural size.</p>
{frames}
<script>{script}</script>
</body>
</html>
"""
