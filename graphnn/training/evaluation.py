"""Using a graph without training it: ``predict`` (the prediction, no targets needed) and
``evaluate`` (the loss and, for classifiers, the accuracy); ``fit`` scores its epochs with
``score`` and ``accuracy``."""
import networkx as nx
import numpy as np

from ..core import GraphError
from .checks import GraphRoles, checked_data

__all__ = ["predict", "evaluate", "score", "accuracy"]


def accuracy(kind, Y, P):
    """Fraction of correct predictions: ``P > 0.5`` against ``Y > 0.5`` for every entry
    (``kind="binary"``), or the row argmax of ``P`` against that of ``Y`` (``"categorical"``)."""
    if kind == "binary":
        return float(np.mean((P > 0.5) == (Y > 0.5)))
    return float(np.mean(np.argmax(P, axis=1) == np.argmax(Y, axis=1)))


def predict(graph, X, output=None, input_name="X"):
    """The output of node ``output`` for data ``X`` (``N x D``), without targets: ``N x K``.

    ``output`` defaults to the estimate the (single) objective reads. Only ``output`` and the
    nodes it depends on are run, so no ``Y`` is needed. The layers' remembered inputs and
    outputs are put back afterwards, so a ``predict`` between ``graph.forward`` and
    ``graph.backward`` does not change the gradients; ``graph.value`` is untouched too.

    Raises ``GraphError`` when ``output`` is unknown or an objective, when it is left out and
    the graph has not exactly one objective, or when it depends on an input other than
    ``input_name``, or when a node refuses ``X`` (naming the node); ``ValueError`` for ``X``
    that is not a 2-D numeric array.
    """
    roles = GraphRoles(graph, input_name, None, output, need_objective=output is None)
    X, _ = checked_data(X, None, "predict")
    needed = nx.ancestors(graph.nx, roles.output) | {roles.output}
    values = {}
    saved = []
    try:
        for name in graph.nodes:
            if name not in needed:
                continue
            op = graph.op(name)
            if op is None:  # an input
                if name != input_name:
                    raise GraphError(
                        f"predict: node {roles.output!r} depends on input {name!r}, but only "
                        f"{input_name!r} is fed"
                    )
                values[name] = X
                continue
            state = getattr(op, "__dict__", None)
            if state is not None:
                saved.append((state, dict(state)))
            args = [values[source] for source in graph.predecessors(name)]
            try:
                values[name] = op.forward(*args)
            except ValueError as err:
                raise GraphError(f"predict: node {name!r} ({op.describe()}): {err}") from None
    finally:
        for state, copy in saved:  # the layers keep what the last graph.forward left them
            state.clear()
            state.update(copy)
    return values[roles.output]


def evaluate(graph, X, Y, output=None, input_name="X", target_name="Y"):
    """``{"loss": J, "accuracy": a}`` on ``(X, Y)``: one ``graph.forward`` on all rows.

    ``X`` is ``N x D`` and ``Y`` ``N x K``, fed to the inputs ``input_name`` and
    ``target_name``; both values are Python floats.

    ``loss`` is the graph's objective ``J`` (a mean over the rows); ``accuracy`` is there for
    classifiers only (``LogLoss``: prediction ``> 0.5``; ``CrossEntropy``: argmax). The graph
    keeps the values of this pass, as after any ``forward``. Raises ``GraphError`` for a
    graph without an objective or with unknown ``input_name``/``target_name``/``output``, and
    ``ValueError`` for ``X`` and ``Y`` with different numbers of rows.
    """
    roles = GraphRoles(graph, input_name, target_name, output)
    X, Y = checked_data(X, Y, "evaluate")
    return score(graph, roles, X, Y)


def score(graph, roles, X, Y):
    """``evaluate`` for checked arguments: ``roles`` a ``GraphRoles``, ``X`` and ``Y`` checked
    matrices. One ``graph.forward`` on all rows; ``{"loss": J}``, plus ``"accuracy"`` when
    ``roles.kind`` says the graph is a classifier."""
    loss, outputs = graph.forward({roles.input_name: X, roles.target_name: Y}, outputs=[roles.output])
    result = {"loss": float(loss)}
    if roles.kind is not None:
        result["accuracy"] = accuracy(roles.kind, Y, outputs[roles.output])
    return result

