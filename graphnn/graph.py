"""``graphnn.Graph``: the engine's graph (``graphnn.core``) with the views' conveniences.

The core knows nothing of the views, so that they can depend on it and never the reverse.
This module sits above both: ``Graph`` here is ``graphnn.core.Graph`` plus ``to_dot``,
``render`` and ``replay``, which hand the graph to ``graphnn.views.render`` and ``graphnn.views.replay``. ``graphnn.Graph`` is this class;
code that needs only the engine may use ``graphnn.core.Graph``.
"""
from .views import render as _render
from .views.summarize import summary as _summary
from .views import replay as _replay
from .core import INPUT, LAYER, OBJECTIVE, GraphError
from .core import Graph as _CoreGraph

__all__ = ["Graph", "GraphError", "INPUT", "LAYER", "OBJECTIVE"]


class Graph(_CoreGraph):
    """A directed acyclic graph of layers and objectives.

    Build it with ``input`` and ``add`` (or ``Graph.sequential``), run it with
    ``forward(X=..., Y=...)`` (every fed value ``N x D``, one row per observation) and
    ``backward()``, then read ``value``, ``grad``, ``grad_out``, ``edge_grad`` and each
    ``Parameter.grad``; ``last_pass`` is the record of what the last pass computed, step by
    step. ``to_dot`` and ``render`` draw it. Mistakes in building or feeding raise
    ``GraphError`` naming the node.

    >>> import graphnn as gn, numpy as np
    >>> g = gn.Graph()
    >>> x, y = g.input("X"), g.input("Y")
    >>> h = g.add(gn.FullyConnectedLayer(2, 1, seed=0), x, name="fc")
    >>> p = g.add(gn.LogisticSigmoidLayer(), h)
    >>> g.add(gn.LogLoss(), y, p)
    'logloss1'
    >>> J = g.forward(X=np.ones((3, 2)), Y=np.ones((3, 1)))
    >>> g.backward()
    >>> g.grad_out("sigmoid1").shape
    (3, 1)
    """

    def to_dot(self, view="network", rankdir="auto", profile=None, *, fold=_render.FOLD,
               node_range=None, marks=None):
        """A ``graphviz.Digraph`` of the graph (shown inline in Jupyter; ``.source`` is the
        DOT text): ``view="network"`` (layers, shapes, parameter counts; with a
        ``graphnn.profile`` result, time and bytes per node) or ``view="gradients"`` (after
        ``backward``: the gradient along every edge). ``rankdir``: ``"auto"`` (left to right
        for shallow graphs, top to bottom beyond four boxes), ``"LR"``, ``"TB"``, ``"RL"`` or
        ``"BT"``; ``fold``, ``node_range`` and ``marks``: see ``graphnn.views.render.to_dot``, which
        also says what it raises."""
        return _render.to_dot(self, view, rankdir, profile=profile, fold=fold,
                              node_range=node_range, marks=marks)

    def render(self, path, view="network", rankdir="auto", profile=None, *, fold=_render.FOLD,
               node_range=None, marks=None):
        """Write the ``view`` to ``path``: ``.dot``/``.gv`` (DOT source, no Graphviz needed),
        or ``.svg``/``.png``/``.pdf`` (the ``.dot`` beside it, then Graphviz's ``dot``).
        Returns the written ``pathlib.Path``. See ``graphnn.views.render.render``."""
        return _render.render(self, path, view, rankdir, profile=profile, fold=fold,
                              node_range=node_range, marks=marks)

    def summary(self):
        """A Keras-style table of the graph (``graphnn.summary``): node, class, output shape,
        trainable parameters per layer and in total, and the inputs each node reads. Prints
        as text; shows as an HTML table in Jupyter."""
        return _summary(self)

    def __repr__(self):
        return _render.graph_repr(self)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        # Jupyter shows the network view as SVG (or, without Graphviz, the text and the hint).
        return _render.graph_mimebundle(self, include, exclude)

    def replay(self, rankdir="auto"):
        """The last forward and backward pass, one frame per step (``graphnn.views.replay.Replay``):
        ``.save("replay.html")`` writes a self-contained player, Jupyter shows it inline,
        each frame's ``dot`` is a ``graphviz.Digraph``. See ``graphnn.views.replay.replay``."""
        return _replay.replay(self, rankdir)
