"""How a frame of the replay of a pass is drawn: ``draw_frames`` makes the ``FrameDrawing``
of the ``graphnn.views.replay.ReplayFrame``\\ s, from which each frame's ``dot`` is drawn
(``graphnn.views.replay_svg`` has Graphviz draw the pictures).

Every frame draws the whole graph with the drawing kit (``graphnn.views.drawing``), in the
state after its step: nodes computed so far filled in their kind's colour, nodes not reached
white and grey, the step's node yellow with a red border; edges carry shapes (forward) or
the gradients sent so far (backward); a panel gives the step's numbers and its local rule.

Nodes never jump: every label and every edge label is a fixed-size cell, as large as its
largest content over all frames (measured once by Graphviz, ``run_dot``), so ``dot`` lays
out every frame the same way.

A replay of a graph of a few hundred nodes has a few hundred frames: what a node or an edge
shows is worked out once per distinct state of it (``_Reader``), not once per frame.
"""
import html
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

__all__ = ["draw_frames", "FrameDrawing", "run_dot", "describe_value", "svg_id", "PANEL_CLUSTER_ID"]

# the step's node; its SVG group gets the class "focus", which the player keeps in view
_CURRENT = {"fillcolor": "#fff3a0", "color": "#d62728", "penwidth": "3", "class": "focus"}
_PENDING = dict(fillcolor="#ffffff", color="#b0b0b0", fontcolor="#9a9a9a")
_NOT_YET = dict(style="dotted", color="#c0c0c0", fontcolor="#9a9a9a", dir="back")
_GREY = "#8a8a8a"
_PANEL_NODE = "(step)"  # characters no graph node name may have, like the legend's


def draw_frames(graph, frames, rankdir, reuse=True):
    """The ``FrameDrawing`` of ``frames`` (``ReplayFrame``\\ s of ``graph``'s last pass, in
    order), running in direction ``rankdir`` (one of ``RANKDIRS``): what every node, edge and
    the step panel shows in every frame, each distinct content worked out once, then every cell
    sized to its largest over all frames. ``drawing.dot(i)`` is frame ``i``'s ``Diagram``.
    ``reuse=False``: the state of every element of every frame is read anew, not only of those
    a step may change (the same drawing, slower; the tests compare the two)."""
    shape = _Shape(graph)
    carrying = _carrying(graph, shape.edges)
    consumers_of = {}  # how many consumers send each node a gradient
    for edge in carrying:
        consumers_of[edge[0]] = consumers_of.get(edge[0], 0) + 1
    drawing = FrameDrawing(graph, shape, rankdir)
    touching = {name: set() for name in shape.nodes}  # each node's edges, by their index in keys
    for i, (source, target, _) in enumerate(shape.edges):
        touching[source].add(len(shape.nodes) + i)
        touching[target].add(len(shape.nodes) + i)
    before = None
    for frame in frames:
        changed = (None if not reuse or before is None or before.phase != frame.phase
                   else _changed(before, frame, shape, touching))
        drawing.add(frame, _Reader(graph, frame, carrying, consumers_of, shape), changed)
        before = frame
    drawing.sizes = _measure(drawing.labels())
    return drawing


def _changed(before, frame, shape, touching):
    """The indices (in ``FrameDrawing.keys``) of the elements that may look different in
    ``frame`` than in ``before``, the frame just before it in the same phase (a superset; the
    others are drawn as they were): the two steps' nodes and their edges, and backward, the
    edges just sent with both their ends and a fused step's activation with its edges."""
    names = {before.node, frame.node}
    if frame.phase == "backward":
        for edge in frame.edge_grads.keys() - before.edge_grads.keys():
            names.update(edge[:2])
        names.update(f.step.activation for f in (before, frame) if f.step.kind == FUSED_STEP)
    changed = {shape.order[name] for name in names}
    for name in names:
        changed |= touching[name]
    return changed


class FrameDrawing:
    """Every frame's picture, element by element. The elements are the graph's nodes, its
    edges (``graph_edges``) and the step panel, in that order (``keys``). A node or an edge
    changes in a few frames only (not reached, the step's node, computed, its gradient
    arrived), so each element keeps the distinct contents it takes in each phase,
    ``variants[phase][k]`` (``(label rows, style)`` each), and a frame is the index of each
    element's content, ``chosen[i]``. The pictures are drawn from this (``dot(i)``, and
    ``graphnn.views.replay_svg``, which has Graphviz draw each distinct content once)."""

    def __init__(self, graph, shape, rankdir):
        self.graph, self.shape, self.rankdir = graph, shape, rankdir
        self.keys = ([("node", name) for name in shape.nodes] + [("edge", edge) for edge in shape.edges]
                     + [("panel",)])
        self.phases, self.chosen = [], []
        self.variants = {}  # phase -> [[(rows, style), ...] for every element]
        self._seen = {}  # phase -> [{what decides the content: its index} for every element]
        self.sizes = {}
        self._dots = {}

    @property
    def panel(self):
        """The panel's index in ``keys`` (the last element)."""
        return len(self.keys) - 1

    def add(self, frame, reader, changed=None):
        """Append ``frame``: each element's content, worked out only when what decides it (the
        reader's ``node_state``, ``edge_state``; the panel: its rows) was not seen before.
        ``changed``: the indices of the elements that may differ from the frame before (of the
        same phase); the others are as they were (``None``: any may differ)."""
        phase = frame.phase
        if phase not in self.variants:
            self.variants[phase] = [[] for _ in self.keys]
            self._seen[phase] = [{} for _ in self.keys]
        variants, seen = self.variants[phase], self._seen[phase]
        if changed is None:
            chosen, changed = [0] * len(self.keys), range(len(self.keys))
        else:
            chosen, changed = list(self.chosen[-1]), sorted(set(changed) | {self.panel})
        for k in changed:
            kind, *what = self.keys[k]
            if kind == "panel":
                content = reader.panel()
                state = _frozen(content[0])
            else:
                state = reader.node_state(*what) if kind == "node" else reader.edge_state(*what)
            index = seen[k].get(state)
            if index is None:
                index = seen[k][state] = len(variants[k])
                if kind != "panel":
                    content = reader.node(*what) if kind == "node" else reader.edge(*what)
                variants[k].append(content)
            chosen[k] = index
        self.phases.append(phase)
        self.chosen.append(chosen)

    def labels(self):
        """Every ``(key, rows)`` any frame shows, each once (what ``_measure`` sizes)."""
        for variants in self.variants.values():
            for key, contents in zip(self.keys, variants):
                for rows, _ in contents:
                    yield key, rows

    def __len__(self):
        return len(self.chosen)

    def dot(self, index):
        """Frame ``index``'s ``Diagram`` (``graphviz.Digraph``), made on first use."""
        if index not in self._dots:
            self._dots[index] = self.diagram(self.phases[index], self.chosen[index])
        return self._dots[index]

    def diagram(self, phase, choice, layout=None, elements=None, ids=False):
        """A ``Diagram`` drawing element ``k`` as its ``choice[k]``-th content of ``phase``.
        ``layout``: a ``Layout`` whose positions are written in (for ``neato -n2``, which
        draws without laying out); ``elements``: the indices drawn (all by default);
        ``ids``: give each element the SVG id Graphviz gives it in a whole frame (a drawing
        of some elements only would number them otherwise)."""
        variants, shape, sizes = self.variants[phase], self.shape, self.sizes
        dot = new_diagram(self.graph, self.rankdir, "replay")
        if layout is not None:
            # some elements only: neato would move them so that theirs start at (0, 0)
            dot.attr("graph", bb=layout.bb, **({} if elements is None else {"notranslate": "true"}))
        for k in range(len(self.keys)) if elements is None else sorted(set(elements)):
            kind, *what = self.keys[k]
            rows, style = variants[k][choice[k]]
            extra = dict(id=svg_id(self.keys, k)) if ids else {}
            if kind == "node":
                if layout is not None:
                    extra["pos"] = layout.nodes[what[0]]
                dot.node(what[0], label=_cell(rows, sizes[self.keys[k]]), **style, **extra)
            elif kind == "edge":
                if layout is not None:
                    extra.update(layout.edges[k - len(shape.nodes)])
                dot.edge(what[0][0], what[0][1], label=_cell(rows, sizes[self.keys[k]]), **style, **extra)
            else:
                with dot.subgraph(name="cluster_step") as panel:
                    # class "panel" (its border and its text): the player keeps a copy in view
                    more = dict(bb=layout.clusters["cluster_step"]) if layout is not None else {}
                    if ids:
                        more["id"] = PANEL_CLUSTER_ID
                    panel.attr(label="", style="rounded", color="#bbbbbb", margin="6", **{"class": "panel"}, **more)
                    if layout is not None:
                        extra["pos"] = layout.nodes[_PANEL_NODE]
                    panel.node(_PANEL_NODE, label=_cell(rows, sizes[("panel",)], align="LEFT"),
                               shape="plaintext", margin="0", **{"class": "panel"}, **extra)
        return dot


#: the SVG id Graphviz gives the panel's cluster (the only cluster of a frame)
PANEL_CLUSTER_ID = "clust1"


def svg_id(keys, k):
    """The SVG id Graphviz gives element ``k`` of ``keys`` in a whole frame: ``node<i>`` for
    the i-th node declared (1-based; the panel's text is the last node), ``edge<i>`` for the
    i-th edge."""
    kind = keys[k][0]
    if kind == "edge":
        return f"edge{k - sum(key[0] == 'node' for key in keys) + 1}"
    if kind == "node":
        return f"node{k + 1}"
    return f"node{sum(key[0] == 'node' for key in keys) + 1}"


def _frozen(rows):
    return tuple((text, size) for text, size in rows)


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


class _Reader:
    """What one frame shows of each element (``node``, ``edge``, ``panel``: ``(label rows,
    style)``), and what decides it (``node_state``, ``edge_state``): two frames whose states
    of an element are equal show it alike, so its content is worked out once."""

    def __init__(self, graph, frame, carrying, consumers_of, shape):
        self.graph, self.frame, self.carrying, self.shape = graph, frame, carrying, shape
        self.consumers_of = consumers_of
        self.plan = graph.last_pass.plan
        self.backward_done = set()  # the objectives whose backward step has run
        if frame.phase == "backward":
            self.backward_done = {e[1] for e in frame.edge_grads} | {frame.node}

    def node_state(self, name):
        # a value, once computed, and a gradient, once summed over the same consumers, never
        # change: whether they are there (and how many consumers reported) decides the node
        frame = self.frame
        return (name in frame.values, name == frame.node, name in frame.grads,
                frame.fan_in.get(name), name in self.backward_done)

    def edge_state(self, edge):
        frame = self.frame
        if frame.phase == "forward":
            return edge[0] in frame.values
        sent = edge in frame.edge_grads
        return sent, sent and self._red(edge)

    def _red(self, edge):
        """Whether a sent gradient's label is red: sent into the step's node (or the fused
        objective's activation)."""
        frame = self.frame
        return edge[1] == frame.node or (frame.step.kind == FUSED_STEP and edge[0] == frame.step.activation)

    def node(self, name):
        frame, shape, plan = self.frame, self.shape, self.plan
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
            consumers = self.consumers_of.get(name, 0)
            rows.append(_grad_row(frame, name, name in plan.requiring, consumers))
            if consumers and frame.fan_in.get(name, (1, 1))[0] < consumers or (
                    consumers and name not in frame.grads):
                style["style"] += ",dashed"  # its gradient is not (fully) computed yet
        elif frame.phase == "backward" and name in self.backward_done:
            rows.append((f"dJ/dJ_i = w = {format_number(plan.weights[name])}", SMALL))
        if name == frame.node:
            style.update(_CURRENT)
        return rows, style

    def edge(self, edge):
        return _edge_content(self.graph, self.frame, edge, self.carrying, self.shape)

    def panel(self):
        return _panel_rows(self.graph, self.frame, self.shape.order, self.shape), {}


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


def _measure(labels):
    """The largest size, in points, of every cell's content over all frames (Graphviz's own
    measure; an estimate from the text when ``dot`` is missing). ``labels``: ``(key, label
    rows)`` pairs."""
    variants = {}
    for key, rows in labels:
        variants.setdefault(key, set()).add(_inner(rows, "LEFT" if key == ("panel",) else "CENTER"))
    labelled = [(key, label) for key, labels in variants.items() for label in sorted(labels)]
    # every node at (0, 0): neato -n2 sizes them without laying them out (dot would, slowly)
    dot = graphviz.Digraph(node_attr=dict(shape="plaintext", margin="0", fontname=FONT, pos="0,0"))
    for i, (key, label) in enumerate(labelled):
        dot.node(f"m{i}", label=f"<{label}>", fontsize=EDGE_FONTSIZE if key[0] == "edge" else "12")
    sizes = {}
    try:
        plain = run_dot(dot.source, "plain", engine="neato")
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


def run_dot(source, fmt, engine="dot"):
    """The output of Graphviz's ``dot -T<fmt>`` (``"svg"``, ``"plain"``, ...) on the DOT text
    ``source``, as a str (several graphs in ``source`` give several pictures, one after the
    other); ``engine="neato"``: ``neato -n2``, which draws at the positions given, without
    laying out. ``RenderError`` saying how to install Graphviz when it is missing."""
    try:
        options = dict(neato_no_op=2) if engine == "neato" else {}
        return graphviz.pipe(engine, fmt, source.encode("utf-8"), **options).decode("utf-8")
    except graphviz.ExecutableNotFound:
        raise RenderError(
            "the replay's pictures need the program 'dot' from Graphviz, which is not on the PATH; "
            "install Graphviz ('apt-get install graphviz', 'brew install graphviz'); the frames' "
            "DOT text (frame.dot.source) works without it") from None


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


