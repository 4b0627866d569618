"""Property-based gradient checks (issue 8): every layer, every objective, random graphs.

Hypothesis draws the shapes and values; each property is checked on 200 examples under the
``ci`` profile (tests/conftest.py). Random graphs are checked both with objectives fused with
their activations (``Graph(fuse=True)``, the default) and without (``fuse=False``). Everything
is float64 and compared with ``graphnn.grading.gradcheck.relative_error`` (the worst absolute error
over the gradient's largest entry), which must stay below 1e-6.

How the values are chosen so that central differences (step 1e-6) are accurate:

- layer inputs lie in [-3, 3] and are either 0 or at least 1e-3 in magnitude (a value like
  1e-300 would make a weight gradient ``x * g`` smaller than the rounding noise of a
  difference); ReLU inputs are never closer than 1e-3 to the kink at 0;
- the random linear functional ``f(out) = sum(R * out)`` has weights ``R`` in [-1, 1], and its
  differences are taken output by output, ``sum(R * (out(x + h) - out(x - h))) / 2h``, so that
  entries the step does not touch contribute exactly 0 instead of the rounding noise of a
  50 x 20 sum;
- objectives are differenced one observation at a time (``eval`` on row ``n`` alone is that
  observation's loss ``l_n``, and ``eval`` on all rows is their mean, which is checked too), and
  one entry is pinned far from the optimum so the gradient cannot vanish: a vanishing gradient
  makes any relative error meaningless;
- random graphs keep every tanh/sigmoid/softmax input within [-3, 3], use weights of magnitude
  0.5 to 1.5 and at most three sigmoids or softmaxes (derivatives at most 1/4), which would
  otherwise shrink the gradients of the first layers below the noise of the objective's last
  digits; and they are differenced with a step of 1e-5 (``DAG_EPS``, explained there).

docs/reliability.md describes all of this, with the measured margins.
"""
import numpy as np
import pytest
from hypothesis import event, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from graphnn import (
    AddLayer, ConcatLayer, CrossEntropy, FullyConnectedLayer, Graph, InputLayer, LinearLayer,
    LogisticSigmoidLayer, LogLoss, ReLULayer, SoftmaxLayer, SquaredError, TanhLayer,
)
from graphnn.grading.gradcheck import DEFAULT_EPS, gradcheck, relative_error

TOLERANCE = 1e-6

ROWS = st.integers(1, 50)    # N
WIDTHS = st.integers(1, 20)  # D
SEEDS = st.integers(0, 2**32 - 1)

# In [-3, 3], and either 0 or at least 1e-3 in magnitude.
VALUES = st.one_of(
    st.just(0.0),
    st.floats(1e-3, 3.0),
    st.floats(-3.0, -1e-3),
)
# ReLU: never within 1e-3 of the kink, so a step of 1e-6 cannot cross it.
AWAY_FROM_KINK = st.one_of(st.floats(1e-3, 3.0), st.floats(-3.0, -1e-3))


def matrices(n, d, elements=VALUES):
    return hnp.arrays(np.float64, (n, d), elements=elements)


def functional_differences(run, array, R, eps=DEFAULT_EPS):
    """Central differences of ``f = sum(R * run())`` with respect to every entry of ``array``,
    which ``run`` reads and which is perturbed in place (and restored).

    ``f`` is linear in the output, so ``f(x + h) - f(x - h) = sum(R * (out(x + h) - out(x - h)))``;
    taking the output difference first keeps untouched entries at exactly 0.
    """
    grad = np.zeros_like(array)
    flat = array.reshape(-1)
    assert np.shares_memory(flat, array)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = np.array(run(), copy=True)  # a copy: LinearLayer returns its input itself
        flat[i] = original - eps
        grad.flat[i] = np.sum(R * (plus - run())) / (2 * eps)
        flat[i] = original
    return grad


def assert_gradient(analytic, numeric, what):
    assert analytic.shape == numeric.shape, what
    assert np.isfinite(analytic).all(), what
    error = relative_error(analytic, numeric)
    assert error < TOLERANCE, (
        f"{what}: relative error {error:.2e}; largest analytic entry "
        f"{np.abs(analytic).max():.3e}, largest numeric entry {np.abs(numeric).max():.3e}"
    )


# --- layers -------------------------------------------------------------------------------

def fully_connected(data, rng, n, d):
    k = data.draw(WIDTHS, label="sizeOut")
    layer = FullyConnectedLayer(d, k, seed=0)
    layer.setWeights(rng.uniform(-1, 1, (d, k)))
    layer.setBiases(rng.uniform(-1, 1, (1, k)))
    return layer, (data.draw(matrices(n, d), label="X"),)


def input_layer(data, rng, n, d):
    rows = data.draw(st.integers(1, 10), label="rows of dataIn")
    layer = InputLayer(data.draw(matrices(rows, d), label="dataIn"))
    return layer, (data.draw(matrices(n, d), label="X"),)


def elementwise(layer_class, elements=VALUES):
    def build(data, rng, n, d):
        return layer_class(), (data.draw(matrices(n, d, elements), label="X"),)
    return build


def several_inputs(layer_class, same_width):
    def build(data, rng, n, d):
        k = data.draw(st.integers(2, 3), label="n_inputs")
        if same_width:
            widths = [d] * k
        else:
            widths = [data.draw(WIDTHS, label=f"width of input {i}") for i in range(k)]
        inputs = tuple(data.draw(matrices(n, w), label=f"input {i}") for i, w in enumerate(widths))
        return layer_class(k), inputs
    return build


LAYER_BUILDERS = {
    "FullyConnectedLayer": fully_connected,
    "InputLayer": input_layer,
    "LinearLayer": elementwise(LinearLayer),
    "ReLULayer": elementwise(ReLULayer, AWAY_FROM_KINK),
    "LogisticSigmoidLayer": elementwise(LogisticSigmoidLayer),
    "TanhLayer": elementwise(TanhLayer),
    "SoftmaxLayer": elementwise(SoftmaxLayer),
    "AddLayer": several_inputs(AddLayer, same_width=True),
    "ConcatLayer": several_inputs(ConcatLayer, same_width=False),
}


@pytest.mark.parametrize("kind", sorted(LAYER_BUILDERS))
@given(data=st.data())
def test_layer_backward_agrees_with_central_differences(kind, data):
    n = data.draw(ROWS, label="N")
    d = data.draw(WIDTHS, label="D")
    rng = np.random.default_rng(data.draw(SEEDS, label="seed"))
    layer, inputs = LAYER_BUILDERS[kind](data, rng, n, d)
    inputs = tuple(np.array(x, dtype=np.float64, order="C") for x in inputs)

    out = np.array(layer.forward(*inputs), copy=True)
    assert out.dtype == np.float64 and out.ndim == 2 and out.shape[0] == n
    assert np.isfinite(out).all()
    R = rng.uniform(-1.0, 1.0, out.shape)  # the random linear functional f(out) = sum(R * out)
    layer.zero_grad()
    analytic = layer.backward(R)
    analytic = (analytic,) if layer.n_inputs == 1 else analytic
    analytic = tuple(np.array(g, copy=True) for g in analytic)
    parameter_grads = [(p, p.grad.copy()) for p in layer.parameters()]

    def run():
        return layer.forward(*inputs)

    for slot, (x, grad) in enumerate(zip(inputs, analytic)):
        assert_gradient(grad, functional_differences(run, x, R), f"{kind} input {slot}")
    # A parameter's gradient is that of the mean J = f / N (docs/conventions.md).
    for parameter, grad in parameter_grads:
        numeric = functional_differences(run, parameter.value, R) / n
        assert_gradient(grad, numeric, f"{kind} {parameter.name}")


# --- objectives ---------------------------------------------------------------------------

def squared_error_pair(data, n, k):
    Y = data.draw(matrices(n, k), label="Y")
    Yhat = data.draw(matrices(n, k), label="Yhat")
    Yhat[0, 0] = Y[0, 0] + (1.0 if Y[0, 0] < 0 else -1.0)  # pinned: gradient +-2 there
    return Y, Yhat


def log_loss_pair(data, n, k):
    labels = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))
    Y = data.draw(hnp.arrays(np.float64, (n, k), elements=labels), label="Y")
    Yhat = data.draw(hnp.arrays(np.float64, (n, k), elements=st.floats(0.05, 0.95)), label="Yhat")
    Y[0, 0] = 0.0 if Yhat[0, 0] >= 0.5 else 1.0  # pinned: |gradient| >= 2 there
    return Y, Yhat


def cross_entropy_pair(data, n, k):
    weights = st.one_of(st.just(0.0), st.floats(0.0, 1.0, allow_subnormal=False))
    W = data.draw(hnp.arrays(np.float64, (n, k), elements=weights), label="target weights")
    empty = W.sum(axis=1) == 0
    W[empty, 0] = 1.0  # an all-zero row becomes one-hot
    Y = W / W.sum(axis=1, keepdims=True)  # rows are distributions (one-hot ones included)
    Yhat = data.draw(hnp.arrays(np.float64, (n, k), elements=st.floats(0.01, 0.99)), label="Yhat")
    return Y, Yhat


OBJECTIVES = {
    "SquaredError": (SquaredError, squared_error_pair),
    "LogLoss": (LogLoss, log_loss_pair),
    "CrossEntropy": (CrossEntropy, cross_entropy_pair),
}


@pytest.mark.parametrize("kind", sorted(OBJECTIVES))
@given(data=st.data())
def test_objective_gradient_agrees_with_central_differences_of_eval(kind, data):
    n = data.draw(ROWS, label="N")
    k = data.draw(WIDTHS, label="K")
    make, make_pair = OBJECTIVES[kind]
    objective = make()
    Y, Yhat = make_pair(data, n, k)

    J = objective.eval(Y, Yhat)
    assert isinstance(J, float) and np.isfinite(J)
    G = objective.gradient(Y, Yhat)
    assert G.shape == (n, k) and G.dtype == np.float64

    # eval is the mean of the observations' losses ...
    losses = np.array([objective.eval(Y[i:i + 1], Yhat[i:i + 1]) for i in range(n)])
    assert J == pytest.approx(losses.mean(), rel=1e-12, abs=1e-300)
    # ... and the gradient is, row by row, the derivative of that observation's loss
    # (= N * dJ/dYhat, the per-observation convention).
    numeric = np.zeros_like(Yhat)
    eps = DEFAULT_EPS
    for i in range(n):
        y, row = Y[i:i + 1], Yhat[i:i + 1].copy()
        for j in range(k):
            original = row[0, j]
            row[0, j] = original + eps
            plus = objective.eval(y, row)
            row[0, j] = original - eps
            minus = objective.eval(y, row)
            row[0, j] = original
            numeric[i, j] = (plus - minus) / (2 * eps)
    assert_gradient(G, numeric, kind)


# --- random graphs ------------------------------------------------------------------------

ACTIVATIONS = {
    "tanh": TanhLayer,
    "sigmoid": LogisticSigmoidLayer,
    "linear": LinearLayer,
    "softmax": SoftmaxLayer,
}
SQUASHING = {"tanh", "sigmoid", "softmax"}
MAX_SMALL_DERIVATIVE_NODES = 3  # sigmoids and softmaxes (derivatives <= 1/4), head included
SQUASHING_INPUT_BOUND = 3.0
FC_OUTPUT_BOUND = 2.0
#: The step for the graphs' central differences. The objective is differenced as a whole, so its
#: rounding noise (about 1e-16 |J| / step) competes with the smallest parameter gradients of a
#: deep graph; a step of 1e-5 makes that noise 10 times smaller than the default 1e-6 while the
#: truncation error (step^2 times a third derivative, ~1e-10 relative) stays far below 1e-6.
#: Measured over 5000 random graphs: worst relative error 1.1e-7 (1e-5) against 9.9e-7 (1e-6).
DAG_EPS = 1e-5


class DagBuilder:
    """Grows a ``Graph`` node by node while tracking each node's value on the fed ``X``, so
    that weights can be scaled to keep every squashing layer out of saturation."""

    def __init__(self, X, rng, fuse=True):
        self.graph = Graph(fuse=fuse)
        self.rng = rng
        self.names = [self.graph.input("X")]
        self.values = [X]
        self.layers = 0
        self.small_derivative_nodes = 0
        self.uses = [0]  # how many consumers read each node (fan-out when > 1)
        self.features = set()

    @property
    def last(self):
        return len(self.names) - 1

    def width(self, node):
        return self.values[node].shape[1]

    def _add(self, op, *sources):
        name = self.graph.add(op, *(self.names[s] for s in sources))
        value = op.forward(*(self.values[s] for s in sources))
        for s in sources:
            self.uses[s] += 1
            if self.uses[s] > 1:
                self.features.add("fan-out")
        self.names.append(name)
        self.values.append(np.array(value, copy=True))
        self.uses.append(0)
        self.layers += 1
        return self.last

    def fc(self, source, width):
        width_in = self.width(source)
        # O(1) weights, bounded away from 0: a chain of small weights would shrink the
        # gradients of the first layers towards the noise floor of the differences.
        W = self.rng.choice([-1.0, 1.0], (width_in, width)) * self.rng.uniform(0.5, 1.5, (width_in, width))
        b = self.rng.uniform(-0.5, 0.5, (1, width))
        peak = np.abs(self.values[source] @ W + b).max()
        if peak > FC_OUTPUT_BOUND:  # keep outputs O(1); weights stay O(1) or smaller
            W, b = W * (FC_OUTPUT_BOUND / peak), b * (FC_OUTPUT_BOUND / peak)
        layer = FullyConnectedLayer(width_in, width, seed=0)
        layer.setWeights(W)
        layer.setBiases(b)
        self.features.add("fc")
        return self._add(layer, source)

    def needs_rescale(self, kind, source):
        return kind in SQUASHING and np.abs(self.values[source]).max() > SQUASHING_INPUT_BOUND

    def softmax_is_constant(self, source):
        """Whether a softmax of ``source`` would not depend on anything: every column the same
        (one column, or copies of one, like ``concat(x, x)`` of a one-column ``x``). Then the
        true gradient through it is 0 and only rounding noise is left to compare."""
        value = self.values[source]
        return bool(np.all(value == value[:, :1]))

    def activation(self, kind, source):
        if kind == "softmax" and self.softmax_is_constant(source):
            kind = "tanh"
        if kind in ("sigmoid", "softmax"):
            if self.small_derivative_nodes >= MAX_SMALL_DERIVATIVE_NODES:
                kind = "tanh"
            else:
                self.small_derivative_nodes += 1
        if self.needs_rescale(kind, source):
            source = self.fc(source, self.width(source))  # bring it back to O(1) first
        self.features.add(kind)
        return self._add(ACTIVATIONS[kind](), source)

    def add(self, a, b):
        if self.width(a) != self.width(b):
            b = self.fc(b, self.width(a))
        self.features.add("add (same node twice)" if a == b else "add")
        return self._add(AddLayer(), a, b)

    def concat(self, a, b):
        self.features.add("concat")
        return self._add(ConcatLayer(), a, b)


@st.composite
def random_dags(draw, fuse=True):
    """A graph of 2 to 12 layer nodes and its feed, as ``(graph, feed, features)``.

    The body is a random DAG over ``X``; then come the objective (``FC(->1) -> sigmoid ->
    LogLoss``, or ``SquaredError`` on the last node) and possibly a second, weighted one on any
    node (``SquaredError``, or ``softmax -> CrossEntropy``). ``fuse`` builds ``Graph(fuse=...)``:
    the draws, and so the graphs, are the same either way.
    """
    n = draw(st.integers(1, 6), label="N")
    width0 = draw(st.integers(1, 5), label="width of X")
    rng = np.random.default_rng(draw(SEEDS, label="seed"))
    X = rng.choice([-1.0, 1.0], (n, width0)) * rng.uniform(0.25, 2.0, (n, width0))
    builder = DagBuilder(X, rng, fuse)
    head = draw(st.sampled_from(["sigmoid-logloss", "squared-error"]), label="objective")
    second = draw(st.sampled_from(["none", "squared-error", "softmax-cross-entropy"]),
                  label="second objective")
    if second == "softmax-cross-entropy" and width0 == 1:
        second = "squared-error"  # a softmax over one column is constant
    reserved = (2 if head == "sigmoid-logloss" else 0) + (second == "softmax-cross-entropy")
    # Sigmoids and softmaxes of the objectives come out of the budget first.
    builder.small_derivative_nodes = (head == "sigmoid-logloss") + (second == "softmax-cross-entropy")
    body = draw(st.integers(max(2 - reserved, 0), 12 - reserved), label="body nodes")

    def node():  # the newest node (a chain) or any earlier one (fan-out, skips)
        return draw(st.one_of(st.just(builder.last), st.integers(0, builder.last)))

    while builder.layers < body:
        op = draw(st.sampled_from(["fc", "tanh", "sigmoid", "linear", "softmax", "add", "concat"]))
        room = body - builder.layers
        if op == "fc":
            builder.fc(node(), draw(st.integers(1, 5), label="width"))
        elif op == "concat":
            builder.concat(node(), node())
        elif op == "add":
            a, b = node(), node()
            if builder.width(a) == builder.width(b) or room >= 2:  # room for a width adapter
                builder.add(a, b)
            else:
                builder.activation("linear", a)
        else:
            source = node()
            builder.activation(op if not builder.needs_rescale(op, source) or room >= 2 else "linear",
                               source)

    graph, feed, last = builder.graph, {"X": X}, builder.last
    if head == "sigmoid-logloss":
        logit = builder.fc(last, 1)  # outputs within [-2, 2]: the sigmoid stays in (0.1, 0.9)
        builder.features.add("sigmoid")
        estimate = builder.names[builder._add(LogisticSigmoidLayer(), logit)]
        # 0/1 labels keep the loss gradient away from 0.
        feed["Y"] = rng.integers(0, 2, (n, 1)).astype(np.float64)
        graph.add(LogLoss(), graph.input("Y"), estimate, name="loss")
    else:
        feed["Y"] = rng.uniform(-1.0, 1.0, (n, builder.width(last)))
        graph.add(SquaredError(), graph.input("Y"), builder.names[last], name="loss")

    if second != "none":
        weight = draw(st.sampled_from([0.25, 0.5, 1.0, 2.0]), label="weight")
        candidates = [i for i in range(len(builder.names))
                      if second == "squared-error" or not builder.softmax_is_constant(i)]
        target_node = draw(st.sampled_from(candidates), label="second objective reads")
        width = builder.width(target_node)
        if second == "squared-error":
            feed["T"] = rng.uniform(-1.0, 1.0, (n, width))
            estimate = builder.names[target_node]
            graph.add(SquaredError(), graph.input("T"), estimate, name="loss2", weight=weight)
        else:
            if builder.needs_rescale("softmax", target_node):
                target_node = [i for i in candidates if not builder.needs_rescale("softmax", i)][0]
            builder.features.add("softmax")
            estimate = builder.names[builder._add(SoftmaxLayer(), target_node)]
            T = rng.uniform(0.0, 1.0, (n, builder.width(target_node)))
            feed["T"] = T / T.sum(axis=1, keepdims=True)
            graph.add(CrossEntropy(), graph.input("T"), estimate, name="loss2", weight=weight)
        builder.features.add(f"second objective: {second}")
    for objective in graph.objectives:  # would Graph(fuse=True) fuse it with its activation?
        estimate = graph.predecessors(objective)[1]
        partner = graph.op(objective).fuses_with
        if partner is not None and isinstance(graph.op(estimate), partner):
            fusable = "fusable" if graph.nx.out_degree(estimate) == 1 else "not fusable"
            builder.features.add(f"{type(graph.op(objective)).__name__} {fusable}")
    return graph, feed, builder.features


@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "unfused"])
@given(data=st.data())
def test_random_graph_gradients_agree_with_central_differences(fuse, data):
    graph, feed, features = data.draw(random_dags(fuse), label="dag")
    assert graph.fuse is fuse
    for feature in sorted(features):
        event(feature)
    report = gradcheck(graph, feed, eps=DAG_EPS)
    assert report.passed and report.worst < TOLERANCE, f"\n{report}\nnodes: {graph.nodes}"
    # every parameter and the input X were checked
    checked = {(node, what) for node, what, _ in report.rows}
    assert ("X", "input") in checked
    assert len(checked) == len(graph.parameters()) + 1


def test_the_random_graphs_cover_every_feature():
    """The graph strategy does produce what the property claims to test (checked on a fixed
    sample, independent of the profile)."""
    seen = set()
    sizes = set()

    @given(dag=random_dags())
    def collect(dag):
        graph, _, features = dag
        seen.update(features)
        sizes.add(sum(1 for n in graph.nodes if graph.nx.nodes[n]["kind"] == "layer"))

    settings(max_examples=150, derandomize=True, database=None)(collect)()
    expected = {
        "fc", "tanh", "sigmoid", "linear", "softmax", "add", "add (same node twice)", "concat",
        "fan-out", "second objective: squared-error", "second objective: softmax-cross-entropy",
        "LogLoss fusable", "LogLoss not fusable", "CrossEntropy fusable",
    }
    assert expected <= seen, f"never generated: {sorted(expected - seen)}"
    assert min(sizes) <= 3 and max(sizes) >= 12
