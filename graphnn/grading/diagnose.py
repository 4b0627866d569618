"""Where a NaN or an inf starts: ``find_nonfinite(graph, feed)``.

``Graph.forward(check_finite=True)`` stops at the first non-finite value it meets, which is
where the damage is seen, not always where it is done. ``find_nonfinite`` names the node that
did it: the first node (in topological order) whose inputs are all finite but whose output is
not; when the forward pass is finite, the first node (in the order backward runs) that received
a finite gradient and sent back a non-finite one, to an input or to a parameter. It reports
shapes, how many entries are NaN and inf, and statistics of what the node read, and draws the
route to the culprit on the network diagram (``report.to_dot(graph)``).

It uses the graph's public interface only (``nodes``, ``op``, ``predecessors``, ``forward``,
``backward``, ``value``, ``grad``, ``edge_grad``, ``grad_out``, ``named_parameters``, ``nx``),
and silences numpy's warnings while it looks: a NaN is what it is looking for.

>>> import numpy as np, graphnn as gn
>>> g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1, seed=0), gn.LogisticSigmoidLayer(),
...                         objective=gn.LogLoss())
>>> g.op("fc1").weights.value[0, 0] = np.inf
>>> report = find_nonfinite(g, {"X": np.array([[1.0, -1.0]]), "Y": np.ones((1, 1))})
>>> report.node, report.direction, report.what
('fc1', 'forward', 'output')
"""
import warnings
from collections.abc import Mapping

import networkx as nx
import numpy as np

from .._validation import describe_shape
from ..core import GraphError

__all__ = ["find_nonfinite", "NonfiniteReport", "array_statistics"]


def array_statistics(array):
    """One line about ``array``: its shape, how many entries are NaN and inf, and the min,
    max, mean and max ``|x|`` of the finite ones."""
    array = np.asarray(array, dtype=float)
    shape = describe_shape(array.shape) if array.ndim == 2 else str(array.shape)
    finite = array[np.isfinite(array)]
    parts = [shape]
    nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    if nan or inf:
        parts.append(f"{nan} NaN, {inf} inf of {array.size}")
    if finite.size:
        largest = np.abs(finite).max()
        # the mean of the entries scaled by the largest: their plain sum overflows near 1.8e308
        mean = np.mean(finite / largest) * largest if largest else 0.0
        parts.append(f"min {finite.min():.4g}, max {finite.max():.4g}, mean {mean:.4g}, max|x| {largest:.4g}")
    return "; ".join(parts)


class NonfiniteReport:
    """The result of ``find_nonfinite``.

    ``found``: whether some value or gradient is not finite; ``direction``: ``'forward'`` or
    ``'backward'`` (``None`` when nothing was found); ``node``: the culprit; ``what``: what it
    produced (``'output'``, ``'value'`` for an objective, ``'gradient to input 0 (from fc1)'``,
    ``'gradient of weights'``, ...); ``statistics``: ``array_statistics`` of that array;
    ``reads``: ``[(what, statistics)]`` of what the node read (its inputs, and in backward
    the gradient it received); ``path``: the nodes from the inputs to the culprit (forward) or
    from the culprit to the objectives (backward, the route its gradient came by);
    ``error``: the message of an exception raised on the way, if any.
    ``str(report)`` explains it; ``to_dot(graph)``/``render(graph, path)`` draw it.
    """

    def __init__(self, direction=None, node=None, what=None, statistics="", reads=(), path=(), error=None):
        self.direction, self.node, self.what = direction, node, what
        self.statistics, self.reads, self.path, self.error = statistics, list(reads), list(path), error
        self.found = node is not None

    def __bool__(self):
        return self.found

    @property
    def marks(self):
        """``{node: message}`` for ``graphnn.views.render``: the culprit with what went wrong, and
        every node of ``path`` (drawn red, with the edges between them)."""
        marks = {name: "" for name in self.path}
        if self.found:
            marks[self.node] = f"{self.direction}: {self.what} not finite" if self.error is None else "raised"
        return marks

    def __str__(self):
        if not self.found:
            return "no NaN or inf: every value and gradient of the pass is finite"
        source = "finite inputs" if self.direction == "forward" else "a finite gradient"
        lines = [f"{self.direction}: node {self.node!r} gives a non-finite {self.what} from {source}"
                 if self.error is None else f"{self.direction}: node {self.node!r} raised {self.error}"]
        if self.statistics:
            lines.append(f"  {self.what}: {self.statistics}")
        for what, statistics in self.reads:
            lines.append(f"  read {what}: {statistics}")
        lines.append(f"  path: {' -> '.join(self.path)}")
        return "\n".join(lines)

    __repr__ = __str__

    def to_dot(self, graph, rankdir="LR"):
        """The network diagram of ``graph`` with the path and the culprit marked in red."""
        from ..views.render import to_dot

        return to_dot(graph, "network", rankdir, marks=self.marks)

    def render(self, graph, path, rankdir="LR"):
        """Write ``to_dot(graph)`` to ``path`` (as ``graphnn.views.render.render``); returns it."""
        from ..views.render import render

        return render(graph, path, "network", rankdir, marks=self.marks)


def _finite(value):
    return bool(np.isfinite(np.asarray(value, dtype=float)).all())


def find_nonfinite(graph, feed):
    """Run ``graph`` on ``feed`` (``{input name: N x D array}``) and report where the first
    NaN or inf appears: a ``NonfiniteReport`` (``found`` is False when the whole pass, forward
    and backward with parameter gradients, is finite).

    Forward: the nodes run one by one in topological order on the fed values; the first node
    whose output (an objective's value) is not finite, or that raises, with every input
    finite, is the culprit (a fed value that holds NaN makes its input node the culprit).
    Backward (only when the forward pass is finite, and the graph has an objective):
    ``graph.forward`` and ``graph.backward``, then the nodes in reverse topological order: an
    objective whose gradient is not finite; a layer that received a finite gradient and sent a
    non-finite one along an in-edge or into a parameter it owns (``named_parameters``); a value
    whose consumers' gradients are finite but whose summed gradient is not (an overflow where
    it fans out). The graph is left as after that pass.

    Raises ``GraphError`` for a ``feed`` that is not a dict, or that misses an input of the
    graph or names one it does not have (the message lists the inputs).
    """
    _check_feed(graph, feed)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        report = _forward(graph, feed)
        if report is None and graph.objectives:
            report = _backward(graph, feed)
    return report or NonfiniteReport()


def _check_feed(graph, feed):
    inputs = graph.inputs
    if not isinstance(feed, Mapping):
        raise GraphError(f"find_nonfinite: feed must be a dict {{input name: N x D array}} for the "
                         f"inputs {inputs}, got {type(feed).__name__}")
    missing = [name for name in inputs if name not in feed]
    unknown = [name for name in feed if name not in inputs]
    if missing or unknown:
        what = (f"no value for input(s) {missing}" if missing else "") + \
               ("; " if missing and unknown else "") + (f"{unknown} are not inputs" if unknown else "")
        raise GraphError(f"find_nonfinite: {what}; the graph's inputs are {inputs}")


def _reads(names, values):
    return [(name, array_statistics(values[name])) for name in names]


def _forward(graph, feed):
    kinds = dict(graph.nx.nodes(data="kind"))
    values = {}
    for node in graph.nodes:
        if kinds[node] == "input":
            values[node] = np.asarray(feed[node], dtype=float)
            if not _finite(values[node]):
                return NonfiniteReport("forward", node, "fed value", array_statistics(values[node]), path=[node])
            continue
        sources = graph.predecessors(node)
        path = sorted(nx.ancestors(graph.nx, node), key=graph.nodes.index) + [node]
        op = graph.op(node)
        try:
            out = op.eval(*[values[s] for s in sources]) if kinds[node] == "objective" \
                else op.forward(*[values[s] for s in sources])
        except Exception as err:
            return NonfiniteReport("forward", node, "output", "", _reads(sources, values), path,
                                   error=f"{type(err).__name__}: {err}")
        values[node] = out
        if not _finite(out):
            what = "value" if kinds[node] == "objective" else "output"
            return NonfiniteReport("forward", node, what, array_statistics(out), _reads(sources, values), path)
    return None


def _backward(graph, feed):
    graph.forward(feed)
    graph.backward()
    kinds = dict(graph.nx.nodes(data="kind"))
    values = {node: graph.value(node) for node in graph.nodes}
    owned = {}
    for node, parameter in graph.named_parameters():
        owned.setdefault(node, []).append(parameter)
    order = graph.nodes

    def report(node, what, array, received=None):
        path = [node] + sorted(nx.descendants(graph.nx, node), key=order.index)
        reads = _reads(graph.predecessors(node), values)
        if received is not None:
            reads.append(("gradient received", array_statistics(received)))
        return NonfiniteReport("backward", node, what, array_statistics(array), reads, path)

    for node in reversed(order):
        if kinds[node] == "objective":
            try:
                sent = graph.grad_out(node)
            except GraphError:  # its estimate needs no gradient
                continue
            if not _finite(sent):
                return report(node, "gradient", sent)
            continue
        try:
            received = graph.grad(node)
        except GraphError:  # a constant branch, or an input that asked for no gradient
            continue
        if not _finite(received):  # an input's too: finite gradients from two consumers can sum to inf
            return report(node, "gradient (the sum over its consumers)", received)
        if kinds[node] == "input":
            continue
        for slot, source in enumerate(graph.predecessors(node)):
            sent = graph.last_pass.edge_grad(source, node, slot)
            if sent is not None and not _finite(sent):
                return report(node, f"gradient to input {slot} (from {source})", sent, received)
        for parameter in owned.get(node, ()):
            if not _finite(parameter.grad):
                return report(node, f"gradient of {parameter.name}", parameter.grad, received)
    return None
