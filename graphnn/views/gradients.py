"""The gradient view: ``gradient_diagram(graph)``, after ``forward`` and ``backward``, draws
the gradient that flowed back along each edge.

Each edge shows its gradient's mean and mean absolute value, coloured and thickened on a log
scale of the mean absolute value (``graphnn.views.drawing.gradient_colour``), and flagged as
vanishing (below ``VANISHING``, ``1e-6``) or exploding (above ``EXPLODING``, ``1e3``); nodes
with parameters show the norms of their parameter gradients; a value that fans out says its
gradient is a sum. The boxes are the network view's (``graphnn.views.network``). Reached
through ``graphnn.views.render`` (``to_dot(graph, "gradients")``, ``render``), which keeps
these names; see docs/rendering.md.
"""
import math

import numpy as np

from . import _layout
from ._layout import AUTO, FOLD, Fold
from .drawing import (
    KIND_STYLE, NO_GRADIENT, SMALL, add_legend, check_rankdir, colour_bar, decade, edge_label,
    escape, format_mean, format_number, gradient_colour, html_label, mean_abs, new_diagram,
    node_kind, norm, penwidth, slot_label,
)
from .network import (
    FOLD_STYLE, carried_edge, draw_outside, fold_rows, layout_legend, marked_edge, marked_node, node_rows,
)
from .._validation import describe_shape
from ..core import LAYER, OBJECTIVE, GraphError

__all__ = ["gradient_diagram", "VANISHING", "EXPLODING"]

#: an edge whose mean |gradient| is below ``VANISHING`` is flagged "vanishing"
VANISHING = 1e-6
#: an edge whose mean |gradient| is above ``EXPLODING`` (or not finite) is flagged "exploding"
EXPLODING = 1e3

_FLAG_COLOUR = {"vanishing": "#3b6fb6", "exploding": "#c00000"}


def gradient_diagram(graph, rankdir=AUTO, *, fold=FOLD, node_range=None, marks=None):
    """The gradient flow after ``graph.forward(...)`` and ``graph.backward()``.

    Each edge ``u -> v`` (arrow pointing back, the way gradients flow) shows the gradient
    ``graph.last_pass.edge_grad(u, v, slot)`` that ``v`` sent back to ``u``: its mean (over
    observations; over all entries when it has several columns, or several entries per
    observation, as images have) and its mean absolute value,
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
    check_rankdir(rankdir)
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
    dot = new_diagram(graph, _layout.choose_rankdir(rankdir, drawing), "gradients")
    flagged = {"vanishing": 0, "exploding": 0}
    order = {name: i for i, name in enumerate(graph.nodes)}
    for item in drawing.items:
        if isinstance(item, Fold):
            rows = fold_rows(graph, item, with_params=False) + _fold_gradient_rows(graph, item)
            dot.node(item.id, label=html_label(rows), **FOLD_STYLE)
            continue
        rows = node_rows(graph, item, with_params=False) + _gradient_rows(graph, item, order)
        rows, style = marked_node(marks, item, rows, KIND_STYLE[node_kind(graph, item)])
        dot.node(item, label=html_label(rows), **style)
    draw_outside(dot, drawing)
    for edge in drawing.edges:
        if edge.carried:
            dot.edge(edge.tail, edge.head, **carried_edge(graph, edge))
            continue
        attrs, flag = (_merged_gradient_edge(graph, edge) if edge.merged
                       else _gradient_edge(graph, edge.source, edge.target, edge.slot))
        attrs.update(marked_edge(marks, edge.source, edge.target))
        if flag:
            flagged[flag] += 1
        dot.edge(edge.tail, edge.head, **attrs)
    legend = [
        ("<b>Gradient flow</b>", None),
        ("arrows point the way gradients flow, back from J", SMALL),
        ("on each edge, per observation: mean = mean gradient, "
         "mean|g| = mean absolute gradient", SMALL),
        ("colour and width: mean|g| on a log scale", SMALL),
        (colour_bar(), None),
        (_flag_key("vanishing", f'(dotted): mean|g| &lt; {decade(VANISHING)}, '
                                f'{flagged["vanishing"]} edge(s)'), SMALL),
        (_flag_key("exploding", f'(bold): mean|g| &gt; {decade(EXPLODING)}, '
                                f'{flagged["exploding"]} edge(s)'), SMALL),
        ("mean ~0: within rounding of 0 (below eps x count x mean|g|)", SMALL),
        ("grey dashed: no gradient (an objective's target, a constant branch, or no path to J)", SMALL),
        ("|grad| weights 0.1 (in a node): norm of dJ/dweights, for each parameter", SMALL),
        ("grad = sum of k: the value feeds k consumers, its gradient sums theirs", SMALL),
    ]
    add_legend(dot, legend + layout_legend(drawing))
    return dot


def _out_edges(graph, name, order):
    """The edges out of ``name``, consumers in topological order (``order``: name -> index)."""
    return sorted(graph.nx.out_edges(name, keys=True), key=lambda e: (order[e[1]], e[2]))


def _gradient_rows(graph, name, order):
    """Extra label rows of the gradient view: parameter gradient norms, fan-out sums."""
    rows = []
    kind = node_kind(graph, name)
    if kind == LAYER:
        params = graph.op(name).parameters()
        if params:
            norms = ", ".join(
                f"{escape(p.name)} {format_number(norm(p.grad))}" for p in params
            )
            rows.append((f"|grad| {norms}", SMALL))
    if kind != OBJECTIVE:
        record = graph.last_pass
        carrying = [e for e in _out_edges(graph, name, order) if record.edge_grad(*e) is not None]
        if len(carrying) > 1:
            total = record.grad(name)
            rows.append((
                f"grad = sum of {len(carrying)}: mean {format_mean(total)}, "
                f"mean|g| {format_number(mean_abs(total))}",
                SMALL,
            ))
    return rows


def _gradient_edge(graph, source, target, slot):
    """Attributes of one edge of the gradient view, and its flag (or ``None``)."""
    slot_name = slot_label(graph, target, slot)
    grad = graph.last_pass.edge_grad(source, target, slot)
    if grad is None:
        if node_kind(graph, target) == OBJECTIVE and slot == 0:
            lines = ["no gradient (target)"]
        else:
            why = "no path to J" if graph.requires_grad(source) else "constant: nothing upstream trains"
            lines = ([f"<i>{slot_name}</i>"] if slot_name else []) + [f"no gradient ({why})"]
        return dict(label=edge_label(lines), **NO_GRADIENT), None
    prefix = [f"<i>{slot_name}</i>"] if slot_name else []
    grad = np.asarray(grad)
    magnitude = mean_abs(grad)
    if grad.ndim > 2:  # images: the mean is over every entry of each observation too
        over = f" (over {describe_shape(grad.shape[1:])} entries)"
    else:
        width = grad.shape[1] if grad.ndim == 2 else grad.size
        over = f" (over {width} cols)" if width > 1 else ""
    lines = prefix + [f"mean {format_mean(grad)}{over}", f"mean|g| {format_number(magnitude)}"]
    attrs = dict(dir="back", color=gradient_colour(magnitude), penwidth=penwidth(magnitude))
    flag = None
    if not math.isfinite(magnitude) or magnitude > EXPLODING:
        flag, attrs["style"] = "exploding", "bold"
    elif magnitude < VANISHING:
        flag, attrs["style"] = "vanishing", "dotted"
    if flag:
        lines.append(f'<font color="{_FLAG_COLOUR[flag]}"><b>{flag.upper()}</b></font>')
    attrs["label"] = edge_label(lines)
    return attrs, flag


def _merged_gradient_edge(graph, edge):
    """Attributes and flag of an arrow standing for several edges (``edge.edges``) into or out
    of folded time steps: the range of their mean |gradient|, drawn as the largest."""
    grads = [graph.last_pass.edge_grad(*e) for e in edge.edges]
    magnitudes = [mean_abs(np.asarray(g)) for g in grads if g is not None]
    k = len(edge.edges)
    if not magnitudes:
        attrs, flag = _gradient_edge(graph, edge.source, edge.target, edge.slot)
        attrs["label"] = edge_label([f"{k} edges", "no gradient"])
        return attrs, flag
    largest = max(range(len(grads)), key=lambda i: -1.0 if grads[i] is None else mean_abs(np.asarray(grads[i])))
    attrs, flag = _gradient_edge(graph, *edge.edges[largest])
    lines = [f"{k} edges" + (f", {len(magnitudes)} with a gradient" if len(magnitudes) < k else ""),
             f"mean|g| {format_number(min(magnitudes))} to {format_number(max(magnitudes))}"]
    if flag:
        lines.append(f'<font color="{_FLAG_COLOUR[flag]}"><b>{flag.upper()}</b></font>')
    attrs["label"] = edge_label(lines)
    return attrs, flag


def _fold_gradient_rows(graph, fold):
    """The gradient view of a folded block: the range of mean |gradient| along its inner
    edges and of its parameter-gradient norms, with a flag when the range reaches one."""
    members = set(fold.members)
    inner = [graph.last_pass.edge_grad(a, b, slot) for a, b, slot in graph.nx.edges(fold.members, keys=True)
             if b in members]
    magnitudes = [mean_abs(np.asarray(g)) for g in inner if g is not None]
    distinct = {id(p): p for name in fold.members for p in graph.op(name).parameters()}  # tied: once
    norms = [norm(p.grad) for p in distinct.values()]
    rows = []
    for what, values in (("mean|g| inside", magnitudes), ("|grad| params", norms)):
        if values:
            rows.append((f"{what} {format_number(min(values))} to {format_number(max(values))}",
                         SMALL))
    if magnitudes:
        flags = []
        if min(magnitudes) < VANISHING:
            flags.append("vanishing")
        if not all(map(math.isfinite, magnitudes)) or max(magnitudes) > EXPLODING:
            flags.append("exploding")
        for flag in flags:
            rows.append((f'<font color="{_FLAG_COLOUR[flag]}"><b>{flag.upper()} inside</b></font>',
                         SMALL))
    return rows


def _flag_key(flag, text):
    """A legend line naming ``flag``, all in its colour and one font: a browser measures text
    in other fonts than Graphviz did, so a second font run on a line lands with a gap."""
    return f'<font color="{_FLAG_COLOUR[flag]}">{flag.upper()} {text}</font>'

