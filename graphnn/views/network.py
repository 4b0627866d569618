"""The network view: ``network_diagram(graph)`` draws one box per input, layer and
objective, and the value each edge carries.

Each box shows the node's name, its class (``describe()``), its output shape (``N x D``, or
``N x C x H x W`` for images: the batch first, then each observation's shape; ``?`` before
a forward pass) and its parameter count; each edge is labelled with the shape
of the value it carries; the legend gives the total parameter count. With a
``graphnn.views.profiler.Profile``, each box also shows where the pass's time went.

The boxes are the gradient view's too (``graphnn.views.gradients`` adds the gradients to
them): ``node_rows`` and ``fold_rows`` say what a box shows, ``marked_node`` and
``marked_edge`` point nodes out, ``draw_outside`` and ``layout_legend`` draw what the layout
(a range of nodes, folded blocks) leaves out. Both are reached through
``graphnn.views.render`` (``to_dot``, ``render``), whose names they keep; see
docs/rendering.md.

>>> import graphnn as gn
>>> g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1), gn.LogisticSigmoidLayer())
>>> diagram = network_diagram(g)      # before a forward pass: shapes are "?"
>>> "FullyConnectedLayer 2-&gt;1" in diagram.source, "3 params" in diagram.source
(True, True)
"""
import numpy as np

from . import _layout
from ._layout import AUTO, FOLD, Fold
from .drawing import (
    KIND_STYLE, KIND_WORD, SMALL, add_legend, check_rankdir, edge_label, escape, format_number,
    heat_bar, heat_colour, html_label, new_diagram, node_kind, slot_label,
)
from .profiler import format_bytes, format_seconds
from .._validation import describe_shape
from ..core import INPUT, LAYER, OBJECTIVE
from ..layers.Layer import Layer

__all__ = [
    "network_diagram", "node_rows", "fold_rows", "carried_edge", "parameter_total", "marked_node",
    "marked_edge", "draw_outside", "layout_legend", "FOLD_STYLE",
]

#: the node attributes of a folded block of layers: a layer's colours, drawn as a stack
FOLD_STYLE = dict(KIND_STYLE[LAYER], shape="box3d", style="filled")
_OUTSIDE_STYLE = dict(shape="plaintext", fontcolor="#8a8a8a", fontsize="10")
_MARK_COLOUR = "#d7191c"


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
    check_rankdir(rankdir)
    drawing = _layout.plan(graph, fold, node_range)
    dot = new_diagram(graph, _layout.choose_rankdir(rankdir, drawing), "network")
    largest = _largest_share(profile) if profile is not None else 0.0
    for item in drawing.items:
        if isinstance(item, Fold):
            dot.node(item.id, label=html_label(fold_rows(graph, item)), **FOLD_STYLE)
            continue
        name = item
        rows = node_rows(graph, name)
        style = KIND_STYLE[node_kind(graph, name)]
        if profile is not None:
            rows += _profile_rows(profile, name)
            style = _profile_style(profile, name, style, largest)
        rows, style = marked_node(marks, name, rows, style)
        dot.node(name, label=html_label(rows), **style)
    draw_outside(dot, drawing)
    for edge in drawing.edges:
        if edge.carried:
            dot.edge(edge.tail, edge.head, **carried_edge(graph, edge))
            continue
        text = _shape_of(graph, edge.source)
        slot_name = slot_label(graph, edge.target, edge.slot)
        if slot_name and not edge.merged:
            text = f"{slot_name}: {text}"
        if edge.merged:
            text = f"{len(edge.edges)} edges: {text}"
        dot.edge(edge.tail, edge.head, label=edge_label([escape(text)]), **marked_edge(marks, edge.source, edge.target))
    total, shared = parameter_total(graph)
    legend = [
        ("<b>Network" + (" with a profile" if profile is not None else "") + "</b>", None),
        (_swatches(filled=profile is None), None),
        # One font per line: browsers measure text with other fonts than Graphviz did, so a
        # bold number inside a plain line lands with a gap before it.
        (f"total parameters: {total:,}"
         + (" (shared counted once)" if shared else ""), None),
        (f"edge label: shape ({_SHAPE_WORDS[_any_image(graph)]}) of the value it carries", SMALL),
    ]
    if not graph.has_values:
        legend.append(("shapes are ? until a forward pass", SMALL))
    if profile is not None:
        legend += _profile_legend(profile, largest)
    add_legend(dot, legend + layout_legend(drawing))
    return dot


#: how the legend names shapes: ``N x D``, or batch first for values of higher rank
_SHAPE_WORDS = {False: "N x D", True: "N x D, N x C x H x W: the batch first"}


def _any_image(graph):
    """Whether some value of the last pass has a rank above 2 (images, ``N x C x H x W``)."""
    return graph.has_values and any(
        np.ndim(_layout.value_or_none(graph, name)) > 2 for name in graph.nodes)


# ---------------------------------------------------------------------------- boxes
def _shape_of(graph, name):
    value = _layout.value_or_none(graph, name)
    if value is None:
        return "?"
    return describe_shape(np.shape(value))


def _parameter_count(op):
    return sum(int(p.size) for p in op.parameters()) if isinstance(op, Layer) else 0


def parameter_total(graph):
    """``(total, shared)``: the total size (an int) of the graph's distinct parameters, and
    whether some are shared between nodes (a bool: counted per node, they add up to more)."""
    total = sum(int(p.size) for p in graph.parameters())
    per_node = sum(_parameter_count(graph.op(n)) for n in graph.nodes if node_kind(graph, n) == LAYER)
    return total, per_node != total


def node_rows(graph, name, with_params=True):
    """The label rows (``[(html text, point size or None)]``, for ``html_label``) of node
    ``name``'s box: its name, its class, its output shape and (for layers, unless
    ``with_params`` is false) its parameter count; ``J`` (and a weight other than 1) for
    objectives."""
    kind = node_kind(graph, name)
    op = graph.op(name)
    rows = [(f"<b>{escape(name)}</b>", None)]
    if kind == INPUT:
        rows.append(("input", SMALL))
        rows.append((f"out {_shape_of(graph, name)}", SMALL))
    elif kind == LAYER:
        rows.append((escape(op.describe()), SMALL))
        line = f"out {_shape_of(graph, name)}"
        if with_params:
            count = _parameter_count(op)
            line += " | 1 param" if count == 1 else f" | {count:,} params"
        rows.append((line, SMALL))
    else:
        rows.append((escape(op.describe()), SMALL))
        value = _layout.value_or_none(graph, name)
        line = "J = ?" if value is None else f"J = {format_number(value)}"
        weight = graph.nx.nodes[name].get("weight", 1.0)
        if weight != 1.0:
            line += f" | weight {format_number(weight)}"
        rows.append((line, SMALL))
    return rows


def _swatches(filled=True):
    """The network view's key: how inputs, layers and objectives are drawn (with a profile,
    the fill shows time, so the key shows the borders only)."""
    cells = "".join(
        f'<td bgcolor="{KIND_STYLE[kind]["fillcolor"] if filled else "white"}" border="1" '
        f'color="{KIND_STYLE[kind]["color"]}">'
        f'<font point-size="{SMALL}"> {KIND_WORD[kind]} </font></td>'
        for kind in (INPUT, LAYER, OBJECTIVE)
    )
    return f'<table border="0" cellspacing="4" cellpadding="2"><tr>{cells}</tr></table>'



# ---------------------------------------------------------------------------- marks
def marked_node(marks, name, rows, style):
    """``(rows, style)`` of node ``name`` as ``marks`` (``{node: message}`` or ``None``)
    points it out: a marked node gets its message added to its label ``rows``, in red (none
    for ``""``), and a red border added to its node attributes ``style``; an unmarked node
    gets ``rows`` and ``style`` back unchanged."""
    if not marks or name not in marks:
        return rows, style
    message = marks[name]
    if message:
        rows = rows + [(f'<font color="{_MARK_COLOUR}"><b>{escape(message)}</b></font>', SMALL)]
    return rows, dict(style, color=_MARK_COLOUR, penwidth="3" if message else "2")


def marked_edge(marks, source, target):
    """The extra edge attributes (a dict) of the edge ``source -> target``: red and wide
    when ``marks`` (``{node: message}`` or ``None``) marks both ends, which shows a path;
    ``{}`` otherwise."""
    if marks and source in marks and target in marks:
        return dict(color=_MARK_COLOUR, penwidth="2.5")
    return {}


# ---------------------------------------------------------------------------- folds and ranges
def fold_rows(graph, fold, with_params=True):
    """The label rows (``[(html text, point size or None)]``) of a folded block ``fold`` (a
    ``Fold`` of the layout's plan): its first and last nodes, the block and how many times it
    repeats, the output shape and (unless ``with_params`` is false) the parameters."""
    if fold.steps is not None:
        return _step_fold_rows(graph, fold, with_params)
    block = " -&gt; ".join(escape(text) for text in fold.block)
    rows = [
        (f"<b>{escape(fold.first)} ... {escape(fold.last)}</b>", None),
        (f"{fold.repeats} x [{block}]", SMALL),
    ]
    line = f"{len(fold.members)} layers | out {_shape_of(graph, fold.last)}"
    if with_params:
        count = sum(_parameter_count(graph.op(name)) for name in fold.members)
        line += f" | {count:,} params"
    rows.append((line, SMALL))
    return rows


def _step_fold_rows(graph, fold, with_params):
    """The rows of the folded time steps of a recurrent network: its name and steps, the
    layers of one step, its last state's shape and its distinct (tied) parameters."""
    per_step = len(fold.members) // fold.repeats
    kinds = {}
    for text in fold.block:
        kind = text.split(" ")[0].replace("Layer", "")
        kinds[kind] = kinds.get(kind, 0) + 1
    block = ", ".join(f"{count} {escape(kind)}" if count > 1 else escape(kind) for kind, count in kinds.items())
    rows = [
        (f"<b>{escape(fold.steps)}: {fold.repeats} time steps</b>", None),
        (f"{escape(fold.first)} ... {escape(fold.last)}", SMALL),
        (f"each step {per_step} layers: {block}", SMALL),
    ]
    line = f"out {_shape_of(graph, fold.last)} per step"
    if with_params:
        distinct = {id(p): p for name in fold.members for p in graph.op(name).parameters()}
        count = sum(int(p.size) for p in distinct.values())
        line += f" | {count:,} params, tied across steps"
    rows.append((line, SMALL))
    return rows


def carried_edge(graph, edge):
    """The attributes of the loop on a box of folded time steps: the state ``h_{t-1}`` each
    step hands the next (``edge`` is the layout's ``Edge`` with ``carried`` set)."""
    text = f"h(t-1) -&gt; step t: {escape(_shape_of(graph, edge.source))}"
    return {"label": edge_label([text]), "style": "dashed", "color": "#555555"}


def draw_outside(dot, drawing):
    """Add to ``dot`` the nodes just beyond the ``node_range`` of ``drawing`` (the layout's
    plan) that an edge reaches, as small grey names. Returns ``None``."""
    for name in drawing.outside:
        dot.node(_layout.outside_id(name), label=escape(name), **_OUTSIDE_STYLE)


def layout_legend(drawing):
    """The legend rows (``[(html text, point size)]``) that explain what the layout's plan
    ``drawing`` left out: the range of nodes drawn, and folded blocks; ``[]`` for neither."""
    rows = []
    if drawing.node_range is not None:
        first, last = drawing.node_range
        rows.append((f"drawn: nodes {escape(first)} to {escape(last)} of {drawing.n_nodes} "
                     "(grey names: nodes outside the range)", SMALL))
    if drawing.folds:
        if any(f.steps is None for f in drawing.folds):
            rows.append(("a stacked box: a block of layers repeated along a chain, "
                         "drawn once (fold=False draws every node)", SMALL))
        if any(f.steps is not None for f in drawing.folds):
            rows.append(("a stacked box with a loop: the time steps of an unrolled recurrent "
                         "network, weights tied (fold=False draws every step)", SMALL))
    return rows


# ---------------------------------------------------------------------------- profile overlay
def _largest_share(profile):
    return max((profile.share(row.name) for row in profile.rows), default=0.0)


def _position(profile, name, largest):
    """Node ``name``'s share of the pass as a position in ``[0, 1]``, 1 for the largest."""
    if name not in profile.by_node or largest <= 0:
        return 0.0
    return min(profile.share(name) / largest, 1.0)


def _profile_style(profile, name, style, largest):
    position = _position(profile, name, largest)
    return dict(style, fillcolor=heat_colour(position), penwidth=f"{1.0 + 2.0 * position:.2f}")


def _profile_rows(profile, name):
    """The label rows a profile adds to node ``name``: times and output size, then share and
    gradient bytes, then how the pass treated the node."""
    row = profile.by_node.get(name)
    if row is None:
        return [("<i>not profiled</i>", SMALL)]
    if row.kind == INPUT:
        return [(f"fed {format_bytes(row.output_bytes)}", SMALL)]
    rows = [
        (f"fwd {format_seconds(row.forward)} | bwd {format_seconds(row.backward)} | "
         f"out {format_bytes(row.output_bytes)}", SMALL),
        (f"{100.0 * profile.share(name):.1f} % of the pass | "
         f"grad back {format_bytes(row.gradient_bytes)}", SMALL),
    ]
    if row.note:
        rows.append((f"<i>{escape(row.note)}</i>", SMALL))
    return rows


def _profile_legend(profile, largest):
    def percent(seconds):
        return f"{100.0 * seconds / profile.total:.1f} %" if profile.total > 0 else "-"

    rows = [
        ("<b>Profile</b>", None),
        (f"median of {profile.repeat} passes: forward "
         f"{format_seconds(profile.total_forward)} + backward "
         f"{format_seconds(profile.total_backward)} = {format_seconds(profile.total)}", None),
        (f"in the nodes {format_seconds(profile.node_total)} ({percent(profile.node_total)}); "
         f"graph overhead {format_seconds(profile.overhead)} ({percent(profile.overhead)}): "
         "the graph's own work between nodes, and the profiler's timers", SMALL),
    ]
    if profile.plain_total is not None:
        rows.append((f"the same pass without the profiler's timers: "
                     f"{format_seconds(profile.plain_total)}", SMALL))
    rows += [
        ("time: darker = larger share of the pass (linear, up to the largest)", SMALL),
        (heat_bar(largest), None),
        ("in a node: fwd | bwd time | output size; share of the pass | bytes of the "
         "gradients it sent back", SMALL),
    ]
    return rows

