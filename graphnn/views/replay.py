"""The replay of a pass: backpropagation one step at a time, as a sequence of diagrams.

``replay(graph)`` (or ``graph.replay()``), after ``forward`` and ``backward``, reads the
record of the pass (``graph.last_pass``) and makes one frame per forward step and one per
backward step, in the order the passes ran them. Each frame is a ``graphviz.Digraph`` of the
whole graph, showing the state *after* its step:

- the node of the step is yellow with a thick red border; nodes already computed are filled
  in their kind's colour, nodes not reached yet are white and grey;
- forward frames: every computed node shows its output's shape and mean; the step panel shows
  the value just produced (shape, mean, min, max, its first entries);
- backward frames: each node shows its gradient once computed (mean and mean |g|), ``grad ?``
  and a dashed border while it is not computed yet, ``grad = 0`` when it is exactly zero;
  every edge shows the gradient sent back along it once sent (coloured as in the gradient
  view), ``not yet`` before; a value read by ``k`` consumers shows ``sum r of k`` and the
  running sum as each consumer reports; the step panel shows the gradient that arrived, the
  node's local rule in words and symbols, the gradient sent along each in-edge and the
  parameter gradients the step added (a shared parameter: this layer's share);
- ``caption``: one plain sentence saying what the step did.

Nodes never jump: every label and every edge label is a fixed-size cell, as large as its
largest content over all frames (measured once by Graphviz), so ``dot`` lays out every frame
the same way. ``Replay.save(path)`` writes the frames as a self-contained HTML player
(``graphnn.views.player``), and a ``Replay`` shows as that player in Jupyter.

The local rules are a table here (``RULES``, keyed by class and looked up along its bases)
rather than an attribute of each layer: the words are the replay's way of teaching, the
layers stay free of any view, and a user's class may still declare its own
``backward_rule = (words, symbols)``. See docs/replay.md.

>>> import graphnn as gn, numpy as np
>>> g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1, seed=0), gn.LogisticSigmoidLayer(),
...                         objective=gn.SquaredError())
>>> J = g.forward(X=np.ones((3, 2)), Y=np.zeros((3, 1)))
>>> g.backward()
>>> r = g.replay()
>>> [(f.phase, f.node) for f in r]
[('forward', 'X'), ('forward', 'Y'), ('forward', 'fc1'), ('forward', 'sigmoid1'), ('forward', 'squarederror1'), ('backward', 'squarederror1'), ('backward', 'sigmoid1'), ('backward', 'fc1')]
>>> r[6].caption
"Backward step 2 of 3: 'sigmoid1' (LogisticSigmoidLayer) multiplies the gradient that arrived by its local derivative and sends it back to 'fc1'."
>>> r[6].rule
('the gradient times the slope of the sigmoid', 'g * s(1 - s)')
"""
import html
import math
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

import graphviz
import numpy as np

from . import _layout
from . import render as _render
from .._validation import describe_shape
from ..core import INPUT, LAYER, OBJECTIVE, GraphError
from ..core.plan import FUSED_STEP, OBJECTIVE_STEP, PARAMETERS_STEP
from ..layers import (
    AddLayer, ConcatLayer, ElementwiseLayer, FullyConnectedLayer, InputLayer, Layer, LinearLayer,
    LogisticSigmoidLayer, ReLULayer, SoftmaxLayer, TanhLayer,
)
from ..objectives import CrossEntropy, LogLoss, Objective, SquaredError
from .player import Frame, Player

__all__ = ["replay", "Replay", "ReplayFrame", "RULES", "FUSED_RULE", "PARAMETERS_RULE", "rule_of"]

#: the local rule of each class's backward, ``(words, symbols)``: ``g`` (``G``) is the gradient
#: that arrived, ``N x K``; looked up along the class's bases (``rule_of``)
RULES = {
    InputLayer: ("z-scoring divides each column by its std, so the gradient is divided by it too",
                 "g / std"),
    FullyConnectedLayer: ("the input gets G times the transposed weights; the parameters get "
                          "their gradients averaged over the N observations",
                          "G W^T;  dW = X^T G / N;  db = mean(G)"),
    LinearLayer: ("the identity passes the gradient through unchanged", "g"),
    ReLULayer: ("the gradient passes where the input was positive and is 0 elsewhere",
                "g * [x > 0]"),
    LogisticSigmoidLayer: ("the gradient times the slope of the sigmoid", "g * s(1 - s)"),
    TanhLayer: ("the gradient times the slope of tanh", "g * (1 - t^2)"),
    SoftmaxLayer: ("row by row: s times (g minus its mean weighted by s)", "s * (g - sum(g * s))"),
    AddLayer: ("a sum passes the same gradient to each of its inputs", "g to every input"),
    ConcatLayer: ("the gradient is cut back into the column blocks of the inputs",
                  "[g_1 | g_2 | ...] -> g_1, g_2, ..."),
    ElementwiseLayer: ("the gradient times the function's derivative, entry by entry", "g * f'(x)"),
    Layer: ("the layer's own backward", "backward(g)"),
    SquaredError: ("the objective's weight times the derivative of (Y - Yhat)^2",
                   "w * -2 (Y - Yhat)"),
    LogLoss: ("the objective's weight times the derivative of the log loss",
              "w * (Yhat - Y) / (Yhat (1 - Yhat))"),
    CrossEntropy: ("the objective's weight times the derivative of the cross entropy", "w * -Y / Yhat"),
    Objective: ("the objective's weight times its gradient", "w * gradient(Y, Yhat)"),
}
#: the rule of a fused objective step (``LogLoss`` after a sigmoid, ``CrossEntropy`` after a softmax)
FUSED_RULE = ("the loss and its activation at once: the activation's slope cancels the loss's "
              "division, leaving the error", "w * (Yhat - Y)")
#: the rule of a fully connected layer whose input needs no gradient
PARAMETERS_RULE = ("its input needs no gradient, so only the parameters get theirs",
                   "dW = X^T G / N;  db = mean(G)")

_CURRENT = dict(fillcolor="#fff3a0", color="#d62728", penwidth="3")
_PENDING = dict(fillcolor="#ffffff", color="#b0b0b0", fontcolor="#9a9a9a")
_NOT_YET = dict(style="dotted", color="#c0c0c0", fontcolor="#9a9a9a", dir="back")
_GREY, _SMALL = "#8a8a8a", 10
_PANEL_NODE = "(step)"  # characters no graph node name may have, like render's legend


def rule_of(op, kind=None):
    """``(words, symbols)`` of the local rule of ``op``'s backward step of ``kind`` (a
    ``BackwardStep.kind``): the class's own ``backward_rule`` if it declares one, else
    ``RULES`` along its bases, with ``FUSED_RULE`` and ``PARAMETERS_RULE`` for those steps."""
    if kind == FUSED_STEP:
        return FUSED_RULE
    if kind == PARAMETERS_STEP and isinstance(op, FullyConnectedLayer):
        return PARAMETERS_RULE
    declared = getattr(type(op), "backward_rule", None)
    if declared is not None:
        return tuple(declared)
    for cls in type(op).__mro__:
        if cls in RULES:
            return RULES[cls]
    return ("its own backward", "backward(g)")


@dataclass
class ReplayFrame:
    """One frame: ``index`` (0, 1, ...), ``phase`` (``'forward'`` or ``'backward'``), ``node``
    (the step's node), ``step`` (the record's ``ForwardStep`` or ``BackwardStep``),
    ``caption`` (one sentence), ``rule`` (``(words, symbols)``; ``None`` forward), ``dot``
    (the ``graphviz.Digraph``; ``dot.source`` is deterministic) and the state it draws, after
    its step: ``values`` (``{node: output}`` computed so far), ``edge_grads`` (``{(source,
    target, slot): gradient}`` sent so far), ``grads`` (``{node: gradient summed so far}``)
    and ``fan_in`` (``{node: (reported, k)}`` for a value read by ``k > 1`` consumers that
    send it a gradient)."""

    index: int
    phase: str
    node: str
    step: Any
    caption: str
    rule: Optional[Tuple[str, str]]
    values: Dict[str, Any]
    edge_grads: Dict[Tuple[str, str, int], np.ndarray]
    grads: Dict[str, np.ndarray]
    fan_in: Dict[str, Tuple[int, int]]
    dot: graphviz.Digraph = field(default=None, repr=False)


class Replay:
    """The frames of one pass (``frames``, also by index and iteration) and the player that
    shows them: ``svgs()`` (Graphviz's ``dot`` needed), ``player()``, ``html()``,
    ``save(path)``, and ``_repr_html_`` for Jupyter."""

    def __init__(self, frames, title):
        self.frames = frames
        self.title = title
        self._svgs = None

    def __len__(self):
        return len(self.frames)

    def __getitem__(self, index):
        return self.frames[index]

    def __iter__(self):
        return iter(self.frames)

    def svgs(self):
        """Every frame as SVG text, made by one run of Graphviz's ``dot`` (``RenderError``
        without it)."""
        if self._svgs is None:
            text = _run_dot("".join(frame.dot.source for frame in self.frames), "svg")
            svgs = ["<?xml" + part for part in text.split("<?xml")[1:]]
            if len(svgs) != len(self.frames):
                raise _render.RenderError(f"Graphviz 'dot' gave {len(svgs)} pictures for {len(self.frames)} frames")
            self._svgs = svgs
        return self._svgs

    def player(self):
        """The frames as a ``graphnn.views.player.Player``."""
        return Player([Frame(svg, frame.caption) for svg, frame in zip(self.svgs(), self.frames)],
                      title=self.title, header_html=_HEADER)

    def html(self):
        """The self-contained HTML page of the player."""
        return self.player().html()

    def save(self, path):
        """Write the player to ``path`` (an ``.html`` file); returns the ``pathlib.Path``. A
        directory that does not exist is a ``FileNotFoundError`` naming the path."""
        return self.player().save(path)

    def _repr_html_(self):
        return self.player()._repr_html_()


def replay(graph, rankdir="auto"):
    """The ``Replay`` of ``graph``'s last forward and backward pass (see the module docstring).

    Raises ``GraphError`` saying what to run before a forward pass, after the graph changed,
    before backward, or after a later forward pass replaced the backward's gradients;
    ``ValueError`` for a ``rankdir`` not in ``graphnn.views.render.RANKDIRS`` nor ``"auto"`` (left
    to right up to four boxes deep, top to bottom beyond, as the diagrams choose)."""
    _render._check_rankdir(rankdir)
    if not graph.has_values:
        raise GraphError("replay: the graph has no pass to replay (none yet, or the graph changed "
                         "since): call g.forward(...) and then g.backward() first")
    record = graph.last_pass
    if not record.has_gradients:
        raise GraphError(
            "replay: a later forward pass (forward, predict or evaluate) replaced the gradients of "
            "the last backward; call g.backward() again" if record.replaced_gradients else
            "replay: the pass has no backward yet: call g.backward() after g.forward(...)")
    frames = _States(graph, record).frames()
    _draw(graph, frames, _layout.choose_rankdir(rankdir, _layout.plan(graph, fold=False)))
    n_forward = sum(f.phase == "forward" for f in frames)
    return Replay(frames, f"Replay: {n_forward} forward and {len(frames) - n_forward} backward steps")


# ---------------------------------------------------------------------------- the states
class _States:
    """Walks the record's steps and keeps what each frame shows."""

    def __init__(self, graph, record):
        self.graph, self.record, self.plan = graph, record, record.plan
        self.edges = list(_render._edges(graph))
        final = {e: record.edge_grad(*e) for e in self.edges}
        self.carrying = {e for e, g in final.items() if g is not None}  # edges a gradient flows on
        self.consumers = {n: [e for e in self.edges if e[0] == n and e in self.carrying] for n in graph.nodes}

    def frames(self):
        forward, backward = self.record.forward_steps(), self.record.backward_steps()
        frames, values = [], {}
        for step in forward:
            values[step.node] = step.value
            frames.append(ReplayFrame(len(frames), "forward", step.node, step,
                                      self._forward_caption(step, len(forward)), None,
                                      dict(values), {}, {}, {}))
        edge_grads = {}
        for step in backward:
            sent = {e: g for e, g in step.sent.items() if g is not None}
            if step.kind == FUSED_STEP:  # the objective's own gradient, never needed by the pass
                edge = (step.activation, step.node, 1)
                sent[edge] = self.record.edge_grad(*edge)
            edge_grads.update(sent)
            grads, fan_in = self._sums(edge_grads)
            frames.append(ReplayFrame(len(frames), "backward", step.node, step,
                                      self._backward_caption(step, len(backward)),
                                      rule_of(step.op, step.kind), values, dict(edge_grads), grads, fan_in))
        return frames

    def _sums(self, edge_grads):
        grads, fan_in = {}, {}
        for name, edges in self.consumers.items():
            reported = [edge_grads[e] for e in edges if e in edge_grads]
            if reported:
                grads[name] = _sum(reported)
            if len(edges) > 1:
                fan_in[name] = (len(reported), len(edges))
        return grads, fan_in

    def _forward_caption(self, step, total):
        head = f"Forward step {step.index + 1} of {total}: "
        shape = _shape(step.value)
        if step.kind == INPUT:
            return head + f"the input {step.node!r} is fed, a {shape} array."
        reads = _names(step.sources)
        if step.kind == OBJECTIVE:
            return (head + f"{step.node!r} ({step.op.describe()}) compares the estimate {step.sources[1]!r} "
                    f"with the target {step.sources[0]!r}: J = {_render.format_number(step.value)}.")
        return head + f"{step.node!r} ({step.op.describe()}) reads {reads} and produces a {shape} value."

    def _backward_caption(self, step, total):
        head = f"Backward step {step.index - len(self.record.values) + 1} of {total}: "
        who = f"{step.node!r} ({step.op.describe()})"
        to = _names(sorted({e[0] for e, g in step.sent.items() if g is not None}, key=self.graph.nodes.index))
        params = ", ".join(f"d{p}" for p in step.parameters)
        if step.kind == FUSED_STEP:
            return head + f"{who}, fused with {step.activation!r}, sends Yhat - Y straight back to {to}."
        if step.kind == OBJECTIVE_STEP:
            return head + f"{who} sends its weighted gradient dJ/dYhat back to {to}."
        if step.kind == PARAMETERS_STEP:
            return (head + f"{who} adds {params} from the gradient that arrived; its input needs "
                    "no gradient, so nothing is sent back.")
        what = {AddLayer: "passes the gradient that arrived, unchanged,",
                ConcatLayer: "cuts the gradient that arrived into one block per input and sends them",
                FullyConnectedLayer: "multiplies the gradient that arrived by W^T and sends it",
                InputLayer: "divides the gradient that arrived by each column's std and sends it"}
        verb = next((v for cls, v in what.items() if isinstance(step.op, cls)),
                    "multiplies the gradient that arrived by its local derivative and sends it")
        return head + f"{who} {verb} back to {to}" + (f", and adds {params}." if params else ".")



# ---------------------------------------------------------------------------- drawing
def _draw(graph, frames, rankdir):
    """Give every frame its ``dot``: contents first, then every cell sized to its largest."""
    carrying = _carrying(graph)
    contents = [_contents(graph, frame, carrying) for frame in frames]
    sizes = _measure(contents)
    for frame, content in zip(frames, contents):
        dot = _render._digraph(graph, rankdir, "replay")
        for name in graph.nodes:
            rows, style = content[("node", name)]
            dot.node(name, label=_cell(rows, sizes[("node", name)]), **style)
        for edge in _render._edges(graph):
            rows, style = content[("edge", edge)]
            dot.edge(edge[0], edge[1], label=_cell(rows, sizes[("edge", edge)]), **style)
        with dot.subgraph(name="cluster_step") as panel:
            panel.attr(label="", style="rounded", color="#bbbbbb", margin="6")
            rows, _ = content[("panel",)]
            panel.node(_PANEL_NODE, label=_cell(rows, sizes[("panel",)], align="LEFT"),
                       shape="plaintext", margin="0")
        frame.dot = dot


def _contents(graph, frame, carrying):
    """``{key: (label rows, style)}`` for every node, edge and the step panel of ``frame``."""
    order = {name: i for i, name in enumerate(graph.nodes)}
    plan = graph.last_pass.plan
    backward_done = set()  # the objectives whose backward step has run
    if frame.phase == "backward":
        backward_done = {e[1] for e in frame.edge_grads} | {frame.node}
    content = {}
    for name in graph.nodes:
        kind = _render._kind(graph, name)
        rows = [(f"<b>{_esc(name)}</b>", None),
                (_esc("input" if kind == INPUT else graph.op(name).describe()), _SMALL)]
        style = dict(_render._KIND_STYLE[kind])
        value = frame.values.get(name)
        if name not in frame.values:
            rows.append(("<i>not reached</i>", _SMALL))
            style.update(_PENDING)
        elif kind == OBJECTIVE:
            rows.append((f"J = {_render.format_number(value)}", _SMALL))
        else:
            rows.append((f"out {_shape(value)} | mean {_num(_render._mean(value))}", _SMALL))
        if frame.phase == "backward" and kind != OBJECTIVE:
            consumers = [e for e in carrying if e[0] == name]
            rows.append(_grad_row(frame, name, name in plan.requiring, len(consumers)))
            if consumers and frame.fan_in.get(name, (1, 1))[0] < len(consumers) or (
                    consumers and name not in frame.grads):
                style["style"] += ",dashed"  # its gradient is not (fully) computed yet
        elif frame.phase == "backward" and name in backward_done:
            rows.append((f"dJ/dJ_i = w = {_render.format_number(plan.weights[name])}", _SMALL))
        if name == frame.node:
            style.update(_CURRENT)
        content[("node", name)] = (rows, style)
    for edge in _render._edges(graph):
        content[("edge", edge)] = _edge_content(graph, frame, edge, carrying)
    content[("panel",)] = (_panel_rows(graph, frame, order), {})
    return content


def _grad_row(frame, name, requiring, consumers):
    if name in frame.fan_in:
        reported, k = frame.fan_in[name]
        total = frame.grads.get(name)
        sums = "" if total is None else f": {_stats(total)}"
        text = f"<b>&#931; {reported} of {k}</b> reported{sums}"
        return (text if reported else f'<font color="{_GREY}"><i>grad ? &#931; 0 of {k} reported</i></font>', _SMALL)
    grad = frame.grads.get(name)
    if grad is not None:
        if not np.any(grad):
            return ("<b>grad = 0</b> (exactly)", _SMALL)
        return (f"grad {_stats(grad)}", _SMALL)
    if not requiring:
        return (f'<font color="{_GREY}">no gradient (constant)</font>', _SMALL)
    if not consumers:
        return (f'<font color="{_GREY}">no gradient (no path to J)</font>', _SMALL)
    return (f'<font color="{_GREY}"><i>grad ? (not yet)</i></font>', _SMALL)


def _edge_content(graph, frame, edge, carrying):
    source, target, slot = edge
    slot_name = _render._slot_name(graph, target, slot)
    prefix = [(f"<i>{slot_name}</i>", None)] if slot_name else []
    if frame.phase == "forward":
        shape = _shape(frame.values[source]) if source in frame.values else "?"
        style = {} if source in frame.values else dict(color="#c0c0c0", fontcolor="#9a9a9a")
        return prefix + [(shape, None)], style
    grad = frame.edge_grads.get(edge)
    if grad is not None:
        magnitude = _render._mean_abs(grad)
        style = dict(dir="back", color=_render._colour(magnitude), penwidth=_render._penwidth(magnitude))
        if target == frame.node or (frame.step.kind == FUSED_STEP and edge[0] == frame.step.activation):
            style["fontcolor"] = "#d62728"
        return prefix + [(f"mean {_num(_render._mean(grad))}", None),
                         (f"mean|g| {_num(magnitude)}", None)], style
    if edge in carrying:
        return prefix + [("not yet", None)], dict(_NOT_YET)
    if _render._kind(graph, target) == OBJECTIVE and slot == 0:
        why = "target"
    else:
        why = "no path to J" if graph.requires_grad(source) else "constant"
    return prefix + [(f"no gradient ({why})", None)], dict(_render._NO_GRADIENT)


def _carrying(graph):
    record = graph.last_pass
    return {e for e in _render._edges(graph) if record.edge_grad(*e) is not None}


def _panel_rows(graph, frame, order):
    step = frame.step
    rows = [(f"<b>{html.escape(frame.phase.capitalize())}: {_esc(frame.node)}</b>", None)]
    if frame.phase == "forward":
        if step.kind == OBJECTIVE:
            rows.append((f"J_i = {_render.format_number(step.value)}", _SMALL))
        else:
            rows += [(f"value {_stats_long(step.value)}", _SMALL),
                     (f"first entries: {_first(step.value)}", _SMALL)]
    else:
        words, symbols = frame.rule
        arrived = step.grad_out
        if np.ndim(arrived) == 0:
            rows.append((f"gradient arriving: dJ/dJ_i = weight {_render.format_number(arrived)}", _SMALL))
        else:
            rows += [(f"gradient arriving: {_stats_long(arrived)}", _SMALL),
                     (f"first entries: {_first(arrived)}", _SMALL)]
        rows += [(f"rule: <b>{_esc(symbols)}</b>", _SMALL), (f"<i>{_esc(words)}</i>", _SMALL)]
        for (source, target, slot), grad in step.sent.items():
            into = f"{source} -&gt; {target}" + (f" ({slot})" if graph.nx.nodes[target].get("n_inputs", 1) > 1 else "")
            if grad is None:
                rows.append((f"sent {into}: nothing ({_esc(source)} needs no gradient)", _SMALL))
            else:
                rows.append((f"sent {into}: {_stats_long(grad)}", _SMALL))
        for pname, grad in step.parameters.items():
            rows.append((f"added d{_esc(pname)}: {describe_shape(np.shape(grad))}, "
                         f"|d{_esc(pname)}| {_num(_render._norm(grad))}, mean {_num(_render._mean(grad))}", _SMALL))
        for name, (reported, k) in frame.fan_in.items():
            if any(e[0] == name for e in step.sent if step.sent[e] is not None):
                rows.append((f"&#931; at {_esc(name)}: {reported} of {k} consumers reported; "
                             f"running sum {_stats(frame.grads[name])}", _SMALL))
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
    dot = graphviz.Digraph(node_attr=dict(shape="plaintext", margin="0", fontname=_render._FONT))
    for i, (key, label) in enumerate(labelled):
        dot.node(f"m{i}", label=f"<{label}>", fontsize=_render._EDGE_FONTSIZE if key[0] == "edge" else "12")
    sizes = {}
    try:
        plain = _run_dot(dot.source, "plain")
    except _render.RenderError:
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
    import re
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def _inner(rows, align):
    return _render._table(rows, align=align)[1:-1]


def _cell(rows, size, align="CENTER"):
    width, height = size
    return (f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="0"><tr>'
            f'<td fixedsize="true" width="{width}" height="{height}">{_inner(rows, align)}</td></tr></table>>')


def _run_dot(source, fmt):
    try:
        return graphviz.pipe("dot", fmt, source.encode("utf-8")).decode("utf-8")
    except graphviz.ExecutableNotFound:
        raise _render.RenderError(
            "the replay's pictures need the program 'dot' from Graphviz, which is not on the PATH; "
            "install Graphviz ('apt-get install graphviz', 'brew install graphviz'); the frames' "
            "DOT text (frame.dot.source) works without it") from None


_HEADER = ('<p class="hint">Each frame is one step of the pass, drawn after it ran: forward steps '
           'fill in values in topological order, backward steps send gradients back from J. The '
           'panel in the picture gives the step\'s numbers and its local rule.</p>')


# ---------------------------------------------------------------------------- numbers
def _sum(arrays):
    total = np.array(arrays[0], copy=True)
    with np.errstate(over="ignore", invalid="ignore"):
        for array in arrays[1:]:
            total = total + array
    return total


def _num(x):
    return _render.format_number(x)


def _shape(value):
    return describe_shape(np.shape(value)) if np.ndim(value) == 2 else _render.format_number(value)


def _stats(array):
    return f"mean {_num(_render._mean(array))}, mean|g| {_num(_render._mean_abs(array))}"


def _stats_long(array):
    with np.errstate(over="ignore", invalid="ignore"):
        low, high = float(np.min(array)), float(np.max(array))
    return f"{_shape(array)}, mean {_num(_render._mean(array))}, min {_num(low)}, max {_num(high)}"


def _first(array, count=4):
    flat = np.ravel(array)
    shown = ", ".join(_num(x) for x in flat[:count])
    return f"[{shown}{', ...' if flat.size > count else ''}]"


def _names(names):
    return ", ".join(repr(n) for n in names) or "nothing"


def _esc(text):
    return html.escape(str(text), quote=False)
