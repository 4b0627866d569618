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

The network view is drawn by ``graphnn.views.network``, the gradient view by
``graphnn.views.gradients``, both with the drawing kit of ``graphnn.views.drawing``; this
module is the door to them and keeps their names (``render.network_diagram``,
``render.gradient_diagram``, ``render.format_number``, ``render.Diagram``, ...).

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
import shutil
from pathlib import Path

import graphviz

# The names this module always gave, wherever they are defined now.
from ._layout import AUTO, FOLD
from .drawing import (
    INSTALL_HINT, LEGEND_NODE, LOG_MAX, LOG_MIN, RANKDIRS, Diagram, format_mean, format_number,
)
from .gradients import EXPLODING, VANISHING, gradient_diagram
from .network import network_diagram, parameter_total
from ..core import LAYER, GraphError

__all__ = [
    "RenderError", "network_diagram", "gradient_diagram", "render", "to_dot", "format_number",
    "format_mean", "RANKDIRS", "VIEWS", "SOURCE_FORMATS", "IMAGE_FORMATS", "VANISHING",
    "EXPLODING", "LEGEND_NODE", "LOG_MIN", "LOG_MAX", "Diagram", "graph_repr", "graph_svg",
    "graph_mimebundle",
]

#: the two diagrams: ``network_diagram`` and ``gradient_diagram``
VIEWS = ("network", "gradients")
#: file extensions ``render`` writes as DOT source, with Python alone
SOURCE_FORMATS = (".dot", ".gv")
#: file extensions ``render`` makes with Graphviz's ``dot`` program
IMAGE_FORMATS = (".svg", ".png", ".pdf")


class RenderError(RuntimeError):
    """A diagram could not be turned into an image: Graphviz's ``dot`` is missing or failed."""


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
            f"rendering {str(path)!r} {INSTALL_HINT} The DOT source was written "
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
    """A ``Graph``'s short text repr: its inputs, how many layers, its objectives, the
    number of trainable parameters and, for a graph with dropout or batch norm (or in
    inference mode), its mode, e.g. ``Graph(inputs X, Y; 3 layers; objective logloss;
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
        total, _ = parameter_total(graph)
    except GraphError as err:  # an empty slot: the graph cannot be ordered yet
        parts.append(f"incomplete: {err}")
    else:
        parts.append(f"{total:,} parameter{'s' if total != 1 else ''}")
        if graph.mode_dependent or not graph.training:  # the mode, where it changes something
            parts.append(f"{graph.mode} mode")
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
        bundle["text/plain"] += f"\n(drawing it {INSTALL_HINT})"
    if include is not None:
        bundle = {key: value for key, value in bundle.items() if key in set(include)}
    return {key: value for key, value in bundle.items() if key not in set(exclude or ())}

