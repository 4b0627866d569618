"""Finite-difference gradients, the reference every analytic gradient is checked against.

Central differences in float64, as PyTorch's ``gradcheck`` does:
``df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, with truncation error ``O(eps^2)``.
"""
import numpy as np

#: step for central differences in float64: balances truncation (eps^2) and rounding (1e-16/eps)
DEFAULT_EPS = 1e-6


def numerical_gradient(f, x, eps=DEFAULT_EPS):
    """``df/dx`` by central differences, an array shaped like ``x``.

    ``f()`` takes no argument and returns a float computed from the array ``x`` (any shape,
    e.g. ``N x D`` data or ``sizeIn x sizeOut`` weights), which is perturbed in place one
    entry at a time and restored afterwards (so ``x`` may be a parameter's value that ``f``
    reads). ``x`` must be float64, else ``ValueError``. Costs ``2 * x.size`` calls of ``f``.

    >>> x = np.array([[1.0, 2.0]])
    >>> np.round(numerical_gradient(lambda: float((x ** 2).sum()), x), 6)
    array([[2., 4.]])
    """
    if x.dtype != np.float64:
        raise ValueError(f"numerical_gradient: x must be float64 for accurate differences, got {x.dtype}")
    grad = np.zeros_like(x)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
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
