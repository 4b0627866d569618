"""Graphviz drawings of a ``Graph``: the network view and the gradient-flow view.

- ``network_diagram(graph)``: one box per input, layer and objective (name, class, output
  shape ``N x D`` -- ``?`` before a forward pass -- and parameter count), each edge labelled
  with the shape of the value it carries, and the total parameter count in the legend.
- ``gradient_diagram(graph)``, after ``forward`` and ``backward``: each edge shows the gradient
  that flowed back along it (its mean and its mean absolute value), coloured and thickened on
  a log scale of the mean absolute value, and flagged as vanishing (below ``1e-6``) or
  exploding (above ``1e3``); nodes with parameters show the norms of their parameter
  gradients; a value that fans out says its gradient is a sum.
- ``render(graph, path)`` writes either view; the file extension picks the format.

Both views run left to right for short graphs and top to bottom for deep ones
(``rankdir="auto"``), fold a block of layers repeated ``fold`` (4) or more times along a
chain into one box, and can draw a range of nodes only (``node_range=(first, last)``).

Both diagrams are ``graphviz.Digraph`` objects (Jupyter shows them inline, or without
Graphviz's ``dot`` the install hint and the DOT source) whose ``source``
is deterministic: the same graph gives the same bytes, with no ids or addresses in it, so it
can be compared in tests. Writing ``.dot``/``.gv`` needs no Graphviz programs; SVG, PNG and
PDF are made by Graphviz's ``dot``. Usually reached through ``Graph.to_dot`` and
``Graph.render``; see docs/rendering.md.

>>> import graphnn as gn
>>> g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1), gn.LogisticSigmoidLayer())
>>> diagram = network_diagram(g)      # before a forward pass: shapes are "?"
>>> "FullyConnectedLayer 2-&gt;1" in diagram.source, "3 params" in diagram.source
(True, True)
"""
import html
import math
import shutil
from pathlib import Path

import graphviz
import numpy as np

from . import _layout
from ._layout import AUTO, FOLD, Fold
from .._validation import describe_shape
from ..core import INPUT, LAYER, OBJECTIVE, GraphError
from ..layers.Layer import Layer

__all__ = [
    "RenderError", "network_diagram", "gradient_diagram", "render", "format_number",
    "RANKDIRS", "VIEWS", "SOURCE_FORMATS", "IMAGE_FORMATS", "VANISHING", "EXPLODING",
    "LEGEND_NODE", "Diagram", "graph_repr", "graph_svg", "graph_mimebundle",
]

#: the directions a diagram may run in (Graphviz's ``rankdir``): left to right, top to
#: bottom, right to left, bottom to top; or ``AUTO`` (``"auto"``, the default): ``"LR"`` for a
#: graph at most four boxes deep, ``"TB"`` for deeper ones, so the drawing fits a screen
RANKDIRS = ("LR", "TB", "RL", "BT")
#: the two diagrams: ``network_diagram`` and ``gradient_diagram``
VIEWS = ("network", "gradients")
#: file extensions ``render`` writes as DOT source, with Python alone
SOURCE_FORMATS = (".dot", ".gv")
#: file extensions ``render`` makes with Graphviz's ``dot`` program
IMAGE_FORMATS = (".svg", ".png", ".pdf")

#: an edge whose mean |gradient| is below ``VANISHING`` is flagged "vanishing"
VANISHING = 1e-6
#: an edge whose mean |gradient| is above ``EXPLODING`` (or not finite) is flagged "exploding"
EXPLODING = 1e3

#: the id of the legend's node; it contains characters no graph node name may have
LEGEND_NODE = "(legend)"

#: the colour scale of the gradient view: log10(mean |gradient|) from ``LOG_MIN`` to
#: ``LOG_MAX`` (1e-8 to 1e4). Pale grey where gradients die out, blues through the
#: small-but-alive range, green around 1, orange and red where they blow up. Values outside
#: the range take the end colours.
LOG_MIN, LOG_MAX = -8, 4
_PALETTE = (  # (log10 magnitude, colour), interpolated linearly in RGB
    (-8, "#c8c8c8"), (-6, "#9ecae1"), (-4, "#4292c6"), (-2, "#08519c"),
    (0, "#238b45"), (2, "#f08c2a"), (3, "#e31a1c"), (4, "#99000d"),
)
_PENWIDTH = (1.0, 5.0)

_FONT = "Helvetica"
_KIND_STYLE = {  # inputs, layers and objectives styled apart
    INPUT: dict(shape="box", style="rounded,filled", fillcolor="#e5f5e0", color="#41ab5d"),
    LAYER: dict(shape="box", style="rounded,filled", fillcolor="#deebf7", color="#4a80c0"),
    OBJECTIVE: dict(
        shape="box", style="filled", fillcolor="#fee6ce", color="#e6550d", peripheries="2",
    ),
}
_KIND_WORD = {INPUT: "input", LAYER: "layer", OBJECTIVE: "objective"}
_NO_GRADIENT = dict(style="dashed", color="#9a9a9a", fontcolor="#7a7a7a", dir="none")
_FLAG_COLOUR = {"vanishing": "#3b6fb6", "exploding": "#c00000"}
_SMALL = 10  # point size of the secondary lines in labels
_EDGE_FONTSIZE = "9"


class RenderError(RuntimeError):
    """A diagram could not be turned into an image: Graphviz's ``dot`` is missing or failed."""


_INSTALL_HINT = (
    "needs the program 'dot' from Graphviz, which is not on the PATH (the Python package "
    "'graphviz' alone only writes DOT source). Install Graphviz: 'apt-get install graphviz' "
    "(Debian/Ubuntu), 'brew install graphviz' (macOS) or 'conda install -c conda-forge graphviz'."
)


class Diagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` that Jupyter shows as SVG, or, without Graphviz's ``dot``,
    as graphnn's install hint followed by the DOT source (never a traceback)."""

    def __repr__(self):  # the text a notebook shows beside the SVG; no object address
        return f"<{type(self).__name__} {self.name}: .source is its DOT text>"

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {"text/plain": f"Drawing this diagram {_INSTALL_HINT}\n\n{self.source}"}


def format_number(x):
    """A number with 4 significant digits, as every diagram shows them.

    >>> [format_number(x) for x in (0.31428, -4.7142e-07, 1.2e6, -0.0)]
    ['0.3143', '-4.714e-7', '1.2e6', '0']
    """
    x = float(x)
    if x == 0:
        return "0"  # also for -0.0
    text = f"{x:.4g}"
    if "e" in text:  # 4.714e-07 -> 4.714e-7, 1.2e+06 -> 1.2e6: shorter labels
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


# ---------------------------------------------------------------------------- public API
def network_diagram(graph, rankdir=AUTO, profile=None, *, fold=FOLD, node_range=None, marks=None):
    """The network: a ``graphviz.Digraph`` with one node per input, layer and objective.

    Each node shows its name, its class (``describe()``), its output shape after a forward
    pass (``?`` before one) and, for layers, its parameter count; objectives show ``J``. Each
    edge is labelled with the shape of the value it carries (and, into a node with several
    inputs, the slot it fills). ``rankdir`` is ``"auto"`` (the default: left to right for a
    graph at most four boxes deep, top to bottom beyond), ``"LR"`` (left to right), ``"TB"``,
    ``"RL"`` or ``"BT"`` (``RANKDIRS``; anything else is a ``ValueError``).

    Keyword-only, for deep graphs (both views):

    - ``fold``: a block of layers repeated at least ``fold`` times in a row along a chain
      (``50 x [FullyConnectedLayer 32->32 -> TanhLayer]``) is drawn as one box naming its
      first and last nodes, the block, the repeats and the parameters in it (the gradient
      view: the range of the gradients inside). Default ``FOLD`` (4); ``False`` draws every
      node.
    - ``node_range=(first, last)``: only the nodes from ``first`` to ``last`` (names, in the
      graph's topological order ``graph.nodes``; both included), as Keras's ``layer_range``;
      the nodes just outside that an edge reaches are small grey names.

    ``profile``: a ``graphnn.views.profiler.Profile`` of this graph. Each node then shows its
    forward and backward time, its output size, its share of the pass and the bytes of the
    gradients it sent back; its fill is darker (and its border wider) the larger its share
    of the pass time, on a linear scale up to the largest share; the legend gives the pass
    time and the graph overhead. The same profile gives the same DOT text.

    ``marks``: ``{node: message}``, nodes to point out (``graphnn.grading.diagnose`` uses it): a red
    border, and the message in red in the label (``""`` for none); edges between two marked
    nodes are drawn red, which shows a path.
    """
    _check_rankdir(rankdir)
    drawing = _layout.plan(graph, fold, node_range)
    dot = _digraph(graph, _layout.choose_rankdir(rankdir, drawing), "network")
    largest = _largest_share(profile) if profile is not None else 0.0
    for item in drawing.items:
        if isinstance(item, Fold):
            dot.node(item.id, label=_table(_fold_rows(graph, item)), **_FOLD_STYLE)
            continue
        name = item
        rows = _node_rows(graph, name)
        style = _KIND_STYLE[_kind(graph, name)]
        if profile is not None:
            rows += _profile_rows(profile, name)
            style = _profile_style(profile, name, style, largest)
        rows, style = _marked_node(marks, name, rows, style)
        dot.node(name, label=_table(rows), **style)
    _draw_outside(dot, drawing)
    for edge in drawing.edges:
        text = _shape_of(graph, edge.source)
        slot_name = _slot_name(graph, edge.target, edge.slot)
        if slot_name:
            text = f"{slot_name}: {text}"
        dot.edge(edge.tail, edge.head, label=_edge_label([_esc(text)]), **_marked_edge(marks, edge.source, edge.target))
    total, shared = _parameter_total(graph)
    legend = [
        ("<b>Network" + (" with a profile" if profile is not None else "") + "</b>", None),
        (_swatches(filled=profile is None), None),
        # One font per line: browsers measure text with other fonts than Graphviz did, so a
        # bold number inside a plain line lands with a gap before it.
        (f"total parameters: {total:,}"
         + (" (shared counted once)" if shared else ""), None),
        ("edge label: shape (N x D) of the value it carries", _SMALL),
    ]
    if not graph.has_values:
        legend.append(("shapes are ? until a forward pass", _SMALL))
    if profile is not None:
        legend += _profile_legend(profile, largest)
    _add_legend(dot, legend + _layout_legend(drawing))
    return dot


def gradient_diagram(graph, rankdir=AUTO, *, fold=FOLD, node_range=None, marks=None):
    """The gradient flow after ``graph.forward(...)`` and ``graph.backward()``.

    Each edge ``u -> v`` (arrow pointing back, the way gradients flow) shows the gradient
    ``graph.last_pass.edge_grad(u, v, slot)`` that ``v`` sent back to ``u``: its mean (over
    observations; over all entries when it has several columns) and its mean absolute value,
    which sets the edge's colour and width on a log scale. Mean |gradient| below ``1e-6`` is
    flagged *vanishing*, above ``1e3`` *exploding*. Edges that carry no gradient (an
    objective's targets, branches fed only by constant inputs, nodes that do not reach an
    objective) are grey and dashed. Nodes with parameters show the norm of each parameter's
    gradient; a value read by several consumers shows that its gradient is the sum of theirs.
    A mean within rounding of 0 (below ``eps * count * mean|g|``) shows as ``~0``; norms are
    computed scaled, so a vanished gradient (``1e-183``) shows its size, never ``0``.
    ``rankdir``, ``fold``, ``node_range``: as for ``network_diagram``; a folded box shows the
    range of mean |gradient| along its inner edges and of its parameter-gradient norms.
    ``marks``: as for ``network_diagram`` (``graphnn.grading.gradcheck.gradcheck_nodes`` marks the
    nodes whose backward is wrong).

    Raises ``GraphError`` when the graph has no gradients yet, ``ValueError`` for a
    ``rankdir`` not in ``RANKDIRS`` (or ``"auto"``), a bad ``fold`` or ``node_range``.
    """
    _check_rankdir(rankdir)
    if not graph.has_gradients:
        replaced = graph.has_values and graph.last_pass.replaced_gradients
        raise GraphError(
            "gradient diagram: the graph has no gradients yet; call graph.forward(...) and "
            "then graph.backward() first (the network view, view='network', needs neither)"
            if not replaced else
            "gradient diagram: a later forward pass (forward, predict or evaluate) replaced the "
            "gradients of the last backward; call graph.backward() again to draw them"
        )
    drawing = _layout.plan(graph, fold, node_range)
    dot = _digraph(graph, _layout.choose_rankdir(rankdir, drawing), "gradients")
    flagged = {"vanishing": 0, "exploding": 0}
    order = {name: i for i, name in enumerate(graph.nodes)}
    for item in drawing.items:
        if isinstance(item, Fold):
            rows = _fold_rows(graph, item, with_params=False) + _fold_gradient_rows(graph, item)
            dot.node(item.id, label=_table(rows), **_FOLD_STYLE)
            continue
        rows = _node_rows(graph, item, with_params=False) + _gradient_rows(graph, item, order)
        rows, style = _marked_node(marks, item, rows, _KIND_STYLE[_kind(graph, item)])
        dot.node(item, label=_table(rows), **style)
    _draw_outside(dot, drawing)
    for edge in drawing.edges:
        attrs, flag = _gradient_edge(graph, edge.source, edge.target, edge.slot)
        attrs.update(_marked_edge(marks, edge.source, edge.target))
        if flag:
            flagged[flag] += 1
        dot.edge(edge.tail, edge.head, **attrs)
    legend = [
        ("<b>Gradient flow</b>", None),
        ("arrows point the way gradients flow, back from J", _SMALL),
        ("on each edge, per observation: mean = mean gradient, "
         "mean|g| = mean absolute gradient", _SMALL),
        ("colour and width: mean|g| on a log scale", _SMALL),
        (_colour_bar(), None),
        (_flag_key("vanishing", f'(dotted): mean|g| &lt; {_decade(VANISHING)}, '
                                f'{flagged["vanishing"]} edge(s)'), _SMALL),
        (_flag_key("exploding", f'(bold): mean|g| &gt; {_decade(EXPLODING)}, '
                                f'{flagged["exploding"]} edge(s)'), _SMALL),
        ("mean ~0: within rounding of 0 (below eps x count x mean|g|)", _SMALL),
        ("grey dashed: no gradient (an objective's target, a constant branch, or no path to J)", _SMALL),
        ("|grad| weights 0.1 (in a node): norm of dJ/dweights, for each parameter", _SMALL),
        ("grad = sum of k: the value feeds k consumers, its gradient sums theirs", _SMALL),
    ]
    _add_legend(dot, legend + _layout_legend(drawing))
    return dot


def render(graph, path, view="network", rankdir=AUTO, profile=None, *, fold=FOLD,
           node_range=None, marks=None):
    """Write ``view`` (``"network"`` or ``"gradients"``) of ``graph`` to ``path``; returns
    the written path as a ``pathlib.Path``.

    The extension picks the format: ``.dot`` or ``.gv`` writes the DOT source, which needs no
    Graphviz programs; ``.svg``, ``.png`` or ``.pdf`` first writes the source next to it
    (``model.svg`` -> ``model.dot``), then runs Graphviz's ``dot``. Without ``dot`` on the
    ``PATH`` that raises ``RenderError`` saying how to install Graphviz; the ``.dot`` file is
    there all the same; a failing ``dot`` raises ``RenderError`` with its message. An
    unsupported extension is a ``ValueError``. ``rankdir`` (default ``"auto"``), ``profile``
    (network view only) and the keyword-only ``fold``, ``node_range`` and ``marks``: see
    ``network_diagram``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SOURCE_FORMATS + IMAGE_FORMATS:
        raise ValueError(
            f"render: cannot tell the format of {str(path)!r} from its extension "
            f"{suffix or '(none)'!r}; supported: {', '.join(SOURCE_FORMATS + IMAGE_FORMATS)}"
        )
    diagram = to_dot(graph, view, rankdir, profile=profile, fold=fold, node_range=node_range, marks=marks)
    source_path = path if suffix in SOURCE_FORMATS else path.with_suffix(".dot")
    source_path.write_text(diagram.source, encoding="utf-8")
    if suffix in SOURCE_FORMATS:
        return path
    try:
        image = diagram.pipe(format=suffix[1:])
    except graphviz.ExecutableNotFound:
        raise RenderError(
            f"rendering {str(path)!r} {_INSTALL_HINT} The DOT source was written "
            f"to {str(source_path)!r}; once Graphviz is installed, run: "
            f"dot -T{suffix[1:]} {source_path} -o {path}"
        ) from None
    except graphviz.CalledProcessError as err:
        stderr = err.stderr
        if isinstance(stderr, bytes):
            stderr = stderr.decode(errors="replace").strip()
        raise RenderError(
            f"Graphviz 'dot' failed to write {str(path)!r} (exit status {err.returncode}): "
            f"{stderr}; the DOT source is in {str(source_path)!r}"
        ) from None
    path.write_bytes(image)
    return path


def to_dot(graph, view="network", rankdir=AUTO, profile=None, *, fold=FOLD, node_range=None,
           marks=None):
    """``network_diagram`` or ``gradient_diagram``, by ``view`` name (``VIEWS``); ``profile``
    (a ``graphnn.views.profiler.Profile``) is drawn on the network view only; ``marks``
    (``{node: message}``) on either. ``rankdir`` (default
    ``"auto"``: left to right up to four boxes deep, top to bottom beyond), keyword-only
    ``fold`` (fold a block repeated at least that many times along a chain; ``False``: never)
    and ``node_range=(first, last)`` (draw those nodes only): see ``network_diagram``. The
    result is a ``Diagram``: in Jupyter, SVG, or without Graphviz the install hint and the
    DOT source. Raises ``ValueError`` for an unknown ``view`` or a profile with
    ``view="gradients"``, and whatever the chosen diagram raises."""
    if view == "network":
        return network_diagram(graph, rankdir, profile=profile, fold=fold, node_range=node_range, marks=marks)
    if view == "gradients":
        if profile is not None:
            raise ValueError(
                "a profile is drawn on the network view only: use view='network' "
                "(or network_diagram(graph, profile=profile))"
            )
        return gradient_diagram(graph, rankdir, fold=fold, node_range=node_range, marks=marks)
    raise ValueError(f"unknown view {view!r}; choose one of {', '.join(map(repr, VIEWS))}")


# ---------------------------------------------------------------------------- a Graph's own display
def graph_repr(graph):
    """A ``Graph``'s short text repr: its inputs, how many layers, its objectives and the
    number of trainable parameters, e.g. ``Graph(inputs X, Y; 3 layers; objective logloss;
    17 parameters)``. Never raises: a graph with an empty input slot says so.

    >>> import graphnn as gn
    >>> graph_repr(gn.Graph.sequential(gn.FullyConnectedLayer(2, 1), objective=gn.LogLoss()))
    'Graph(inputs X, Y; 1 layer; objective logloss1; 3 parameters)'
    """
    kinds = dict(graph.nx.nodes(data="kind"))
    if not kinds:
        return "Graph(empty)"
    inputs, objectives = graph.inputs, graph.objectives
    n_layers = sum(kind == LAYER for kind in kinds.values())
    parts = [
        f"input{'s' if len(inputs) != 1 else ''} {_listed(inputs)}" if inputs else "no inputs",
        f"{n_layers} layer{'s' if n_layers != 1 else ''}",
        (f"objective{'s' if len(objectives) != 1 else ''} {_listed(objectives)}"
         if objectives else "no objective"),
    ]
    try:
        total, _ = _parameter_total(graph)
    except GraphError as err:  # an empty slot: the graph cannot be ordered yet
        parts.append(f"incomplete: {err}")
    else:
        parts.append(f"{total:,} parameter{'s' if total != 1 else ''}")
    return f"Graph({'; '.join(parts)})"


def _listed(names, most=4):
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def graph_svg(graph):
    """The network view of ``graph`` as SVG text (what ``Graph._repr_svg_`` shows in
    Jupyter), or ``None`` when it cannot be drawn (no Graphviz ``dot``, an incomplete graph):
    IPython then falls back to the text repr."""
    try:
        return to_dot(graph).pipe(format="svg", encoding="utf-8")
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, GraphError):
        return None


def graph_mimebundle(graph, include=None, exclude=None):
    """A ``Graph``'s rich display for Jupyter (``_repr_mimebundle_``): ``image/svg+xml``, the
    network view, and ``text/plain``, its short repr; without Graphviz's ``dot`` the text
    also says how to install it. ``include``/``exclude``: mime types, as IPython passes them."""
    bundle = {"text/plain": graph_repr(graph)}
    svg = graph_svg(graph)
    if svg is not None:
        bundle["image/svg+xml"] = svg
    elif shutil.which("dot") is None:
        bundle["text/plain"] += f"\n(drawing it {_INSTALL_HINT})"
    if include is not None:
        bundle = {key: value for key, value in bundle.items() if key in set(include)}
    return {key: value for key, value in bundle.items() if key not in set(exclude or ())}


# ---------------------------------------------------------------------------- building blocks
def _check_rankdir(rankdir):
    if rankdir != AUTO and rankdir not in RANKDIRS:
        raise ValueError(
            f"rankdir must be one of {', '.join(map(repr, RANKDIRS))} or {AUTO!r} (LR: left to "
            f"right, TB: top to bottom, auto: by the graph's depth), got {rankdir!r}"
        )


def _digraph(graph, rankdir, view):
    _check_rankdir(rankdir)
    return Diagram(
        name=f"graphnn_{view}",
        graph_attr=dict(
            rankdir=rankdir, fontname=_FONT, nodesep="0.25", ranksep="0.35",
            newrank="true", bgcolor="white",
        ),
        node_attr=dict(fontname=_FONT, fontsize="12", margin="0.08,0.04"),
        edge_attr=dict(fontname=_FONT, fontsize=_EDGE_FONTSIZE, color="#555555",
                       fontcolor="#333333", arrowsize="0.7"),
    )


def _edges(graph):
    """Every edge ``(source, target, slot)``: targets in topological order, slots ascending,
    so the DOT text does not depend on the order the graph was built in (the replay draws
    every edge of every frame in this order)."""
    for target in graph.nodes:  # a compiled graph: every slot is filled
        for slot, source in enumerate(graph.predecessors(target)):
            yield source, target, slot


def _kind(graph, name):
    return graph.nx.nodes[name]["kind"]


def _out_edges(graph, name, order):
    """The edges out of ``name``, consumers in topological order (``order``: name -> index)."""
    return sorted(graph.nx.out_edges(name, keys=True), key=lambda e: (order[e[1]], e[2]))


def _slot_name(graph, target, slot):
    """How an edge into ``target`` names its slot: objectives read (target, estimate);
    nodes with several inputs number them; single-input nodes need no name."""
    node = graph.nx.nodes[target]
    if node["kind"] == OBJECTIVE:
        return ("target", "estimate")[slot]
    if node["n_inputs"] > 1:
        return f"in {slot}"
    return ""


def _shape_of(graph, name):
    value = _layout.value_or_none(graph, name)
    if value is None:
        return "?"
    return describe_shape(np.shape(value))


def _parameter_count(op):
    return sum(int(p.size) for p in op.parameters()) if isinstance(op, Layer) else 0


def _parameter_total(graph):
    """Distinct parameters' total size, and whether some are shared between nodes."""
    total = sum(int(p.size) for p in graph.parameters())
    per_node = sum(_parameter_count(graph.op(n)) for n in graph.nodes if _kind(graph, n) == LAYER)
    return total, per_node != total


def _node_rows(graph, name, with_params=True):
    """The label rows of a node: name, class, output shape and (for layers, unless
    ``with_params`` is false) parameter count; ``J`` for objectives."""
    kind = _kind(graph, name)
    op = graph.op(name)
    rows = [(f"<b>{_esc(name)}</b>", None)]
    if kind == INPUT:
        rows.append(("input", _SMALL))
        rows.append((f"out {_shape_of(graph, name)}", _SMALL))
    elif kind == LAYER:
        rows.append((_esc(op.describe()), _SMALL))
        line = f"out {_shape_of(graph, name)}"
        if with_params:
            count = _parameter_count(op)
            line += " | 1 param" if count == 1 else f" | {count:,} params"
        rows.append((line, _SMALL))
    else:
        rows.append((_esc(op.describe()), _SMALL))
        value = _layout.value_or_none(graph, name)
        line = "J = ?" if value is None else f"J = {format_number(value)}"
        weight = graph.nx.nodes[name].get("weight", 1.0)
        if weight != 1.0:
            line += f" | weight {format_number(weight)}"
        rows.append((line, _SMALL))
    return rows


def _gradient_rows(graph, name, order):
    """Extra label rows of the gradient view: parameter gradient norms, fan-out sums."""
    rows = []
    kind = _kind(graph, name)
    if kind == LAYER:
        params = graph.op(name).parameters()
        if params:
            norms = ", ".join(
                f"{_esc(p.name)} {format_number(_norm(p.grad))}" for p in params
            )
            rows.append((f"|grad| {norms}", _SMALL))
    if kind != OBJECTIVE:
        record = graph.last_pass
        carrying = [e for e in _out_edges(graph, name, order) if record.edge_grad(*e) is not None]
        if len(carrying) > 1:
            total = record.grad(name)
            rows.append((
                f"grad = sum of {len(carrying)}: mean {format_mean(total)}, "
                f"mean|g| {format_number(_mean_abs(total))}",
                _SMALL,
            ))
    return rows


def _gradient_edge(graph, source, target, slot):
    """Attributes of one edge of the gradient view, and its flag (or ``None``)."""
    slot_name = _slot_name(graph, target, slot)
    grad = graph.last_pass.edge_grad(source, target, slot)
    if grad is None:
        if _kind(graph, target) == OBJECTIVE and slot == 0:
            lines = ["no gradient (target)"]
        else:
            why = "no path to J" if graph.requires_grad(source) else "constant: nothing upstream trains"
            lines = ([f"<i>{slot_name}</i>"] if slot_name else []) + [f"no gradient ({why})"]
        return dict(label=_edge_label(lines), **_NO_GRADIENT), None
    prefix = [f"<i>{slot_name}</i>"] if slot_name else []
    grad = np.asarray(grad)
    magnitude = _mean_abs(grad)
    width = grad.shape[1] if grad.ndim == 2 else grad.size
    over = f" (over {width} cols)" if width > 1 else ""
    lines = prefix + [f"mean {format_mean(grad)}{over}", f"mean|g| {format_number(magnitude)}"]
    attrs = dict(dir="back", color=_colour(magnitude), penwidth=_penwidth(magnitude))
    flag = None
    if not math.isfinite(magnitude) or magnitude > EXPLODING:
        flag, attrs["style"] = "exploding", "bold"
    elif magnitude < VANISHING:
        flag, attrs["style"] = "vanishing", "dotted"
    if flag:
        lines.append(f'<font color="{_FLAG_COLOUR[flag]}"><b>{flag.upper()}</b></font>')
    attrs["label"] = _edge_label(lines)
    return attrs, flag


# ---------------------------------------------------------------------------- marks
_MARK_COLOUR = "#d7191c"


def _marked_node(marks, name, rows, style):
    """A marked node's label rows (its message added, in red) and style (a red border)."""
    if not marks or name not in marks:
        return rows, style
    message = marks[name]
    if message:
        rows = rows + [(f'<font color="{_MARK_COLOUR}"><b>{_esc(message)}</b></font>', _SMALL)]
    return rows, dict(style, color=_MARK_COLOUR, penwidth="3" if message else "2")


def _marked_edge(marks, source, target):
    """Extra attributes of an edge between two marked nodes: red and wide."""
    if marks and source in marks and target in marks:
        return dict(color=_MARK_COLOUR, penwidth="2.5")
    return {}


# ---------------------------------------------------------------------------- folds and ranges
_FOLD_STYLE = dict(_KIND_STYLE[LAYER], shape="box3d", style="filled")  # a stack of layers
_OUTSIDE_STYLE = dict(shape="plaintext", fontcolor="#8a8a8a", fontsize="10")


def _fold_rows(graph, fold, with_params=True):
    """The label rows of a folded block: its first and last nodes, the block and how many
    times it repeats, the output shape and (unless ``with_params`` is false) the parameters."""
    block = " -&gt; ".join(_esc(text) for text in fold.block)
    rows = [
        (f"<b>{_esc(fold.first)} ... {_esc(fold.last)}</b>", None),
        (f"{fold.repeats} x [{block}]", _SMALL),
    ]
    line = f"{len(fold.members)} layers | out {_shape_of(graph, fold.last)}"
    if with_params:
        count = sum(_parameter_count(graph.op(name)) for name in fold.members)
        line += f" | {count:,} params"
    rows.append((line, _SMALL))
    return rows


def _fold_gradient_rows(graph, fold):
    """The gradient view of a folded block: the range of mean |gradient| along its inner
    edges and of its parameter-gradient norms, with a flag when the range reaches one."""
    inner = [graph.last_pass.edge_grad(a, b) for a, b in zip(fold.members, fold.members[1:])]
    magnitudes = [_mean_abs(np.asarray(g)) for g in inner if g is not None]
    norms = [_norm(p.grad) for name in fold.members for p in graph.op(name).parameters()]
    rows = []
    for what, values in (("mean|g| inside", magnitudes), ("|grad| params", norms)):
        if values:
            rows.append((f"{what} {format_number(min(values))} to {format_number(max(values))}",
                         _SMALL))
    if magnitudes:
        flags = []
        if min(magnitudes) < VANISHING:
            flags.append("vanishing")
        if not all(map(math.isfinite, magnitudes)) or max(magnitudes) > EXPLODING:
            flags.append("exploding")
        for flag in flags:
            rows.append((f'<font color="{_FLAG_COLOUR[flag]}"><b>{flag.upper()} inside</b></font>',
                         _SMALL))
    return rows


def _draw_outside(dot, drawing):
    """The nodes just beyond ``node_range`` that an edge reaches: small grey names."""
    for name in drawing.outside:
        dot.node(_layout.outside_id(name), label=_esc(name), **_OUTSIDE_STYLE)


def _layout_legend(drawing):
    rows = []
    if drawing.node_range is not None:
        first, last = drawing.node_range
        rows.append((f"drawn: nodes {_esc(first)} to {_esc(last)} of {drawing.n_nodes} "
                     "(grey names: nodes outside the range)", _SMALL))
    if drawing.folds:
        rows.append(("a stacked box: a block of layers repeated along a chain, "
                     "drawn once (fold=False draws every node)", _SMALL))
    return rows


# ---------------------------------------------------------------------------- profile overlay
# The fill of a profiled node: pale for no time, dark orange for the largest share.
_HEAT = ((0.0, "#fff5eb"), (0.5, "#fdae6b"), (1.0, "#f16913"))
_HEAT_STEPS = 5  # swatches in the legend's scale


def _largest_share(profile):
    return max((profile.share(row.name) for row in profile.rows), default=0.0)


def _position(profile, name, largest):
    """Node ``name``'s share of the pass as a position in ``[0, 1]``, 1 for the largest."""
    if name not in profile.by_node or largest <= 0:
        return 0.0
    return min(profile.share(name) / largest, 1.0)


def _heat(position):
    return _interpolate(_HEAT, position)


def _profile_style(profile, name, style, largest):
    position = _position(profile, name, largest)
    return dict(style, fillcolor=_heat(position), penwidth=f"{1.0 + 2.0 * position:.2f}")


def _profile_rows(profile, name):
    """The label rows a profile adds to node ``name``: times and output size, then share and
    gradient bytes, then how the pass treated the node."""
    from .profiler import format_bytes, format_seconds

    row = profile.by_node.get(name)
    if row is None:
        return [("<i>not profiled</i>", _SMALL)]
    if row.kind == INPUT:
        return [(f"fed {format_bytes(row.output_bytes)}", _SMALL)]
    rows = [
        (f"fwd {format_seconds(row.forward)} | bwd {format_seconds(row.backward)} | "
         f"out {format_bytes(row.output_bytes)}", _SMALL),
        (f"{100.0 * profile.share(name):.1f} % of the pass | "
         f"grad back {format_bytes(row.gradient_bytes)}", _SMALL),
    ]
    if row.note:
        rows.append((f"<i>{_esc(row.note)}</i>", _SMALL))
    return rows


def _profile_legend(profile, largest):
    from .profiler import format_seconds

    def percent(seconds):
        return f"{100.0 * seconds / profile.total:.1f} %" if profile.total > 0 else "-"

    rows = [
        ("<b>Profile</b>", None),
        (f"median of {profile.repeat} passes: forward "
         f"{format_seconds(profile.total_forward)} + backward "
         f"{format_seconds(profile.total_backward)} = {format_seconds(profile.total)}", None),
        (f"in the nodes {format_seconds(profile.node_total)} ({percent(profile.node_total)}); "
         f"graph overhead {format_seconds(profile.overhead)} ({percent(profile.overhead)}): "
         "the graph's own work between nodes, and the profiler's timers", _SMALL),
    ]
    if profile.plain_total is not None:
        rows.append((f"the same pass without the profiler's timers: "
                     f"{format_seconds(profile.plain_total)}", _SMALL))
    rows += [
        ("time: darker = larger share of the pass (linear, up to the largest)", _SMALL),
        (_heat_bar(largest), None),
        ("in a node: fwd | bwd time | output size; share of the pass | bytes of the "
         "gradients it sent back", _SMALL),
    ]
    return rows


def _heat_bar(largest):
    steps = [i / (_HEAT_STEPS - 1) for i in range(_HEAT_STEPS)]
    swatch = "".join(
        f'<td bgcolor="{_heat(t)}" width="40" height="10" fixedsize="true"></td>' for t in steps
    )
    names = "".join(f'<td><font point-size="8">{100.0 * t * largest:.1f} %</font></td>' for t in steps)
    return (
        '<table border="0" cellspacing="1" cellpadding="1">'
        f"<tr>{swatch}</tr><tr>{names}</tr></table>"
    )


# Statistics of gradients that may hold huge values, inf or NaN: the drawing shows them (and
# flags them) rather than letting numpy warn, which the test suite turns into errors.
def _mean(array):
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean(array))


def _mean_abs(array):
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean(np.abs(array)))


def _norm(array):
    """The 2-norm, scaled first (``m * ||a / m||`` with ``m = max |a|``) so that squares of
    tiny entries do not underflow to 0 (nor huge ones overflow): a gradient whose largest
    entry is 1e-183 has a norm of that size, not 0. NaN stays NaN, inf stays inf."""
    array = np.asarray(array)
    if array.size == 0:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        largest = float(np.max(np.abs(array)))
        if largest == 0 or not math.isfinite(largest):
            return float(np.linalg.norm(array)) if not math.isfinite(largest) else 0.0
        return largest * float(np.linalg.norm(array / largest))


def format_mean(array):
    """The mean of ``array`` as diagrams show it: ``format_number``, or ``~0`` when it lies
    within rounding of 0, below ``eps * count * mean|g|`` (the rounding a sum of ``count``
    terms of that size may carry): the mean gradient into a softmax, mathematically 0,
    computes as ``4e-19``, which is noise, not a value.

    >>> float(np.mean([0.1, 0.2, -0.3]))   # 0 in exact arithmetic
    1.850371707708594e-17
    >>> format_mean(np.array([[0.1, 0.2, -0.3]])), format_mean(np.array([[0.5, -0.25]]))
    ('~0', '0.125')
    """
    array = np.asarray(array)
    mean = _mean(array)
    if mean != 0 and math.isfinite(mean) and array.dtype.kind == "f":
        noise = np.finfo(array.dtype).eps * array.size * _mean_abs(array)
        if abs(mean) <= noise:
            return "~0"
    return format_number(mean)


# ---------------------------------------------------------------------------- colours and labels
def _scale(magnitude):
    """``magnitude`` as a position in ``[0, 1]`` on the log scale (0 for 0 or tiny, 1 for
    huge or non-finite)."""
    if not math.isfinite(magnitude):
        return 1.0
    if magnitude <= 0:
        return 0.0
    return min(max((math.log10(magnitude) - LOG_MIN) / (LOG_MAX - LOG_MIN), 0.0), 1.0)


def _colour(magnitude):
    return _interpolate(_PALETTE, LOG_MIN + _scale(magnitude) * (LOG_MAX - LOG_MIN))


def _interpolate(stops, position):
    """The colour at ``position`` on a scale of ``(position, colour)`` stops, linear in RGB."""
    for (lo, c_lo), (hi, c_hi) in zip(stops, stops[1:]):
        if position <= hi:
            t = (position - lo) / (hi - lo)
            rgb = [round(a + t * (b - a)) for a, b in zip(_rgb(c_lo), _rgb(c_hi))]
            return "#" + "".join(f"{v:02x}" for v in rgb)
    return stops[-1][1]


def _decade(x):
    """``1e-06`` -> ``'1e-6'``, as the colour bar names them."""
    return f"1e{round(math.log10(x))}"


def _rgb(colour):
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


def _penwidth(magnitude):
    lo, hi = _PENWIDTH
    return f"{lo + _scale(magnitude) * (hi - lo):.2f}"


def _esc(text):
    return html.escape(str(text), quote=False)


_TABLE = '<table border="0" cellborder="0" cellspacing="0" cellpadding="{padding}">{body}</table>'


def _table(rows, align="CENTER", padding=None):
    """An HTML-like label: one row per ``(html text, point size or None)``, in a border-free
    table; with ``padding``, that many points of blank space around it."""
    cells = []
    for text, size in rows:
        if size is not None:
            text = f'<font point-size="{size}">{text}</font>'
        cells.append(f'<tr><td align="{align}">{text}</td></tr>')
    table = _TABLE.format(padding=1, body="".join(cells))
    if padding is not None:
        table = _TABLE.format(padding=padding, body=f"<tr><td>{table}</td></tr>")
    return f"<{table}>"


def _edge_label(lines):
    """An HTML-like edge label, one line per entry (each already HTML), padded so that a
    thick edge does not run into the text."""
    return _table([(line, None) for line in lines], padding=3)


def _swatches(filled=True):
    """The network view's key: how inputs, layers and objectives are drawn (with a profile,
    the fill shows time, so the key shows the borders only)."""
    cells = "".join(
        f'<td bgcolor="{_KIND_STYLE[kind]["fillcolor"] if filled else "white"}" border="1" '
        f'color="{_KIND_STYLE[kind]["color"]}">'
        f'<font point-size="{_SMALL}"> {_KIND_WORD[kind]} </font></td>'
        for kind in (INPUT, LAYER, OBJECTIVE)
    )
    return f'<table border="0" cellspacing="4" cellpadding="2"><tr>{cells}</tr></table>'


def _colour_bar():
    """One swatch per decade from 1e-8 to 1e4, with the flag thresholds marked."""
    decades = range(LOG_MIN, LOG_MAX + 1)
    swatch = "".join(
        f'<td bgcolor="{_colour(10.0 ** d)}" width="26" height="10" fixedsize="true"></td>'
        for d in decades
    )
    names = "".join(f'<td><font point-size="8">{_decade(10.0 ** d)}</font></td>' for d in decades)
    return (
        '<table border="0" cellspacing="1" cellpadding="1">'
        f"<tr>{swatch}</tr><tr>{names}</tr></table>"
    )


def _flag_key(flag, text):
    """A legend line naming ``flag``, all in its colour and one font: a browser measures text
    in other fonts than Graphviz did, so a second font run on a line lands with a gap."""
    return f'<font color="{_FLAG_COLOUR[flag]}">{flag.upper()} {text}</font>'


def _add_legend(dot, rows):
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="", style="rounded", color="#bbbbbb", margin="6")
        legend.node(
            LEGEND_NODE, label=_table(rows, align="LEFT"), shape="plaintext", margin="0",
        )
