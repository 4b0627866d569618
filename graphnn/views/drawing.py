"""The drawing kit every graphnn diagram is made with: styles, colours, numbers, labels and
the Graphviz digraph they go into.

The network and gradient views (``graphnn.views.network``, ``graphnn.views.gradients``), the
replay of a pass (``graphnn.views.replay``) and the training monitor's diagrams
(``graphnn.views.monitor``) all draw with these parts, so the same thing looks the same
everywhere: a layer is a blue rounded box, a gradient of mean |g| about 1 is a green edge,
every number has 4 significant digits.

- **the diagram**: ``new_diagram(graph, rankdir, view)`` makes the empty ``Diagram`` (a
  ``graphviz.Digraph``) with graphnn's fonts and spacing; ``check_rankdir`` checks a direction;
- **reading the graph**: ``graph_edges`` lists every edge in a fixed order, ``node_kind``
  and ``slot_label`` say what a node is and which input an edge fills;
- **numbers**: ``format_number`` and ``format_mean`` write them; ``mean``, ``mean_abs`` and
  ``norm`` compute them quietly from gradients that may hold inf or NaN;
- **colours**: ``gradient_colour`` and ``penwidth`` place a gradient's mean |g| on the log
  scale from ``LOG_MIN`` to ``LOG_MAX``; ``heat_colour`` places a share in ``[0, 1]``;
- **labels**: Graphviz's HTML-like labels (``html_label``, ``edge_label``), ``escape`` for
  text put in them, the legend (``add_legend``) and the scales it shows (``colour_bar``,
  ``heat_bar``).

A label is built from *rows*: a list of ``(html text, point size or None)``, one line each.

>>> import graphnn as gn
>>> g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1), gn.LogisticSigmoidLayer())
>>> [(source, target, slot) for source, target, slot in graph_edges(g)]
[('X', 'fc1', 0), ('fc1', 'sigmoid1', 0)]
>>> dot = new_diagram(g, "LR", "mine")
>>> dot.node("fc1", label=html_label([("<b>fc1</b>", None), ("2 -&gt; 1", SMALL)]),
...          **KIND_STYLE[node_kind(g, "fc1")])
>>> gradient_colour(1.0), penwidth(1.0), format_number(2 / 3)
('#238b45', '3.67', '0.6667')
"""
import html
import math

import graphviz
import numpy as np

from ._layout import AUTO
from ..core import INPUT, LAYER, OBJECTIVE

__all__ = [
    "Diagram", "new_diagram", "check_rankdir", "graph_edges", "node_kind", "slot_label",
    "format_number", "format_mean", "mean", "mean_abs", "norm",
    "gradient_colour", "penwidth", "heat_colour", "interpolate", "rgb", "decade",
    "escape", "html_label", "edge_label", "add_legend", "colour_bar", "heat_bar",
    "RANKDIRS", "LEGEND_NODE", "LOG_MIN", "LOG_MAX", "FONT", "EDGE_FONTSIZE", "SMALL",
    "KIND_STYLE", "KIND_WORD", "NO_GRADIENT", "INSTALL_HINT",
]

#: the directions a diagram may run in (Graphviz's ``rankdir``): left to right, top to
#: bottom, right to left, bottom to top; or ``AUTO`` (``"auto"``, the default): ``"LR"`` for a
#: graph at most four boxes deep, ``"TB"`` for deeper ones, so the drawing fits a screen
RANKDIRS = ("LR", "TB", "RL", "BT")

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
_PENWIDTH = (1.0, 5.0)  # the edge width at the two ends of the log scale
# The heat scale of shares (the profile's time, the monitor's dead and saturated units):
# pale for none, dark orange for the most.
_HEAT = ((0.0, "#fff5eb"), (0.5, "#fdae6b"), (1.0, "#f16913"))
_HEAT_STEPS = 5  # swatches in the legend's heat scale

#: the font of every label
FONT = "Helvetica"
#: the point size of edge labels (node labels are 12)
EDGE_FONTSIZE = "9"
#: the point size of the secondary lines in labels
SMALL = 10
#: the node attributes of each kind (``graphnn.core.INPUT``, ``LAYER``, ``OBJECTIVE``): inputs
#: green and rounded, layers blue and rounded, objectives orange with a double border
KIND_STYLE = {
    INPUT: dict(shape="box", style="rounded,filled", fillcolor="#e5f5e0", color="#41ab5d"),
    LAYER: dict(shape="box", style="rounded,filled", fillcolor="#deebf7", color="#4a80c0"),
    OBJECTIVE: dict(
        shape="box", style="filled", fillcolor="#fee6ce", color="#e6550d", peripheries="2",
    ),
}
#: the word a legend uses for each kind of node
KIND_WORD = {INPUT: "input", LAYER: "layer", OBJECTIVE: "objective"}
#: the edge attributes of an edge that carries no gradient: grey, dashed, no arrow
NO_GRADIENT = dict(style="dashed", color="#9a9a9a", fontcolor="#7a7a7a", dir="none")

#: the end of every message that Graphviz's ``dot`` is missing: what it is and how to install it
INSTALL_HINT = (
    "needs the program 'dot' from Graphviz, which is not on the PATH (the Python package "
    "'graphviz' alone only writes DOT source). Install Graphviz: 'apt-get install graphviz' "
    "(Debian/Ubuntu), 'brew install graphviz' (macOS) or 'conda install -c conda-forge graphviz'."
)


# ---------------------------------------------------------------------------- the diagram
class Diagram(graphviz.Digraph):
    """A ``graphviz.Digraph`` that Jupyter shows as SVG, or, without Graphviz's ``dot``,
    as graphnn's install hint followed by the DOT source (never a traceback)."""

    def __repr__(self):  # the text a notebook shows beside the SVG; no object address
        return f"<{type(self).__name__} {self.name}: .source is its DOT text>"

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {"text/plain": f"Drawing this diagram {INSTALL_HINT}\n\n{self.source}"}


def check_rankdir(rankdir):
    """Return ``None`` if ``rankdir`` is ``"auto"`` or one of ``RANKDIRS``; otherwise raise a
    ``ValueError`` that lists the directions."""
    if rankdir != AUTO and rankdir not in RANKDIRS:
        raise ValueError(
            f"rankdir must be one of {', '.join(map(repr, RANKDIRS))} or {AUTO!r} (LR: left to "
            f"right, TB: top to bottom, auto: by the graph's depth), got {rankdir!r}"
        )


def new_diagram(graph, rankdir, view):
    """An empty ``Diagram`` named ``graphnn_<view>`` that runs in direction ``rankdir``, with
    graphnn's fonts, spacing and edge style; ``graph`` is the graph it will draw. ``rankdir``
    is one of ``RANKDIRS``: the diagrams resolve ``"auto"`` by the graph's depth first; any
    other value is a ``ValueError`` (``check_rankdir``)."""
    check_rankdir(rankdir)
    return Diagram(
        name=f"graphnn_{view}",
        graph_attr=dict(
            rankdir=rankdir, fontname=FONT, nodesep="0.25", ranksep="0.35",
            newrank="true", bgcolor="white",
        ),
        node_attr=dict(fontname=FONT, fontsize="12", margin="0.08,0.04"),
        edge_attr=dict(fontname=FONT, fontsize=EDGE_FONTSIZE, color="#555555",
                       fontcolor="#333333", arrowsize="0.7"),
    )


# ---------------------------------------------------------------------------- reading the graph
def graph_edges(graph):
    """Every edge of ``graph`` as ``(source, target, slot)`` (a generator): targets in
    topological order, slots ascending, so the DOT text does not depend on the order the
    graph was built in (the replay draws every edge of every frame in this order)."""
    for target in graph.nodes:  # a compiled graph: every slot is filled
        for slot, source in enumerate(graph.predecessors(target)):
            yield source, target, slot


def node_kind(graph, name):
    """The kind of node ``name``: ``graphnn.core.INPUT``, ``LAYER`` or ``OBJECTIVE``."""
    return graph.nx.nodes[name]["kind"]


def slot_label(graph, target, slot):
    """How an edge into ``target`` names the ``slot`` it fills (a str): ``"target"`` or
    ``"estimate"`` into an objective, ``"in 0"``, ``"in 1"``, ... into a node with several
    inputs, ``""`` into a node with one input."""
    node = graph.nx.nodes[target]
    if node["kind"] == OBJECTIVE:
        return ("target", "estimate")[slot]
    if node["n_inputs"] > 1:
        return f"in {slot}"
    return ""


# ---------------------------------------------------------------------------- numbers
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


# Statistics of gradients that may hold huge values, inf or NaN: the drawing shows them (and
# flags them) rather than letting numpy warn, which the test suite turns into errors.
def mean(array):
    """The mean of all entries of ``array`` as a float, without numpy's overflow or
    invalid-value warnings (inf and NaN come out as they are)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean(array))


def mean_abs(array):
    """The mean absolute value of all entries of ``array`` as a float (mean |g|), without
    numpy's warnings."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean(np.abs(array)))


def norm(array):
    """The 2-norm of ``array`` as a float, scaled first (``m * ||a / m||`` with
    ``m = max |a|``) so that squares of tiny entries do not underflow to 0 (nor huge ones
    overflow): a gradient whose largest entry is 1e-183 has a norm of that size, not 0. NaN
    stays NaN, inf stays inf; an empty array has norm 0."""
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
    average = mean(array)
    if average != 0 and math.isfinite(average) and array.dtype.kind == "f":
        noise = np.finfo(array.dtype).eps * array.size * mean_abs(array)
        if abs(average) <= noise:
            return "~0"
    return format_number(average)


# ---------------------------------------------------------------------------- colours
def _scale(magnitude):
    """``magnitude`` as a position in ``[0, 1]`` on the log scale (0 for 0 or tiny, 1 for
    huge or non-finite)."""
    if not math.isfinite(magnitude):
        return 1.0
    if magnitude <= 0:
        return 0.0
    return min(max((math.log10(magnitude) - LOG_MIN) / (LOG_MAX - LOG_MIN), 0.0), 1.0)


def gradient_colour(magnitude):
    """The colour (``"#rrggbb"``) of a mean |gradient| ``magnitude`` on the log scale from
    ``LOG_MIN`` to ``LOG_MAX``: grey where gradients die out, blues, green around 1, orange
    and red where they blow up; 0 takes the first colour, inf and NaN the last."""
    return interpolate(_PALETTE, LOG_MIN + _scale(magnitude) * (LOG_MAX - LOG_MIN))


def penwidth(magnitude):
    """The edge width (Graphviz's ``penwidth``, a str such as ``"3.67"``) of a mean
    |gradient| ``magnitude``: from 1 to 5 points along the same log scale as
    ``gradient_colour``."""
    lo, hi = _PENWIDTH
    return f"{lo + _scale(magnitude) * (hi - lo):.2f}"


def heat_colour(position):
    """The colour (``"#rrggbb"``) at ``position`` in ``[0, 1]`` on the heat scale of shares:
    pale for 0, dark orange for 1."""
    return interpolate(_HEAT, position)


def interpolate(stops, position):
    """The colour (``"#rrggbb"``) at ``position`` on a scale of ``(position, "#rrggbb")``
    ``stops`` (positions ascending), linear in RGB; past the last stop, its colour."""
    for (lo, c_lo), (hi, c_hi) in zip(stops, stops[1:]):
        if position <= hi:
            t = (position - lo) / (hi - lo)
            rgb_ = [round(a + t * (b - a)) for a, b in zip(rgb(c_lo), rgb(c_hi))]
            return "#" + "".join(f"{v:02x}" for v in rgb_)
    return stops[-1][1]


def rgb(colour):
    """``"#rrggbb"`` as a list of three ints from 0 to 255."""
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


def decade(x):
    """The power of ten nearest ``x`` as a label: ``1e-06`` -> ``'1e-6'``, as the colour bar
    names them."""
    return f"1e{round(math.log10(x))}"


# ---------------------------------------------------------------------------- labels
def escape(text):
    """``str(text)`` with ``&``, ``<`` and ``>`` escaped, ready for an HTML-like label
    (quotes are left alone)."""
    return html.escape(str(text), quote=False)


_TABLE = '<table border="0" cellborder="0" cellspacing="0" cellpadding="{padding}">{body}</table>'


def html_label(rows, align="CENTER", padding=None):
    """An HTML-like label (a str in ``<...>``, for a node's or edge's ``label``): one line
    per row ``(html text, point size or None)``, in a border-free table, each line aligned
    ``align`` (``"CENTER"``, ``"LEFT"`` or ``"RIGHT"``); with ``padding``, that many points
    of blank space around it. The texts are put in as given: ``escape`` plain text first."""
    cells = []
    for text, size in rows:
        if size is not None:
            text = f'<font point-size="{size}">{text}</font>'
        cells.append(f'<tr><td align="{align}">{text}</td></tr>')
    table = _TABLE.format(padding=1, body="".join(cells))
    if padding is not None:
        table = _TABLE.format(padding=padding, body=f"<tr><td>{table}</td></tr>")
    return f"<{table}>"


def edge_label(lines):
    """An HTML-like edge label (a str), one line per entry of ``lines`` (each already HTML),
    padded so that a thick edge does not run into the text."""
    return html_label([(line, None) for line in lines], padding=3)


def colour_bar():
    """The legend's gradient scale (an HTML table, a str): one swatch per decade from 1e-8
    to 1e4, each named."""
    decades = range(LOG_MIN, LOG_MAX + 1)
    swatch = "".join(
        f'<td bgcolor="{gradient_colour(10.0 ** d)}" width="26" height="10" fixedsize="true"></td>'
        for d in decades
    )
    names = "".join(f'<td><font point-size="8">{decade(10.0 ** d)}</font></td>' for d in decades)
    return (
        '<table border="0" cellspacing="1" cellpadding="1">'
        f"<tr>{swatch}</tr><tr>{names}</tr></table>"
    )


def heat_bar(largest):
    """The legend's heat scale (an HTML table, a str): five swatches from pale to dark
    orange, named as percentages from 0 to ``100 * largest``."""
    steps = [i / (_HEAT_STEPS - 1) for i in range(_HEAT_STEPS)]
    swatch = "".join(
        f'<td bgcolor="{heat_colour(t)}" width="40" height="10" fixedsize="true"></td>' for t in steps
    )
    names = "".join(f'<td><font point-size="8">{100.0 * t * largest:.1f} %</font></td>' for t in steps)
    return (
        '<table border="0" cellspacing="1" cellpadding="1">'
        f"<tr>{swatch}</tr><tr>{names}</tr></table>"
    )


def add_legend(dot, rows):
    """Add the legend to ``dot``: a rounded grey frame holding one node (``LEGEND_NODE``)
    whose label is ``rows`` (``(html text, point size or None)``), left-aligned. Returns
    ``None``."""
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="", style="rounded", color="#bbbbbb", margin="6")
        legend.node(
            LEGEND_NODE, label=html_label(rows, align="LEFT"), shape="plaintext", margin="0",
        )
