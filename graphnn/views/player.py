"""A self-contained HTML player for a sequence of pictures: one frame at a time, with buttons.

Generic: it knows nothing of graphs. Give it frames, each an SVG picture and a one-sentence
caption (and, optionally, a little HTML shown under the caption), and it writes one HTML
file that needs no network (no CDN, no fonts, no scripts from elsewhere) and works when
opened from a ``file://`` address: buttons for the first, previous and next frame and for
play/pause, a slider, the left and right arrow keys (space plays and pauses), the caption
and the frame number. In Jupyter a ``Player`` displays as itself, inline (``_repr_html_``).

The API (kept stable: the replay of a pass and the training monitor both use it):

- ``Frame(svg, caption, html="")``: one frame. ``svg``: an SVG document or fragment (the
  ``<?xml ...?>`` prolog and DOCTYPE Graphviz writes are dropped); ``caption``: plain text,
  escaped; ``html``: extra HTML under the caption, inserted as given (trusted).
- ``Player(frames, title="", header_html="", interval=1.0)``: ``frames`` is a list of
  ``Frame`` or of ``(svg, caption)`` / ``(svg, caption, html)`` tuples (at least one);
  ``title``: the page's title and heading; ``header_html``: HTML shown above the picture
  (a legend, say), as given; ``interval``: seconds between frames when playing.
- ``Player.html()``: the whole page, a string (the same frames give the same bytes);
  ``Player.save(path)``: writes it (UTF-8) and returns the ``pathlib.Path``; a path in a
  directory that does not exist is a ``FileNotFoundError`` naming it;
  ``Player._repr_html_()``: the page in an ``<iframe srcdoc=...>``, for Jupyter;
  ``len(player)``, ``player.frames``.

Encoding: successive frames of an animation mostly repeat each other, so the page stores
every distinct line of SVG once, and each frame as runs of indices into that table
(``[start, count, start, count, ...]``); the script rebuilds a frame's SVG when it is shown.
A frame that changes a few lines of the one before costs a few numbers, not a whole SVG.

>>> svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
>>> player = Player([(svg, "the first frame"), Frame(svg, "the second", "<b>!</b>")], title="Demo")
>>> len(player), player.frames[1].caption
(2, 'the second')
>>> page = player.html()
>>> page.startswith("<!DOCTYPE html>") and "the first frame" in page and "http" not in page.replace(
...     "http://www.w3.org/2000/svg", "")
True
"""
import html as _html
import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Frame", "Player"]


@dataclass(frozen=True)
class Frame:
    """One frame of a ``Player``: an SVG picture, a plain-text caption, and optional extra
    HTML shown under the caption (inserted as given)."""

    svg: str
    caption: str
    html: str = ""


_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)  # <?xml ...?>, <!DOCTYPE ...>, comments


class Player:
    """The frames and the page that plays them; see the module's docstring for the API."""

    def __init__(self, frames, title="", header_html="", interval=1.0):
        self.frames = [_as_frame(frame, index) for index, frame in enumerate(frames)]
        if not self.frames:
            raise ValueError("Player: no frames to play (give a list of at least one frame)")
        if not interval > 0:
            raise ValueError(f"Player: interval must be a positive number of seconds, got {interval!r}")
        self.title = str(title)
        self.header_html = str(header_html)
        self.interval = float(interval)

    def __len__(self):
        return len(self.frames)

    def html(self):
        """The page: one self-contained HTML document (a string)."""
        lines, runs = _encode([_PROLOG.sub("", frame.svg, count=1) for frame in self.frames])
        data = {
            "lines": lines, "runs": runs, "interval": round(self.interval * 1000),
            "captions": [frame.caption for frame in self.frames],
            "extras": [frame.html for frame in self.frames],
        }
        # "</" inside a <script> element would end it: JSON may write it as "<\/"
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
        title = _html.escape(self.title)
        heading = f"<h1>{title}</h1>" if title else ""
        return _PAGE.format(
            title=title or "player", heading=heading, header=self.header_html,
            count=len(self.frames), last=len(self.frames) - 1, style=_STYLE, script=_SCRIPT,
            data=payload,
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


def _encode(svgs):
    """Every distinct line once (in order of first use), and each picture as runs of
    consecutive line indices, ``[start, count, ...]``."""
    index, lines, runs = {}, [], []
    for svg in svgs:
        frame = []
        for line in svg.split("\n"):
            i = index.get(line)
            if i is None:
                i = index[line] = len(lines)
                lines.append(line)
            if frame and frame[-2] + frame[-1] == i:
                frame[-1] += 1
            else:
                frame += [i, 1]
        runs.append(frame)
    return lines, runs


_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 0.8em; color: #222; }
h1 { font-size: 1.25em; margin: 0 0 0.4em 0; }
#controls { display: flex; align-items: center; gap: 0.4em; flex-wrap: wrap;
            position: sticky; top: 0; background: white; padding: 0.3em 0; z-index: 1; }
#controls button { font-size: 1em; min-width: 2.6em; padding: 0.2em 0.5em; cursor: pointer; }
#slider { flex: 1; min-width: 10em; }
#number { font-variant-numeric: tabular-nums; min-width: 6em; text-align: right; }
#caption { font-size: 1.05em; margin: 0.3em 0; min-height: 1.4em; }
#extra { margin: 0.2em 0 0.5em 0; font-size: 0.92em; }
#picture { overflow: auto; border-top: 1px solid #eee; padding-top: 0.4em; }
#picture svg { max-width: 100%; height: auto; }
.hint { color: #777; font-size: 0.85em; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("frames").textContent);
  var count = data.runs.length, current = -1, timer = null;
  var picture = document.getElementById("picture"), slider = document.getElementById("slider");
  var caption = document.getElementById("caption"), extra = document.getElementById("extra");
  var number = document.getElementById("number"), play = document.getElementById("play");
  function svgOf(i) {
    var runs = data.runs[i], out = [];
    for (var r = 0; r < runs.length; r += 2) {
      for (var k = runs[r]; k < runs[r] + runs[r + 1]; k++) { out.push(data.lines[k]); }
    }
    return out.join("\\n");
  }
  function show(i) {
    i = Math.max(0, Math.min(count - 1, i));
    if (i === current) { return; }
    current = i;
    picture.innerHTML = svgOf(i);
    caption.textContent = data.captions[i];
    extra.innerHTML = data.extras[i];
    number.textContent = "frame " + (i + 1) + " / " + count;
    slider.value = String(i);
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
  document.getElementById("first").addEventListener("click", function () { stop(); show(0); });
  document.getElementById("prev").addEventListener("click", function () { stop(); show(current - 1); });
  document.getElementById("next").addEventListener("click", function () { stop(); show(current + 1); });
  document.getElementById("last").addEventListener("click", function () { stop(); show(count - 1); });
  play.addEventListener("click", toggle);
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  document.addEventListener("keydown", function (event) {
    if (event.target === slider && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      event.preventDefault();  // the slider would move too: one step per key press
    }
    if (event.key === "ArrowRight") { stop(); show(current + 1); }
    else if (event.key === "ArrowLeft") { stop(); show(current - 1); }
    else if (event.key === "Home") { stop(); show(0); }
    else if (event.key === "End") { stop(); show(count - 1); }
    else if (event.key === " " && event.target.tagName !== "BUTTON") { event.preventDefault(); toggle(); }
  });
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
<button id="first" type="button" title="first frame (Home)">|&#x25C0;</button>
<button id="prev" type="button" title="previous frame (left arrow)">&#x25C0;</button>
<button id="play" type="button" title="play (space)">&#x25B6;</button>
<button id="next" type="button" title="next frame (right arrow)">&#x25B6;&#x25B6;</button>
<button id="last" type="button" title="last frame (End)">&#x25B6;|</button>
<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="frame">
<span id="number">frame 1 / {count}</span>
</div>
<div id="caption"></div>
<div id="extra"></div>
<div id="picture"></div>
<p class="hint">Keys: left and right arrows step, space plays and pauses, Home and End jump.</p>
<script type="application/json" id="frames">{data}</script>
<script>{script}</script>
</body>
</html>
"""
