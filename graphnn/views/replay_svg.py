"""The replay's pictures: Graphviz draws each distinct content of each node, edge and panel
once, and every frame's SVG is put together from those pieces.

A frame of a replay draws the whole graph in one state, and successive frames differ in a few
nodes and edges and the step panel. Drawing every frame whole costs one drawing of the graph
per frame, ``O(nodes x frames)``: minutes for a chain of a few hundred nodes. Instead,
``frame_svgs(drawing)`` (``drawing``: the ``FrameDrawing`` of ``graphnn.views.replay_drawing``)

1. lays out the first frame of each phase with ``dot`` (every frame of a phase has the same
   nodes, edges, cell sizes and edge directions, hence the same positions: nodes never jump);
2. has Graphviz draw at those positions (``neato -n2``, which draws without laying out, all
   in one run) a few *sheets* per phase, sheet ``j`` drawing every node and edge in its
   ``j``-th distinct content (sheet 0 is the phase's first frame), and each further step
   panel on its own;
3. cuts each picture into its elements' SVG groups (``<g id="node3" class="node">...</g>``)
   and gives every frame as the tuple of its pieces: the SVG's head, its elements' groups
   in the order Graphviz writes a whole frame, the end.

Joined, a frame's pieces are the SVG Graphviz writes for the whole frame drawn at those
positions (tests/test_replay.py checks it). The player stores each distinct piece once.
"""
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Dict, List

from .render import RenderError
from .replay_drawing import PANEL_CLUSTER_ID, run_dot, svg_id

__all__ = ["frame_svgs", "FrameSVGs", "Layout", "layout_of"]


@dataclass(frozen=True)
class Layout:
    """Where ``dot`` put a frame's elements, as Graphviz writes positions: the graph's
    ``bb``, each node's ``pos`` (``nodes``, by name), each edge's ``pos`` and ``lp`` (``edges``,
    in the order the edges were added), each cluster's ``bb`` (``clusters``, by name)."""

    bb: str
    nodes: Dict[str, str]
    edges: List[Dict[str, str]]
    clusters: Dict[str, str]


def layout_of(source, edges):
    """The ``Layout`` ``dot`` gives the DOT text ``source`` whose edges are ``edges`` (``(tail,
    head, ...)`` each, in the order they were added); ``RenderError`` without ``dot``."""
    data = json.loads(run_dot(source, "json"))
    objects = data.get("objects", [])
    names = {o["_gvid"]: o["name"] for o in objects if "_gvid" in o}
    laid = {}  # (tail, head) -> its edges, in the order added (dot numbers them otherwise)
    for edge in sorted(data.get("edges", []), key=lambda e: e["_gvid"]):
        laid.setdefault((names[edge["tail"]], names[edge["head"]]), []).append(
            {name: edge[name] for name in ("pos", "lp") if name in edge})
    return Layout(
        bb=data["bb"],
        nodes={o["name"]: o["pos"] for o in objects if "pos" in o},
        edges=[laid[edge[:2]].pop(0) for edge in edges],
        clusters={o["name"]: o["bb"] for o in objects if "bb" in o and "pos" not in o},
    )


class FrameSVGs(Sequence):
    """Every frame's SVG text (``svgs[i]``, joined on demand: a few hundred frames of a few
    hundred nodes would weigh hundreds of MB joined at once) and its pieces
    (``pieces(i)``, a tuple of strs, shared between frames)."""

    def __init__(self, pieces):
        self._pieces = pieces

    def __len__(self):
        return len(self._pieces)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ["".join(pieces) for pieces in self._pieces[index]]
        return "".join(self._pieces[index])

    def pieces(self, index):
        """Frame ``index``'s SVG as its pieces (a tuple of strs, joined: ``svgs[index]``)."""
        return self._pieces[index]


def frame_svgs(drawing):
    """The ``FrameSVGs`` of every frame of ``drawing`` (see the module's docstring);
    ``RenderError`` without Graphviz."""
    first = {}
    for index, phase in enumerate(drawing.phases):
        first.setdefault(phase, index)
    owner = {svg_id(drawing.keys, k): k for k in range(len(drawing.keys))}
    owner[PANEL_CLUSTER_ID] = drawing.panel
    sources, jobs = [], []  # jobs: (phase, variant, the elements whose variant it draws)
    for phase, index in first.items():
        layout = layout_of(drawing.dot(index).source, drawing.shape.edges)
        counts = [len(variants) for variants in drawing.variants[phase]]
        sheets = max(counts[:drawing.panel], default=1)
        for j in range(sheets):
            choice = [min(j, count - 1) for count in counts]
            sources.append(drawing.diagram(phase, choice, layout).source)
            jobs.append((phase, j, {k for k, count in enumerate(counts) if j < count}))
        for v in range(sheets, counts[drawing.panel]):  # each further step's panel alone
            choice = [0] * drawing.panel + [v]
            sources.append(drawing.diagram(phase, choice, layout, elements=[drawing.panel], ids=True).source)
            jobs.append((phase, v, {drawing.panel}))
    pieces, frame_of = {}, {}  # (phase, SVG id, variant) -> the group's text; phase -> (head, ids, end)
    for (phase, variant, kept), picture in zip(jobs, _draw(sources)):
        head, groups, end = _cut(picture)
        if phase not in frame_of:  # the phase's first sheet: a whole frame, in Graphviz's order
            frame_of[phase] = (head, [gid for gid, _ in groups], end)
        for gid, text in groups:
            if owner.get(gid) in kept:
                pieces[(phase, gid, variant)] = text
    frames = []
    for phase, chosen in zip(drawing.phases, drawing.chosen):
        head, ids, end = frame_of[phase]
        try:
            frames.append((head, *(pieces[(phase, gid, chosen[owner[gid]])] for gid in ids), end))
        except KeyError as missing:
            raise RenderError(f"the replay's pictures: Graphviz drew no SVG group {missing} "
                              "where one was expected (an unexpected Graphviz version?)") from None
    return FrameSVGs(frames)


def _draw(sources):
    """The SVG pictures Graphviz draws of the positioned DOT texts ``sources``, in one run."""
    text = run_dot("".join(sources), "svg", engine="neato")
    pictures = ["<?xml" + part for part in text.split("<?xml")[1:]]
    if len(pictures) != len(sources):
        raise RenderError(f"Graphviz 'neato' gave {len(pictures)} pictures for {len(sources)} drawings")
    return pictures


_OPEN = re.compile(r'<g id="([^"]*)"')


def _cut(svg):
    """``(head, [(id, group)], end)``: the SVG text of one picture cut into its head (up to
    the graph's background), the graph's top-level groups (each with the comment before it)
    and its end; joined, they are ``svg``."""
    lines = svg.splitlines(keepends=True)
    top = next((i for i, line in enumerate(lines) if line.startswith("<g ")), None)
    if top is None:
        raise RenderError("the replay's pictures: Graphviz wrote an SVG without a graph group")
    groups, depth, begin, gid, start = [], 0, None, None, None
    for i in range(top + 1, len(lines)):
        line = lines[i]
        if depth == 0 and line.startswith("<!--") and begin is None:
            begin = i  # the comment naming the element that follows
        if line.startswith("<g"):
            if depth == 0:
                begin = i if begin is None else begin
                start = begin if start is None else start
                gid = _OPEN.match(line).group(1)
            depth += 1
        elif line.startswith("</g>"):
            if depth == 0:  # the graph's own end
                end = i
                break
            depth -= 1
            if depth == 0:
                groups.append((gid, "".join(lines[begin:i + 1])))
                begin = None
    else:
        raise RenderError("the replay's pictures: Graphviz wrote an SVG whose graph group does not end")
    first = start if start is not None else end
    head, tail = "".join(lines[:first]), "".join(lines[end:])
    if head + "".join(text for _, text in groups) + tail != svg:
        raise RenderError("the replay's pictures: an SVG from Graphviz could not be cut into its elements")
    return head, groups, tail
