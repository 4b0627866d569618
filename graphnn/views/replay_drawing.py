"""How a frame of the replay of a pass is drawn: ``draw_frames`` gives each
``graphnn.views.replay.ReplayFrame`` its ``dot``.

Every frame draws the whole graph with the drawing kit (``graphnn.views.drawing``), in the
state after its step: nodes computed so far filled in their kind's colour, nodes not reached
white and grey, the step's node yellow with a red border; edges carry shapes (forward) or
the gradients sent so far (backward); a panel gives the step's numbers and its local rule.

Nodes never jump: every label and every edge label is a fixed-size cell, as large as its
largest content over all frames (measured once by Graphviz, ``run_dot``), so ``dot`` lays
out every frame the same way.
"""
import html
import json
import math
import re

import graphviz
import numpy as np

from .drawing import (
    EDGE_FONTSIZE, FONT, KIND_STYLE, NO_GRADIENT, SMALL, escape, format_number, gradient_colour,
    graph_edges, html_label, mean, mean_abs, new_diagram, node_kind, norm, penwidth, slot_label,
)
from .render import RenderError
from .._validation import describe_shape
from ..core import INPUT, OBJECTIVE
from ..core.plan import FUSED_STEP

__all__ = ["draw_frames", "run_dot", "frame_svgs", "describe_value"]

# the step's node; its SVG group gets the class "focus", which the player keeps in view
_CURRENT = {"fillcolor": "#fff3a0", "color": "#d62728", "penwidth": "3", "class": "focus"}
_PENDING = dict(fillcolor="#ffffff", color="#b0b0b0", fontcolor="#9a9a9a")
_NOT_YET = dict(style="dotted", color="#c0c0c0", fontcolor="#9a9a9a", dir="back")
_GREY = "#8a8a8a"
_PANEL_NODE = "(step)"  # characters no graph node name may have, like the legend's


def draw_frames(graph, frames, rankdir):
    """Give every frame of ``frames`` (``ReplayFrame``s of ``graph``'s last pass, in order)
    its ``dot``, a ``Diagram`` running in direction ``rankdir`` (one of ``RANKDIRS``):
    contents first, then every cell sized to its largest over all frames. Returns ``None``."""
    shape = _Shape(graph)
    carrying = _carrying(graph, shape.edges)
    contents = [_contents(graph, frame, carrying, shape) for frame in frames]
    sizes = _measure(contents)
    for frame, content in zip(frames, contents):
        dot = new_diagram(graph, rankdir, "replay")
        for name in shape.nodes:
            rows, style = content[("node", name)]
            dot.node(name, label=_cell(rows, sizes[("node", name)]), **style)
        for edge in shape.edges:
            rows, style = content[("edge", edge)]
            dot.edge(edge[0], edge[1], label=_cell(rows, sizes[("edge", edge)]), **style)
        with dot.subgraph(name="cluster_step") as panel:
            # class "panel" (its border and its text): the player keeps a copy in view
            panel.attr(label="", style="rounded", color="#bbbbbb", margin="6", **{"class": "panel"})
            rows, _ = content[("panel",)]
            panel.node(_PANEL_NODE, label=_cell(rows, sizes[("panel",)], align="LEFT"),
                       shape="plaintext", margin="0", **{"class": "panel"})
        frame.dot = dot


class _Shape:
    """What every frame reads of the graph, read once: the nodes in order, their kinds and
    descriptions, the edges (``graph_edges``) and their slot labels, whether each node has
    several inputs."""

    def __init__(self, graph):
        self.nodes = graph.nodes
        self.order = {name: i for i, name in enumerate(self.nodes)}
        self.kinds = {name: node_kind(graph, name) for name in self.nodes}
        self.described = {name: escape("input" if kind == INPUT else graph.op(name).describe())
                          for name, kind in self.kinds.items()}
        self.edges = list(graph_edges(graph))
        self.slot_names = {edge: slot_label(graph, edge[1], edge[2]) for edge in self.edges}
        self.several_inputs = {name: graph.nx.nodes[name].get("n_inputs", 1) > 1 for name in self.nodes}


def _contents(graph, frame, carrying, shape):
    """``{key: (label rows, style)}`` for every node, edge and the step panel of ``frame``."""
    order = shape.order
    plan = graph.last_pass.plan
    backward_done = set()  # the objectives whose backward step has run
    if frame.phase == "backward":
        backward_done = {e[1] for e in frame.edge_grads} | {frame.node}
    content = {}
    consumers_of = {}
    for edge in carrying:
        consumers_of[edge[0]] = consumers_of.get(edge[0], 0) + 1
    for name in shape.nodes:
        kind = shape.kinds[name]
        rows = [(f"<b>{escape(name)}</b>", None), (shape.described[name], SMALL)]
        style = dict(KIND_STYLE[kind])
        value = frame.values.get(name)
        if name not in frame.values:
            rows.append(("<i>not reached</i>", SMALL))
            style.update(_PENDING)
        elif kind == OBJECTIVE:
            rows.append((f"J = {format_number(value)}", SMALL))
        else:
            rows.append((f"out {describe_value(value)} | mean {_num(mean(value))}", SMALL))
        if frame.phase == "backward" and kind != OBJECTIVE:
            consumers = consumers_of.get(name, 0)
            rows.append(_grad_row(frame, name, name in plan.requiring, consumers))
            if consumers and frame.fan_in.get(name, (1, 1))[0] < consumers or (
                    consumers and name not in frame.grads):
                style["style"] += ",dashed"  # its gradient is not (fully) computed yet
        elif frame.phase == "backward" and name in backward_done:
            rows.append((f"dJ/dJ_i = w = {format_number(plan.weights[name])}", SMALL))
        if name == frame.node:
            style.update(_CURRENT)
        content[("node", name)] = (rows, style)
    for edge in shape.edges:
        content[("edge", edge)] = _edge_content(graph, frame, edge, carrying, shape)
    content[("panel",)] = (_panel_rows(graph, frame, order, shape), {})
    return content


def _grad_row(frame, name, requiring, consumers):
    if name in frame.fan_in:
        reported, k = frame.fan_in[name]
        total = frame.grads.get(name)
        sums = "" if total is None else f": {_stats(total)}"
        text = f"<b>&#931; {reported} of {k}</b> reported{sums}"
        return (text if reported else f'<font color="{_GREY}"><i>grad ? &#931; 0 of {k} reported</i></font>', SMALL)
    grad = frame.grads.get(name)
    if grad is not None:
        if not np.any(grad):
            return ("<b>grad = 0</b> (exactly)", SMALL)
        return (f"grad {_stats(grad)}", SMALL)
    if not requiring:
        return (f'<font color="{_GREY}">no gradient (constant)</font>', SMALL)
    if not consumers:
        return (f'<font color="{_GREY}">no gradient (no path to J)</font>', SMALL)
    return (f'<font color="{_GREY}"><i>grad ? (not yet)</i></font>', SMALL)


def _edge_content(graph, frame, edge, carrying, shape):
    source, target, slot = edge
    slot_name = shape.slot_names[edge]
    prefix = [(f"<i>{slot_name}</i>", None)] if slot_name else []
    if frame.phase == "forward":
        shape = describe_value(frame.values[source]) if source in frame.values else "?"
        style = {} if source in frame.values else dict(color="#c0c0c0", fontcolor="#9a9a9a")
        return prefix + [(shape, None)], style
    grad = frame.edge_grads.get(edge)
    if grad is not None:
        magnitude = mean_abs(grad)
        style = dict(dir="back", color=gradient_colour(magnitude), penwidth=penwidth(magnitude))
        if target == frame.node or (frame.step.kind == FUSED_STEP and edge[0] == frame.step.activation):
            style["fontcolor"] = "#d62728"
        return prefix + [(f"mean {_num(mean(grad))}", None),
                         (f"mean|g| {_num(magnitude)}", None)], style
    if edge in carrying:
        return prefix + [("not yet", None)], dict(_NOT_YET)
    if shape.kinds[target] == OBJECTIVE and slot == 0:
        why = "target"
    else:
        why = "no path to J" if graph.requires_grad(source) else "constant"
    return prefix + [(f"no gradient ({why})", None)], dict(NO_GRADIENT)


def _carrying(graph, edges):
    record = graph.last_pass
    return {e for e in edges if record.edge_grad(*e) is not None}


def _panel_rows(graph, frame, order, shape):
    step = frame.step
    rows = [(f"<b>{html.escape(frame.phase.capitalize())}: {escape(frame.node)}</b>", None)]
    if frame.phase == "forward":
        if step.kind == OBJECTIVE:
            rows.append((f"J_i = {format_number(step.value)}", SMALL))
        else:
            rows += [(f"value {_stats_long(step.value)}", SMALL),
                     (f"first entries: {_first(step.value)}", SMALL)]
    else:
        words, symbols = frame.rule
        arrived = step.grad_out
        if np.ndim(arrived) == 0:
            rows.append((f"gradient arriving: dJ/dJ_i = weight {format_number(arrived)}", SMALL))
        else:
            rows += [(f"gradient arriving: {_stats_long(arrived)}", SMALL),
                     (f"first entries: {_first(arrived)}", SMALL)]
        rows += [(f"rule: <b>{escape(symbols)}</b>", SMALL), (f"<i>{escape(words)}</i>", SMALL)]
        for (source, target, slot), grad in step.sent.items():
            into = f"{source} -&gt; {target}" + (f" ({slot})" if shape.several_inputs[target] else "")
            if grad is None:
                rows.append((f"sent {into}: nothing ({escape(source)} needs no gradient)", SMALL))
            else:
                rows.append((f"sent {into}: {_stats_long(grad)}", SMALL))
        for pname, grad in step.parameters.items():
            rows.append((f"added d{escape(pname)}: {describe_shape(np.shape(grad))}, "
                         f"|d{escape(pname)}| {_num(norm(grad))}, mean {_num(mean(grad))}", SMALL))
        for name, (reported, k) in frame.fan_in.items():
            if any(e[0] == name for e in step.sent if step.sent[e] is not None):
                rows.append((f"&#931; at {escape(name)}: {reported} of {k} consumers reported; "
                             f"running sum {_stats(frame.grads[name])}", SMALL))
    rows.append((f'<font color="{_GREY}">yellow, red border: this step | white: not reached | '
                 'dashed: gradient not yet</font>', 8))
    return rows


def _measure(contents):
    """The largest size, in points, of every cell's content over all frames (Graphviz's own
    measure; an estimate from the text when ``dot`` is missing)."""
    variants = {}
    for content in contents:
        for key, (rows, _) in content.items():
            variants.setdefault(key, set()).add(_inner(rows, "LEFT" if key == ("panel",) else "CENTER"))
    labelled = [(key, label) for key, labels in variants.items() for label in sorted(labels)]
    dot = graphviz.Digraph(node_attr=dict(shape="plaintext", margin="0", fontname=FONT))
    for i, (key, label) in enumerate(labelled):
        dot.node(f"m{i}", label=f"<{label}>", fontsize=EDGE_FONTSIZE if key[0] == "edge" else "12")
    sizes = {}
    try:
        plain = run_dot(dot.source, "plain")
    except RenderError:
        plain = None
    measured = {}
    if plain is not None:
        for line in plain.splitlines():
            parts = line.split()
            if parts and parts[0] == "node":
                measured[int(parts[1][1:])] = (float(parts[4]) * 72, float(parts[5]) * 72)
    for i, (key, label) in enumerate(labelled):
        w, h = measured.get(i) or _estimate(label)
        old = sizes.get(key, (0, 0))
        sizes[key] = (max(old[0], math.ceil(w) + 2), max(old[1], math.ceil(h) + 2))
    return sizes


def _estimate(label):
    text_rows = label.count("<tr>")
    longest = max((len(_strip_tags(row)) for row in label.split("<tr>")), default=0)
    return 6.5 * longest, 14.0 * text_rows


def _strip_tags(text):
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def _inner(rows, align):
    return html_label(rows, align=align)[1:-1]


def _cell(rows, size, align="CENTER"):
    width, height = size
    return (f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="0"><tr>'
            f'<td fixedsize="true" width="{width}" height="{height}">{_inner(rows, align)}</td></tr></table>>')


def run_dot(source, fmt):
    """The output of Graphviz's ``dot -T<fmt>`` (``"svg"``, ``"plain"``, ...) on the DOT text
    ``source``, as a str (several graphs in ``source`` give several pictures, one after the
    other). ``RenderError`` saying how to install Graphviz when ``dot`` is missing."""
    try:
        return graphviz.pipe("dot", fmt, source.encode("utf-8")).decode("utf-8")
    except graphviz.ExecutableNotFound:
        raise RenderError(
            "the replay's pictures need the program 'dot' from Graphviz, which is not on the PATH; "
            "install Graphviz ('apt-get install graphviz', 'brew install graphviz'); the frames' "
            "DOT text (frame.dot.source) works without it") from None


def frame_svgs(frames):
    """Every frame's SVG text (``frames``: ``ReplayFrame``s with their ``dot``), laid out once
    per phase: every frame of a phase has the same nodes, edges, cell sizes and edge
    directions, so ``dot`` lays out the phase's first frame and Graphviz draws every frame at
    those positions (``neato -n2``), without laying each out again (a replay of a graph of a
    hundred nodes has hundreds of frames). ``RenderError`` without Graphviz."""
    layouts = {}
    for frame in frames:
        if frame.phase not in layouts:
            layouts[frame.phase] = json.loads(run_dot(frame.dot.source, "json"))
    sources = [_positioned(frame.dot, layouts[frame.phase]) for frame in frames]
    try:
        text = graphviz.pipe("neato", "svg", "".join(sources).encode("utf-8"), neato_no_op=2).decode("utf-8")
    except graphviz.ExecutableNotFound:
        return run_dot("".join(frame.dot.source for frame in frames), "svg")  # the RenderError
    return ["<?xml" + part for part in text.split("<?xml")[1:]]


def _positioned(dot, layout):
    """The DOT text of ``dot`` with the positions of ``layout`` (``dot -Tjson`` of a frame
    drawn alike): every node's ``pos``, every edge's ``pos`` and ``lp`` (edges in the order
    they were added), the graph's and the cluster's ``bb``."""
    from graphviz.quoting import quote

    objects = layout.get("objects", [])
    nodes = {quote(o["name"]): o["pos"] for o in objects if "pos" in o}
    clusters = {o["name"]: o["bb"] for o in objects if "bb" in o and "pos" not in o}
    names = {o["_gvid"]: quote(o["name"]) for o in objects if "_gvid" in o}
    edges = {}  # (tail, head) as DOT writes them -> their laid-out edges, in the order added
    for edge in sorted(layout.get("edges", []), key=lambda e: e["_gvid"]):
        edges.setdefault((names[edge["tail"]], names[edge["head"]]), []).append(edge)
    lines = []
    for line in dot.body:
        stripped = line.strip()
        if stripped.startswith("subgraph "):
            lines.append(line)
            name = stripped.split()[1]
            if name in clusters:
                lines.append(f'\t\tgraph [bb="{clusters[name]}"]\n')
            continue
        if " -> " in line and line.rstrip().endswith("]"):
            tail, rest = stripped.split(" -> ", 1)
            edge = edges[(tail, rest.split(" [", 1)[0])].pop(0)
            extra = f' pos="{edge["pos"]}"' + (f' lp="{edge["lp"]}"' if "lp" in edge else "")
            line = line.rstrip()[:-1] + extra + "]\n"
        else:
            head = stripped.split(" [", 1)[0]
            if head in nodes and stripped.endswith("]"):
                line = line.rstrip()[:-1] + f' pos="{nodes[head]}"]\n'
        lines.append(line)
    source = dot.source
    start = source.index("{") + 1
    return (source[:start] + f'\n\tgraph [bb="{layout["bb"]}"]'
            + source[start:].replace("".join(dot.body), "".join(lines), 1))


# ---------------------------------------------------------------------------- numbers
def _num(x):
    return format_number(x)


def describe_value(value):
    """A value as a replay names it: ``"N x D"`` for an ``N x D`` array (``"N x C x H x W"``
    for images), the number (4 significant digits) for a scalar such as an objective's ``J``."""
    return describe_shape(np.shape(value)) if np.ndim(value) >= 2 else format_number(value)


def _stats(array):
    return f"mean {_num(mean(array))}, mean|g| {_num(mean_abs(array))}"


def _stats_long(array):
    with np.errstate(over="ignore", invalid="ignore"):
        low, high = float(np.min(array)), float(np.max(array))
    return f"{describe_value(array)}, mean {_num(mean(array))}, min {_num(low)}, max {_num(high)}"


def _first(array, count=4):
    flat = np.ravel(array)
    shown = ", ".join(_num(x) for x in flat[:count])
    return f"[{shown}{', ...' if flat.size > count else ''}]"


