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
the same way (``graphnn.views.replay_drawing`` draws the frames). ``Replay.save(path)`` writes the frames as a self-contained HTML player
(``graphnn.views.player``), and a ``Replay`` shows as that player in Jupyter.

The local rules are a table (``RULES`` of ``graphnn.views.rules``, also reached here, keyed by
class and looked up along its bases) rather than an attribute of each layer: the words are
the replay's way of teaching, the layers stay free of any view, and a user's class may still
declare its own ``backward_rule = (words, symbols)``. See docs/replay.md.

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
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

import graphviz
import numpy as np

from . import _layout
from .drawing import check_rankdir, format_number, graph_edges
from .player import Frame, Player
from .render import RenderError
from .replay_drawing import describe_value, draw_frames
from .replay_svg import frame_svgs
# The rules' names, as this module always gave them.
from .rules import FUSED_RULE, MODE_RULES, PARAMETERS_RULE, PARAMETERS_RULES, RULES, rule_of
from ..core import INPUT, OBJECTIVE, GraphError
from ..core.plan import FUSED_STEP, OBJECTIVE_STEP, PARAMETERS_STEP
from ..layers import (
    AddLayer, BatchNormLayer, ConcatLayer, ConvolutionalLayer, DropoutLayer, FlatteningLayer,
    FullyConnectedLayer, InitialStateLayer, InputLayer, MaxPoolLayer, MultiplyLayer, SliceLayer,
)

__all__ = ["replay", "Replay", "ReplayFrame", "RULES", "MODE_RULES", "FUSED_RULE", "PARAMETERS_RULE", "PARAMETERS_RULES", "rule_of"]

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
    _drawing: Any = field(default=None, repr=False, compare=False)

    @property
    def dot(self) -> graphviz.Digraph:
        """The frame as a ``graphviz.Digraph`` (drawn on first use)."""
        return None if self._drawing is None else self._drawing.dot(self.index)


class Replay:
    """The frames of one pass (``frames``, also by index and iteration) and the player that
    shows them: ``svgs()`` (Graphviz's ``dot`` needed), ``player()``, ``html()``,
    ``save(path)``, and ``_repr_html_`` for Jupyter. ``drawing``: the
    ``graphnn.views.replay_drawing.FrameDrawing`` the frames' pictures are drawn from."""

    def __init__(self, frames, title, drawing):
        self.frames = frames
        self.title = title
        self.drawing = drawing
        self._svgs = None

    def __len__(self):
        return len(self.frames)

    def __getitem__(self, index):
        return self.frames[index]

    def __iter__(self):
        return iter(self.frames)

    def svgs(self):
        """Every frame as SVG text (a sequence, each frame's text joined when it is read):
        ``dot`` lays out one frame of each phase, and Graphviz draws each distinct content of
        each node, edge and panel once at those positions (``graphnn.views.replay_svg``;
        ``RenderError`` without Graphviz)."""
        if self._svgs is None:
            svgs = frame_svgs(self.drawing)
            if len(svgs) != len(self.frames):
                raise RenderError(f"Graphviz gave {len(svgs)} pictures for {len(self.frames)} frames")
            self._svgs = svgs
        return self._svgs

    def player(self):
        """The frames as a ``graphnn.views.player.Player`` (each frame's SVG given as its
        pieces, which the player stores once each)."""
        svgs = self.svgs()
        return Player([Frame(svgs.pieces(i), frame.caption) for i, frame in enumerate(self.frames)],
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
    check_rankdir(rankdir)
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
    drawing = draw_frames(graph, frames, _layout.choose_rankdir(rankdir, _layout.plan(graph, fold=False)))
    for frame in frames:
        frame._drawing = drawing
    n_forward = sum(f.phase == "forward" for f in frames)
    return Replay(frames, f"Replay: {n_forward} forward and {len(frames) - n_forward} backward steps", drawing)


# ---------------------------------------------------------------------------- the states
class _States:
    """Walks the record's steps and keeps what each frame shows."""

    def __init__(self, graph, record):
        self.graph, self.record, self.plan = graph, record, record.plan
        self.edges = list(graph_edges(graph))
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
        edge_grads, grads = {}, {}
        fan_in = {name: (0, len(edges)) for name, edges in self.consumers.items() if len(edges) > 1}
        for step in backward:
            sent = {e: g for e, g in step.sent.items() if g is not None}
            if step.kind == FUSED_STEP:  # the objective's own gradient, never needed by the pass
                edge = (step.activation, step.node, 1)
                sent[edge] = self.record.edge_grad(*edge)
            edge_grads.update(sent)
            for name in {e[0] for e in sent}:  # only the sums a sent gradient adds to change
                self._sum_at(name, edge_grads, grads, fan_in)
            frames.append(ReplayFrame(len(frames), "backward", step.node, step,
                                      self._backward_caption(step, len(backward)),
                                      rule_of(step.op, step.kind, self.record.mode_of(step.node)),
                                      values, dict(edge_grads), dict(grads), dict(fan_in)))
        return frames

    def _sum_at(self, name, edge_grads, grads, fan_in):
        """Node ``name``'s gradient summed over the consumers that reported, into ``grads``, and
        how many did, into ``fan_in`` (a value read by several consumers)."""
        edges = self.consumers.get(name, [])
        reported = [edge_grads[e] for e in edges if e in edge_grads]
        if reported:
            grads[name] = _sum(reported)
        if len(edges) > 1:
            fan_in[name] = (len(reported), len(edges))

    def _forward_caption(self, step, total):
        head = f"Forward step {step.index + 1} of {total}: "
        shape = describe_value(step.value)
        if step.kind == INPUT:
            return head + f"the input {step.node!r} is fed, a {shape} array."
        reads = _names(step.sources)
        if step.kind == OBJECTIVE:
            return (head + f"{step.node!r} ({step.op.describe()}) compares the estimate {step.sources[1]!r} "
                    f"with the target {step.sources[0]!r}: J = {format_number(step.value)}.")
        return (head + f"{step.node!r} ({step.op.describe()}) reads {reads} and produces a {shape} value"
                + self._mode_words(step.node) + ".")

    def _mode_words(self, node):
        """`` in training mode (...)``: for a layer that behaves differently per mode (dropout,
        batch norm), the mode the pass ran it in and what that meant; else ``''``."""
        mode = self.record.mode_of(node)
        if mode is None:
            return ""
        op = self.graph.op(node)
        meaning = {
            ("training", DropoutLayer): "a fresh random mask, the kept entries scaled by 1/(1 - p)",
            ("inference", DropoutLayer): "the identity",
            ("training", BatchNormLayer): "normalized with the batch's mean and variance",
            ("inference", BatchNormLayer): "normalized with the running mean and variance",
        }
        what = next((text for (m, cls), text in meaning.items() if m == mode and isinstance(op, cls)), None)
        return f", in {mode} mode" + (f" ({what})" if what else "")

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
                MultiplyLayer: "multiplies the gradient that arrived by the other input, for each input, and sends it",
                SliceLayer: "puts the gradient that arrived back into the columns it took and sends it",
                InitialStateLayer: "keeps the gradient that reached the start of the sequence for its state, sends 0",
                FullyConnectedLayer: "multiplies the gradient that arrived by W^T and sends it",
                ConvolutionalLayer: ("cross-correlates the gradient that arrived with its flipped "
                                     "kernels and sends it"),
                MaxPoolLayer: "sends the gradient that arrived to each window's maximum, 0 elsewhere,",
                FlatteningLayer: "reshapes the gradient that arrived to its input's shape and sends it",
                InputLayer: "divides the gradient that arrived by each column's std and sends it"}
        verb = next((v for cls, v in what.items() if isinstance(step.op, cls)),
                    "multiplies the gradient that arrived by its local derivative and sends it")
        return (head + f"{who} {verb} back to {to}" + (f", and adds {params}" if params else "")
                + self._mode_words(step.node) + ".")


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


def _names(names):
    return ", ".join(repr(n) for n in names) or "nothing"


