"""``summary(graph)``: a Keras-style table of a graph, one row per node.

Each row gives the node's name, its class (``describe()``), its output shape, its trainable
parameters and the nodes it reads (an objective: its target, then its estimate). After a
forward pass the shapes are those of the values it computed (``673 x 16``); before one they
are ``N x D``, ``D`` read from the layers (``sizeOut``, an ``InputLayer``'s width, a
``FullyConnectedLayer``'s ``sizeIn`` for the input it reads) and ``?`` where nothing tells;
images show as ``N x C x H x W`` (an ``InputLayer`` built on images tells its ``C x H x W``,
which element-wise layers keep; a layer of images that changes the shape shows ``?``).
The footer gives the total (a parameter shared by several layers counted once) and says
where the shapes come from.

The result prints as a text table and shows as an HTML table in Jupyter (``_repr_html_``).

>>> import graphnn as gn
>>> g = gn.Graph.sequential(gn.FullyConnectedLayer(16, 1), gn.LogisticSigmoidLayer(),
...                         objective=gn.LogLoss())
>>> print(summary(g))
node      class                      output shape  parameters  reads
------------------------------------------------------------------------------------------
X         input                      N x 16                 0
Y         input                      N x 1                  0
fc1       FullyConnectedLayer 16->1  N x 1                 17  X
sigmoid1  LogisticSigmoidLayer       N x 1                  0  fc1
logloss1  LogLoss                    scalar J               0  target Y, estimate sigmoid1
------------------------------------------------------------------------------------------
trainable parameters: 17
output shapes: N x D before a forward pass (D from the layers' sizes; ? where unknown)
mode: training
"""
import html
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from ._layout import value_or_none
from .._validation import describe_shape
from ..core import INPUT, LAYER, OBJECTIVE
from ..layers.BatchNormLayer import BatchNormLayer
from ..layers.ConcatLayer import ConcatLayer
from ..layers.InitialStateLayer import InitialStateLayer
from ..layers.SliceLayer import SliceLayer
from ..layers.InputLayer import InputLayer

__all__ = ["summary", "Summary", "Row"]

_COLUMNS = ("node", "class", "output shape", "parameters", "reads")


@dataclass(frozen=True)
class Row:
    """One node of a ``Summary``: ``name``, ``kind`` (``"input"``, ``"layer"`` or
    ``"objective"``), ``cls`` (the ``describe()`` text), ``shape`` (text), ``parameters``
    (its trainable entries, an ``int``), ``shared`` (some of them also belong to an earlier
    node) and ``reads`` (the nodes it reads, in slot order)."""

    name: str
    kind: str
    cls: str
    shape: str
    parameters: int
    shared: bool
    reads: Tuple[str, ...]

    def reads_text(self):
        """The ``reads`` column: names in slot order; an objective's as target, estimate."""
        if self.kind == OBJECTIVE and len(self.reads) == 2:
            return f"target {self.reads[0]}, estimate {self.reads[1]}"
        return ", ".join(self.reads)

    def parameters_text(self):
        """The ``parameters`` column: the count, and ``(shared)`` for a shared parameter."""
        return f"{self.parameters:,}" + (" (shared)" if self.shared else "")


@dataclass(frozen=True)
class Summary:
    """What ``summary(graph)`` returns: ``rows`` (one ``Row`` per node, in topological
    order), ``total`` (distinct trainable parameter entries), ``shared`` (some parameter
    belongs to several nodes), ``from_pass`` (the shapes are those of the last forward pass)
    and ``n_observations`` (its ``N``, else ``None``). ``str()`` is the text table; Jupyter
    shows ``_repr_html_``."""

    rows: Tuple[Row, ...]
    total: int
    shared: bool
    from_pass: bool
    n_observations: Optional[int]
    mode: str = "training"
    mode_dependent: Tuple[str, ...] = ()

    def footer(self):
        """The lines under the table: the parameter total, where the shapes come from, and
        the graph's mode (training or inference) with the nodes it changes."""
        total = f"trainable parameters: {self.total:,}"
        if self.shared:
            total += " (shared ones counted once)"
        if self.from_pass:
            shapes = f"output shapes: from the last forward pass (N = {self.n_observations})"
        else:
            shapes = ("output shapes: N x D before a forward pass (D from the layers' sizes; "
                      "? where unknown)")
        mode = f"mode: {self.mode}"
        if self.mode_dependent:
            mode += f" (followed by {', '.join(self.mode_dependent)})"
        return [total, shapes, mode]

    def __str__(self):
        table = [_COLUMNS] + [
            (r.name, r.cls, r.shape, r.parameters_text(), r.reads_text()) for r in self.rows
        ]
        widths = [max(len(cells[i]) for cells in table) for i in range(4)]

        def line(cells):
            text = "  ".join(cell.ljust(width) for cell, width in zip(cells[:3], widths))
            return f"{text}  {cells[3].rjust(widths[3])}  {cells[4]}".rstrip()

        rule = "-" * max(len(line(cells)) for cells in table)
        return "\n".join([line(table[0]), rule] + [line(cells) for cells in table[1:]]
                         + [rule] + self.footer())

    __repr__ = __str__

    def _repr_html_(self):
        esc = html.escape
        head = "".join(f"<th style='text-align:left'>{esc(c)}</th>" for c in _COLUMNS)
        body = "".join(
            "<tr>"
            f"<td><b>{esc(r.name)}</b></td><td>{esc(r.cls)}</td><td>{esc(r.shape)}</td>"
            f"<td style='text-align:right'>{esc(r.parameters_text())}</td>"
            f"<td>{esc(r.reads_text())}</td></tr>"
            for r in self.rows
        )
        foot = "<br>".join(esc(line) for line in self.footer())
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                f"<p>{foot}</p>")


def summary(graph):
    """The ``Summary`` of ``graph``: one row per node, then the parameter total (see the
    module's docstring). Raises ``GraphError`` for a graph with an input slot left empty."""
    names = graph.nodes  # compiles: an empty slot is a GraphError naming the node
    from_pass = graph.has_values
    widths = None if from_pass else _widths(graph, names)
    n_observations = None
    seen, rows = set(), []
    for name in names:
        kind = graph.nx.nodes[name]["kind"]
        op = graph.op(name)
        params = op.parameters() if kind == LAYER else []
        shared = any(id(p) in seen for p in params)
        seen.update(id(p) for p in params)
        if kind == OBJECTIVE:
            shape = "scalar J"
        elif from_pass:
            value = np.shape(value_or_none(graph, name))
            shape = describe_shape(value) if value else "?"
            if len(value) >= 2:
                n_observations = value[0]
        else:
            width = widths.get(name)
            shape = f"N x {'?' if width is None else describe_shape(width)}"
        rows.append(Row(
            name=name,
            kind=kind,
            cls="input" if kind == INPUT else op.describe(),
            shape=shape,
            parameters=sum(int(p.size) for p in params),
            shared=shared,
            reads=tuple(graph.predecessors(name)),
        ))
    total = sum(int(p.size) for p in graph.parameters())
    return Summary(tuple(rows), total, sum(r.parameters for r in rows) != total, from_pass,
                   n_observations, graph.mode, tuple(graph.mode_dependent))


def _widths(graph, names):
    """Each observation's output shape read off the layers, before any pass: ``{name: (D,)
    or (C, H, W) or None}`` (``None`` where nothing tells)."""
    kinds = {name: graph.nx.nodes[name]["kind"] for name in names}
    widths = {}
    # An input's shape is what its consumers expect of it.
    for name in names:
        op = graph.op(name)
        for slot, source in enumerate(graph.predecessors(name)):
            if kinds[source] == INPUT and widths.get(source) is None:
                widths[source] = _expected_shape(op)
    for _ in range(2):  # the second round fills targets, whose shape comes from the estimates
        for name in names:
            if kinds[name] == LAYER:
                widths[name] = _output_shape(graph.op(name), [widths.get(s) for s in graph.predecessors(name)])
            elif kinds[name] == OBJECTIVE:
                target, estimate = graph.predecessors(name)
                if kinds[target] == INPUT and widths.get(target) is None:
                    widths[target] = widths.get(estimate)
    return widths


def _expected_shape(op):
    """Each observation's input shape a layer asks for, if it says: ``(sizeIn,)``, or an
    ``InputLayer``'s (``(D,)``, ``(C, H, W)``) or a ``BatchNormLayer``'s width."""
    if isinstance(op, InputLayer):
        return tuple(op.feature_shape)
    if isinstance(op, BatchNormLayer):
        return (op.width,)
    size_in = getattr(op, "sizeIn", None)
    return None if size_in is None else (size_in,)


def _output_shape(op, input_shapes):
    """Each observation's output shape, from the layer's sizes and its inputs' shapes (``None``
    where unknown)."""
    size_out = getattr(op, "sizeOut", None)
    if size_out is not None:
        return (size_out,)
    if isinstance(op, InputLayer):
        return tuple(op.feature_shape)
    if isinstance(op, ConcatLayer):
        return None if None in input_shapes else (sum(shape[-1] for shape in input_shapes),)
    if isinstance(op, SliceLayer):
        return (op.stop - op.start,)
    if isinstance(op, (InitialStateLayer, BatchNormLayer)):
        return (op.width,)
    if getattr(op, "input_ndim", 2) not in (2, None):
        return None  # a layer of images (convolution, pooling) changes shapes its own way
    # elementwise layers, softmax, AddLayer: shaped like their (first) input
    return input_shapes[0] if input_shapes else None
