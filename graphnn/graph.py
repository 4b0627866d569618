"""``graphnn.Graph``: the engine's graph (``graphnn.core``) with the views' conveniences.

The core knows nothing of the views, so that they can depend on it and never the reverse.
This module sits above both: ``Graph`` here is ``graphnn.core.Graph`` plus ``to_dot``,
``render`` and ``replay``, which hand the graph to ``graphnn.render`` and ``graphnn.replay``. ``graphnn.Graph`` is this class;
code that needs only the engine may use ``graphnn.core.Graph``.
"""
from . import render as _render
from . import replay as _replay
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

    def to_dot(self, view="network", rankdir="LR", profile=None):
        """A ``graphviz.Digraph`` of the graph (shown inline in Jupyter; ``.source`` is the
        DOT text): ``view="network"`` (layers, shapes, parameter counts; with a
        ``graphnn.profile`` result, time and bytes per node) or ``view="gradients"`` (after
        ``backward``: the gradient along every edge). ``rankdir``: ``"LR"``, ``"TB"``,
        ``"RL"`` or ``"BT"``. See ``graphnn.render.to_dot`` for what it raises."""
        return _render.to_dot(self, view, rankdir, profile=profile)

    def render(self, path, view="network", rankdir="LR", profile=None):
        """Write the ``view`` to ``path``: ``.dot``/``.gv`` (DOT source, no Graphviz needed),
        or ``.svg``/``.png``/``.pdf`` (the ``.dot`` beside it, then Graphviz's ``dot``).
        Returns the written ``pathlib.Path``. See ``graphnn.render.render``."""
        return _render.render(self, path, view, rankdir, profile=profile)

    def replay(self, rankdir="LR"):
        """The last forward and backward pass, one frame per step (``graphnn.replay.Replay``):
        ``.save("replay.html")`` writes a self-contained player, Jupyter shows it inline,
        each frame's ``dot`` is a ``graphviz.Digraph``. See ``graphnn.replay.replay``."""
        return _replay.replay(self, rankdir)
