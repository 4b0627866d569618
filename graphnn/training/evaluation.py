"""Using a graph without training it: ``predict`` (the prediction, no targets needed) and
``evaluate`` (the loss and, for classifiers, the accuracy); ``fit`` scores its epochs with
``score`` and ``accuracy``."""
from contextlib import contextmanager

import networkx as nx
import numpy as np

from ..core import GraphError
from .checks import GraphRoles, checked_data
from .metrics import REGRESSION_METRICS

__all__ = ["predict", "evaluate", "score", "accuracy", "in_mode"]


@contextmanager
def in_mode(graph, training):
    """Run the block with ``graph.training`` set to ``training`` (``True``: training mode,
    ``False``: inference), then give the graph its mode back, whatever happens in the block."""
    before = graph.training
    graph.training = training
    try:
        yield graph
    finally:
        graph.training = before


def accuracy(kind, Y, P):
    """Fraction of correct predictions: ``P > 0.5`` against ``Y > 0.5`` for every entry
    (``kind="binary"``), or the row argmax of ``P`` against that of ``Y`` (``"categorical"``)."""
    if kind == "binary":
        return float(np.mean((P > 0.5) == (Y > 0.5)))
    return float(np.mean(np.argmax(P, axis=1) == np.argmax(Y, axis=1)))


def predict(graph, X, output=None, input_name="X"):
    """The output of node ``output`` for data ``X`` (``N x D``, or any rank with the batch first,
    such as ``N x C x H x W``), without targets: ``N x K`` (or the output's own shape).

    ``output`` defaults to the estimate the (single) objective reads. Only ``output`` and the
    nodes it depends on are run, so no ``Y`` is needed. The layers' remembered inputs and
    outputs are put back afterwards, so a ``predict`` between ``graph.forward`` and
    ``graph.backward`` does not change the gradients; ``graph.value`` is untouched too. The
    layers run in inference mode (dropout passes values on, batch norm uses its running
    statistics), whatever the graph's mode.

    Raises ``GraphError`` when ``output`` is unknown or an objective, when it is left out and
    the graph has not exactly one objective, or when it depends on an input other than
    ``input_name``, or when a node refuses ``X`` (naming the node); ``ValueError`` for ``X``
    that is not a numeric array of at least 2 dimensions.
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
            if hasattr(op, "training"):  # dropout, batch norm: inference (put back below)
                op.training = False
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


def evaluate(graph, X, Y, output=None, input_name="X", target_name="Y", metrics=None):
    """``{"loss": J, "accuracy": a}`` on ``(X, Y)``: one ``graph.forward`` on all rows.

    ``X`` is ``N x D`` (or of any rank, batch first) and ``Y`` ``N x K``, fed to the inputs ``input_name`` and
    ``target_name``; both values are Python floats.

    ``loss`` is the graph's objective ``J`` (a mean over the rows); ``accuracy`` is there for
    classifiers only (``LogLoss``: prediction ``> 0.5``; ``CrossEntropy``: argmax). The graph
    keeps the values of this pass, as after any ``forward``. The pass runs in inference mode
    (``Graph.training`` is ``False`` during it, and as it was afterwards).

    ``metrics``: names of more numbers to compare the estimate (``output``) with ``Y``, each
    added under its name: ``"rmse"``, ``"mape"``, ``"smape"`` (``graphnn.training.metrics``)
    and ``"accuracy"`` (a classifier's, there anyway).

    Raises ``GraphError`` for a graph without an objective or with unknown
    ``input_name``/``target_name``/``output``; ``ValueError`` for ``X`` and ``Y`` with
    different numbers of rows, an unknown metric, ``"accuracy"`` for a graph that is not a
    classifier, and ``"mape"`` with a target of 0.

    >>> import graphnn as gn
    >>> g = gn.Graph.sequential(gn.LinearLayer(), objective=gn.SquaredError())
    >>> evaluate(g, np.array([[1.0], [3.0]]), np.array([[2.0], [4.0]]), metrics=["rmse", "mape"])
    {'loss': 1.0, 'rmse': 1.0, 'mape': 0.375}
    """
    roles = GraphRoles(graph, input_name, target_name, output)
    X, Y = checked_data(X, Y, "evaluate")
    wanted = _checked_metrics(metrics, roles)
    if not wanted:
        return score(graph, roles, X, Y)
    result = score(graph, roles, X, Y)
    estimate = graph.value(roles.output)
    for name in wanted:
        if name != "accuracy":
            result[name] = REGRESSION_METRICS[name](Y, estimate)
    return result


def _checked_metrics(metrics, roles):
    """The list of metric names asked for; ``ValueError`` for an unknown one, or accuracy of
    a graph that is not a classifier."""
    if metrics is None:
        return []
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    known = [*REGRESSION_METRICS, "accuracy"]
    for name in names:
        if name not in known:
            raise ValueError(f"evaluate: unknown metric {name!r}; the metrics are {known}")
        if name == "accuracy" and roles.kind is None:
            raise ValueError(
                "evaluate: accuracy needs a classifier (its objective LogLoss or CrossEntropy); "
                "for this graph use rmse, mape or smape")
    return names


def score(graph, roles, X, Y):
    """``evaluate`` for checked arguments: ``roles`` a ``GraphRoles``, ``X`` and ``Y`` checked
    matrices. One ``graph.forward`` on all rows; ``{"loss": J}``, plus ``"accuracy"`` when
    ``roles.kind`` says the graph is a classifier. The pass runs in inference mode."""
    with in_mode(graph, False):
        loss, outputs = graph.forward({roles.input_name: X, roles.target_name: Y}, outputs=[roles.output])
    result = {"loss": float(loss)}
    if roles.kind is not None:
        result["accuracy"] = accuracy(roles.kind, Y, outputs[roles.output])
    return result

