"""Finite-difference gradients, the reference every analytic gradient is checked against.

Central differences in float64, as PyTorch's ``gradcheck`` does:
``df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, with truncation error ``O(eps^2)``.
"""
import numpy as np

from ..core import GraphError

#: step for central differences in float64: balances truncation (eps^2) and rounding (1e-16/eps)
DEFAULT_EPS = 1e-6


def numerical_gradient(f, x, eps=DEFAULT_EPS, where=None):
    """``df/dx`` by central differences, an array shaped like ``x``.

    ``f()`` takes no argument and returns a float computed from the array ``x`` (any shape,
    e.g. ``N x D`` data or ``sizeIn x sizeOut`` weights), which is perturbed in place one
    entry at a time and restored afterwards (so ``x`` may be a parameter's value that ``f``
    reads). ``x`` must be float64, else ``ValueError``. ``where``: a boolean array shaped
    like ``x``, the entries to differentiate (the others stay 0). Costs ``2 * x.size`` calls
    of ``f`` (two per entry differentiated).

    >>> x = np.array([[1.0, 2.0]])
    >>> np.round(numerical_gradient(lambda: float((x ** 2).sum()), x), 6)
    array([[2., 4.]])
    """
    if x.dtype != np.float64:
        raise ValueError(f"numerical_gradient: x must be float64 for accurate differences, got {x.dtype}")
    grad = np.zeros_like(x)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size) if where is None else np.flatnonzero(where):
        original = flat[i]
        try:
            flat[i] = original + eps
            plus = f()
            flat[i] = original - eps
            minus = f()
        finally:  # restored even when f raises (or Ctrl-C): x may be a parameter's value
            flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(analytic, numeric, floor=0.0):
    """``max |a - n| / max(max |a|, max |n|, floor)``: the worst error relative to the
    gradient's scale, a float, for two arrays of one shape (``analytic`` and ``numeric``).

    Measured against the largest entry rather than entry by entry, so that entries that are
    zero in exact arithmetic do not turn rounding noise into huge ratios. ``floor`` is the
    smallest scale to divide by: gradients below it are judged by their absolute error (see
    ``noise_floor``). Two all-zero arrays give 0.
    """
    analytic, numeric = np.asarray(analytic, float), np.asarray(numeric, float)
    error = float(np.max(np.abs(analytic - numeric), initial=0.0))
    scale = max(float(np.max(np.abs(analytic), initial=0.0)), float(np.max(np.abs(numeric), initial=0.0)), floor)
    return error / scale if scale > 0 else error


#: rounding error of one forward pass, in units of ``machine eps * |J|``: a pass rounds many
#: times, and the observed noise of central differences runs at a few such units
ROUNDING_UNITS = 10


def noise_floor(value, eps=DEFAULT_EPS, tolerance=1e-6):
    """The gradient scale below which central differences cannot resolve a relative error of
    ``tolerance``: rounding ``J`` (of size ``value``) costs about ``ROUNDING_UNITS * machine
    eps * |J|``, which the difference quotient divides by ``eps``. The seed's freshly
    initialised network has input gradients near 1e-5, measured with a noise near 1e-10:
    relative to themselves that is 1e-5 however right they are; relative to this floor
    (about 2.2e-3 for ``|J| <= 1``) it is within the tolerance, while an error above
    ``tolerance * floor``, about 2.2e-9, still fails. Returns a float."""
    return float(ROUNDING_UNITS * np.finfo(np.float64).eps * max(1.0, abs(value)) / eps / tolerance)


def mismatch_hint(analytic, numeric, *, what="backward", factors=None, gradIn=None, diagonal=None,
                  reference="the finite differences"):
    """A one-line guess at what went wrong when ``analytic`` (what the code gave) differs from
    ``numeric`` (central differences, or whatever it should be), or ``""``.

    ``factors``: ``{factor: explanation}`` for constant ratios with a known meaning (``N``:
    a missing ``1/N``); ``gradIn``: for ``backward``, the gradient it received (returning it
    unchanged means the local derivative is missing); ``diagonal``: what ``backward`` would
    give from the diagonal of the Jacobian only; ``reference``: how to call ``numeric``.
    """
    analytic, numeric = np.asarray(analytic, float), np.asarray(numeric, float)
    if analytic.shape != numeric.shape:
        if analytic.ndim == numeric.ndim and analytic.shape == numeric.shape[:-2] + numeric.shape[:-3:-1]:
            return f"{what} is shaped {analytic.shape}, the transpose of {numeric.shape}: is it transposed (W instead of W^T)?"
        return f"{what} is shaped {analytic.shape}, expected {numeric.shape}"
    if not np.isfinite(analytic).all():
        return f"{what} holds NaN or inf"
    if not np.abs(analytic).any():
        return f"{what} is all zeros"
    if not np.abs(numeric).any() and reference == "the finite differences":
        return ("the finite differences are all 0: the output does not move when an input moves by 1e-6; does "
                "it round, or compute in integers?")
    if gradIn is not None and np.shape(gradIn) == analytic.shape and relative_error(analytic, gradIn) < 1e-9:
        return f"{what} returns gradIn unchanged: is the factor of the local derivative missing?"
    if diagonal is not None and relative_error(analytic, diagonal) < 1e-6:
        return (f"{what} uses only the diagonal of the Jacobian: the off-diagonal terms "
                "(softmax: -s_i s_j) are missing")
    if analytic.ndim >= 2 and analytic.shape[-1] == analytic.shape[-2] > 1:
        off = 1 - np.eye(analytic.shape[-1])
        if not (analytic * off).any() and np.abs(numeric * off).max() > 1e-6:
            return f"{what} holds only the diagonal of the Jacobian: the off-diagonal terms are missing"
        if relative_error(np.swapaxes(analytic, -1, -2), numeric) < 1e-6:
            return f"{what} is the transpose of what it should be (W instead of W^T?)"
    scale = float(np.sum(numeric * numeric))
    if scale > 0:
        factor = float(np.sum(analytic * numeric)) / scale
        if relative_error(analytic, factor * numeric) < 1e-4:
            for known, explanation in (factors or {}).items():
                if abs(factor - known) <= 1e-3 * abs(known):
                    return explanation
            if abs(factor + 1) < 1e-3:
                return f"{what} has the wrong sign everywhere"
            return (f"{what} is about {factor:.3g} times {reference} everywhere: "
                    "is a factor of the local derivative missing?")
    resolved = np.abs(numeric) > 1e-3 * np.abs(numeric).max()
    if resolved.any():
        ratio = analytic[resolved] / numeric[resolved]
        return (f"{what} / {reference} varies from {ratio.min():.3g} to {ratio.max():.3g}: "
                "the derivative's formula is wrong, not only a factor")
    return ""


#: a gradient passes when its relative error (see ``relative_error``) is below this
DEFAULT_TOLERANCE = 1e-6


class GradcheckReport:
    """The result of ``gradcheck``: one row per node, its worst relative error, a verdict.

    ``rows`` is a list of ``(node, what, relative_error)`` (``what``: a parameter's name or
    ``'input'``); ``worst`` is the largest error (0.0 without rows); ``passed`` is True when
    ``worst`` is below ``tolerance``, and so is ``bool(report)``; ``str(report)`` is a table
    to print.
    """

    def __init__(self, rows, tolerance):
        self.rows = rows
        self.tolerance = tolerance
        self.worst = max((error for _, _, error in rows), default=0.0)
        self.passed = bool(self.worst < tolerance)

    def __bool__(self):
        return self.passed

    def __str__(self):
        width = max([len("node")] + [len(node) for node, _, _ in self.rows])
        what_width = max([len("checked")] + [len(what) for _, what, _ in self.rows])
        lines = [f"{'node':<{width}}  {'checked':<{what_width}}  relative error"]
        for node, what, error in self.rows:
            flag = "" if error < self.tolerance else "  <-- FAILS"
            lines.append(f"{node:<{width}}  {what:<{what_width}}  {error:.2e}{flag}")
        verdict = "PASSED" if self.passed else "FAILED"
        lines.append(
            f"{verdict}: worst relative error {self.worst:.2e} "
            f"({'below' if self.passed else 'not below'} the tolerance {self.tolerance:.0e})"
        )
        return "\n".join(lines)

    __repr__ = __str__


def gradcheck(graph, feed, eps=DEFAULT_EPS, tolerance=DEFAULT_TOLERANCE):
    """Compare the graph's analytic gradients with central differences of its objective.

    ``feed``: ``{input name: N x D array}``, as ``graph.forward`` takes it. For every
    parameter (``Parameter.grad``, the derivative of ``J``) and every fed input that is not an
    objective's target (``graph.grad(input) / N``; targets are constants of the loss), the
    relative error of the analytic gradient against the numerical one, worst per node;
    returns a ``GradcheckReport``. Parameters must be float64 (else ``ValueError``); the fed
    values are copied to float64 (the caller's arrays are never perturbed). Leaves the graph
    as after one ``forward(feed)`` and ``backward()``, with every input's ``requires_grad`` as
    it was. Costs two forward passes per parameter entry and per fed input entry: keep ``N``
    small.

    >>> import graphnn as gn, numpy as np
    >>> g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1, seed=0), objective=gn.SquaredError())
    >>> gradcheck(g, {"X": np.ones((3, 2)), "Y": np.zeros((3, 1))}).passed
    True
    """
    feed = {name: np.array(value, dtype=np.float64) for name, value in feed.items()}
    for parameter in graph.parameters():
        if parameter.value.dtype != np.float64:
            raise ValueError(
                f"gradcheck: parameter {parameter.name!r} is {parameter.value.dtype}; "
                "finite differences need float64 (build the layers with dtype=np.float64)"
            )
    targets = {graph.predecessors(objective)[0] for objective in graph.objectives}
    checked_inputs = [name for name in graph.inputs if name not in targets and name in feed]
    constants = [name for name in checked_inputs if not graph.requires_grad(name)]
    for name in constants:  # for the check only: the caller's graph is restored below
        graph.set_requires_grad(name, True)
    try:
        report = _gradcheck(graph, feed, checked_inputs, eps, tolerance)
    finally:
        for name in constants:
            graph.set_requires_grad(name, False)
    graph.forward(feed)
    graph.backward()
    return report


def _gradcheck(graph, feed, checked_inputs, eps, tolerance):
    graph.forward(feed)
    graph.backward()
    checks = {}  # node -> list of (what, analytic, array to perturb)
    for node, parameter in graph.named_parameters():  # a shared one once, at its first node
        checks.setdefault(node, []).append((parameter.name, parameter.grad.copy(), parameter.value))
    for name in checked_inputs:
        analytic = graph.grad(name) / feed[name].shape[0]
        checks.setdefault(name, []).append(("input", analytic.copy(), feed[name]))

    def objective():
        return graph.forward(feed)

    floor = noise_floor(objective(), eps, tolerance)
    rows = []
    for node in graph.nodes:
        for what, analytic, array in checks.get(node, ()):
            numeric = numerical_gradient(objective, array, eps)
            rows.append((node, what, relative_error(analytic, numeric, floor)))
    return GradcheckReport(rows, tolerance)


# ---------------------------------------------------------------------------- node by node
class NodeGradcheckReport:
    """The result of ``gradcheck_nodes``: one row per node and thing checked.

    ``rows``: ``(node, what, relative_error, hint)``, ``what`` naming the input slot and the
    node that feeds it (``'input 0 (from fc1)'``), a parameter (``'weights'``) or an
    objective's ``'gradient'``; ``failing``: ``{node: message}`` for the rows at or above
    ``tolerance`` (the first per node), ready as ``marks`` for ``graphnn.views.render``;
    ``passed`` (and ``bool(report)``); ``str(report)``: a table. ``to_dot(graph)`` and
    ``render(graph, path)`` draw the gradient diagram with the failing nodes marked.
    """

    def __init__(self, rows, tolerance):
        self.rows = rows
        self.tolerance = tolerance
        self.failing = {}
        for node, what, error, _ in rows:
            if not error < tolerance and node not in self.failing:
                self.failing[node] = f"{what}: relative error {error:.2g}"
        self.passed = not self.failing

    def __bool__(self):
        return self.passed

    def __str__(self):
        width = max([len("node")] + [len(row[0]) for row in self.rows])
        what_width = max([len("checked")] + [len(row[1]) for row in self.rows])
        lines = [f"{'node':<{width}}  {'checked':<{what_width}}  relative error"]
        for node, what, error, hint in self.rows:
            flag = "" if error < self.tolerance else "  <-- FAILS" + (f": {hint}" if hint else "")
            lines.append(f"{node:<{width}}  {what:<{what_width}}  {error:.2e}{flag}")
        if self.passed:
            lines.append(f"PASSED: every node's backward agrees with its own central differences "
                         f"(tolerance {self.tolerance:.0e})")
        else:
            lines.append(f"FAILED at node(s) {', '.join(map(repr, self.failing))} (tolerance {self.tolerance:.0e})")
        return "\n".join(lines)

    __repr__ = __str__

    def to_dot(self, graph, rankdir="LR"):
        """The gradient diagram of ``graph`` with every failing node marked (red, the error in
        its label): ``graphnn.views.render.to_dot(graph, "gradients", marks=self.failing)``."""
        from ..views.render import to_dot

        return to_dot(graph, "gradients", rankdir, marks=self.failing)

    def render(self, graph, path, rankdir="LR"):
        """Write ``to_dot(graph)`` to ``path`` (as ``graphnn.views.render.render``); returns it."""
        from ..views.render import render

        return render(graph, path, "gradients", rankdir, marks=self.failing)


def gradcheck_nodes(graph, feed, eps=DEFAULT_EPS, tolerance=DEFAULT_TOLERANCE, seed=0):
    """Check each node's backward alone: which node is wrong, not only which gradient ends
    up wrong. Returns a ``NodeGradcheckReport``.

    Runs ``graph.forward(feed)`` and ``graph.backward()``, then for each layer, with its
    recorded inputs (``graph.value`` of its predecessors, copied to float64) and ``G`` the
    gradient of ``J`` at its output (``graph.grad``, per observation; a seeded random ``N x
    K`` where the graph computed none): the gradient the graph sent back along each in-edge
    (``graph.edge_grad``; the layer's own ``backward(G)`` for a constant input) against
    central differences of ``sum(G * layer.forward(inputs))`` in that input, and each
    parameter's gradient (from ``backward(G)`` on the layer alone) against central
    differences of that sum divided by ``N``. Each objective's ``weight * gradient(Y, Yhat)``
    is checked against ``weight * N`` times central differences of ``eval``. Leaves the graph
    as after one ``forward(feed)`` and ``backward()``.

    >>> import graphnn as gn, numpy as np
    >>> g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1, seed=0), gn.TanhLayer(),
    ...                         objective=gn.SquaredError())
    >>> gradcheck_nodes(g, {"X": np.ones((3, 2)), "Y": np.zeros((3, 1))}).failing
    {}
    """
    graph.forward(feed)
    graph.backward()
    rng = np.random.default_rng(seed)
    kinds = dict(graph.nx.nodes(data="kind"))
    rows = []
    for node in graph.nodes:
        if kinds[node] == "input":
            continue
        op, sources = graph.op(node), graph.predecessors(node)
        inputs = [np.array(graph.value(source), dtype=np.float64) for source in sources]
        if kinds[node] == "objective":
            Y, Yhat = inputs
            weight = graph.nx.nodes[node]["weight"]
            analytic = weight * np.asarray(op.gradient(Y, Yhat), dtype=np.float64)
            checked = "gradient"
            try:
                numeric = numerical_gradient(lambda: float(op.eval(Y, Yhat)), Yhat, eps)
            except ValueError:  # a difference stepped out of [0, 1], which LogLoss and CrossEntropy
                # refuse: a saturated sigmoid's estimate of 1.0, say; such entries are left out
                inside = (Yhat >= eps) & (Yhat <= 1 - eps)
                numeric = numerical_gradient(lambda: float(op.eval(Y, Yhat)), Yhat, eps, where=inside)
                analytic = np.where(inside, analytic, 0.0)
                checked = f"gradient ({int((~inside).sum())} of {Yhat.size} estimates within eps of 0 or 1 left out)"
            numeric = weight * Yhat.shape[0] * numeric
            rows.append(_node_row(node, checked, analytic, numeric, float(op.eval(Y, Yhat)), eps, tolerance,
                                  what="gradient", factors=objective_factors(*Yhat.shape)))
            continue
        try:
            G = np.array(graph.grad(node), dtype=np.float64)
            from_graph = bool(np.abs(G).any())
        except GraphError:
            from_graph = False
        if not from_graph:
            G = rng.standard_normal(np.shape(graph.value(node)))
        rows += _check_layer_node(graph, node, op, sources, inputs, G, from_graph, eps, tolerance)
    graph.forward(feed)  # the layers' state is that of the graph's pass again
    graph.backward()
    return NodeGradcheckReport(rows, tolerance)


def parameter_factors(n):
    """The factors a parameter gradient of ``N`` observations is typically off by."""
    return {n: f"off by a factor N = {n}: is the 1/N of the mean objective missing?",
            1.0 / n: f"1/N = 1/{n} of the gradient of the mean: divided by N twice?"} if n > 1 else {}


def objective_factors(n, k):
    """The factors an objective's gradient of ``N x K`` estimates is typically off by."""
    factors = {1.0 / n: f"1/N = 1/{n} of N x d eval/dYhat: the gradient is per observation, "
                        "not divided by N (or eval is a sum, not a mean)"} if n > 1 else {}
    if k > 1:
        factors[float(k)] = (f"K = {k} times N x d eval/dYhat: eval averages over every entry "
                             "(np.mean of an N x K array, the 'mean over N x K' convention) while the "
                             "graph takes eval as a mean over the N observations")
    return factors


def _node_row(node, checked, analytic, numeric, value, eps, tolerance, **hint_args):
    error = relative_error(analytic, numeric, noise_floor(value, eps, tolerance))
    hint = "" if error < tolerance else mismatch_hint(analytic, numeric, **hint_args)
    return node, checked, error, hint


def _check_layer_node(graph, node, op, sources, inputs, G, from_graph, eps, tolerance):
    """The rows of one layer: each input slot, then each parameter."""
    n = G.shape[0]

    def weighted_output():
        return float(np.sum(G * op.forward(*inputs)))

    value = weighted_output()
    parameters = list(op.parameters())
    saved = [parameter.grad.copy() for parameter in parameters]
    try:  # the layer alone, on G: what it sends back, and what it adds to its parameters
        for parameter in parameters:
            parameter.zero_grad()
        own = op.backward(G)
        own = (own,) if len(sources) == 1 else tuple(own)
        parameter_grads = [np.array(parameter.grad, dtype=np.float64) for parameter in parameters]
    finally:
        for parameter, grad in zip(parameters, saved):
            parameter.grad = grad
    rows = []
    for slot, source in enumerate(sources):
        sent = graph.last_pass.edge_grad(source, node, slot) if from_graph else None
        analytic = np.asarray(own[slot] if sent is None else sent, dtype=np.float64)
        numeric = numerical_gradient(weighted_output, inputs[slot], eps)
        rows.append(_node_row(node, f"input {slot} (from {source})", analytic, numeric, value, eps, tolerance,
                              what="backward", gradIn=G))
    for parameter, analytic in zip(parameters, parameter_grads):
        if parameter.value.dtype != np.float64:
            raise ValueError(f"gradcheck_nodes: parameter {parameter.name!r} of node {node!r} is "
                             f"{parameter.value.dtype}; finite differences need float64")
        numeric = numerical_gradient(lambda: weighted_output() / n, parameter.value, eps)
        rows.append(_node_row(node, parameter.name, analytic, numeric, value / n, eps, tolerance,
                              what=f"the gradient of {parameter.name}", factors=parameter_factors(n)))
    return rows
