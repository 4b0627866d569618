"""Tests of graphnn.Graph: the seed's chain, gradients of DAGs, build-time errors, names.

1. On the seed's chain (InputLayer -> FullyConnectedLayer(16, 1) -> LogisticSigmoidLayer ->
   LogLoss) and the real Kid Creative data, a ``Graph(fuse=False)`` whose input X requires a
   gradient gives *bitwise* the numbers of the seed's hand-written loop over identical,
   separately built layer objects.
2. On small DAGs (fan-out, residual, concat, one value fed twice, tied weights, two weighted
   objectives, two weighted fused heads) the analytic gradients match central differences in
   float64, checked both with ``graphnn.grading.gradcheck.gradcheck`` and independently with
   ``numerical_gradient``.
3. Backward bookkeeping: idempotent backward, fan-out sums, tuples for multi-input nodes, the
   read-only networkx view.
4. Every build-time and run-time error of the graph: its type and a message naming the culprit.
5. Generated names.
6. What backward computes (issue 7): inputs are constants unless built with
   ``requires_grad=True``, and nothing is computed for them or for the branches only they feed;
   an objective fused with its activation (``Graph(fuse=True)``, the default) sends
   ``Yhat - Y`` straight to the activation's input and computes its own gradient only when
   asked. ``Graph(fuse=False)`` with ``requires_grad=True`` on ``X`` is the seed's loop, bit for
   bit (section 1); the default graph agrees with it to rounding.
"""
import re

import networkx as nx
import numpy as np
import pytest

from graphnn import (
    AddLayer, ConcatLayer, CrossEntropy, FullyConnectedLayer, Graph, GraphError, InputLayer,
    LinearLayer, LogisticSigmoidLayer, LogLoss, Parameter, SoftmaxLayer, SquaredError, TanhLayer,
)
from graphnn.datasets import load_kidcreative
from graphnn.grading.gradcheck import gradcheck, numerical_gradient, relative_error

SEED = 20240917
TOLERANCE = 1e-6  # relative error of analytic against central differences, float64


# ---------------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def kidcreative():
    X, Y = load_kidcreative()
    assert X.shape == (673, 16) and Y.shape == (673, 1)
    return X, Y


def seed_layers(X):
    """The seed's layers, freshly built: equal weights every time (same seed)."""
    return [InputLayer(X), FullyConnectedLayer(16, 1, seed=SEED), LogisticSigmoidLayer()], LogLoss()


def seed_loop(layers, objective, X, Y):
    """The seed's loop, by hand: forward, eval, gradient, backward in reverse.

    Returns ``J``, the output of every layer, and the gradient coming backwards out of the
    objective and then out of each layer in reverse order.
    """
    for layer in layers:
        layer.zero_grad()
    h, outputs = X, []
    for layer in layers:
        h = layer.forward(h)
        outputs.append(h)
    J = objective.eval(Y, h)
    grad = objective.gradient(Y, h)
    grads_out = [grad]
    for layer in reversed(layers):
        grad = layer.backward(grad)
        grads_out.append(grad)
    return J, outputs, grads_out


def seed_graph(X, builder, fuse=False, requires_grad=True):
    """The seed's chain as a Graph. By default as the seed's loop computes it: every module's
    own backward (``fuse=False``) and the gradient all the way back to ``X``."""
    layers, objective = seed_layers(X)
    if builder == "sequential":
        g = Graph.sequential(*layers, objective=objective, requires_grad=requires_grad, fuse=fuse)
    else:
        g = Graph(fuse=fuse)
        x, y = g.input("X", requires_grad=requires_grad), g.input("Y")
        h = g.add(layers[0], x)
        h = g.add(layers[1], h)
        p = g.add(layers[2], h)
        g.add(objective, y, p)
    return g, layers


def randomize(graph, rng):
    """O(1) parameters, so gradients are well scaled for finite differences (in place, so
    shared parameters stay shared)."""
    for parameter in graph.parameters():
        parameter.value[...] = rng.standard_normal(parameter.shape)


# Small DAGs: each builder returns (graph, feed) with O(1) weights and inputs, N in 3..6. The
# input x is built with requires_grad=True: these tests check its gradient too.
def fan_out_graph(rng):
    """``h`` is read by two branches that meet again in an AddLayer."""
    g = Graph()
    x, y = g.input("x", requires_grad=True), g.input("y")
    h = g.add(TanhLayer(), g.add(FullyConnectedLayer(3, 4), x, name="h_fc"), name="h")
    a = g.add(TanhLayer(), g.add(FullyConnectedLayer(4, 2), h, name="a_fc"), name="a")
    b = g.add(LogisticSigmoidLayer(), g.add(FullyConnectedLayer(4, 2), h, name="b_fc"), name="b")
    merged = g.add(AddLayer(), a, b, name="merge")
    out = g.add(FullyConnectedLayer(2, 1), merged, name="out")
    g.add(SquaredError(), y, out, name="loss")
    randomize(g, rng)
    return g, {"x": rng.standard_normal((5, 3)), "y": rng.standard_normal((5, 1))}


def residual_graph(rng):
    """``x -> fc -> tanh -> add(tanh, x)``, then a head."""
    g = Graph()
    x, y = g.input("x", requires_grad=True), g.input("y")
    t = g.add(TanhLayer(), g.add(FullyConnectedLayer(3, 3), x, name="fc"), name="tanh")
    r = g.add(AddLayer(), t, x, name="residual")
    out = g.add(FullyConnectedLayer(3, 2), r, name="out")
    g.add(SquaredError(), y, out, name="loss")
    randomize(g, rng)
    return g, {"x": rng.standard_normal((4, 3)), "y": rng.standard_normal((4, 2))}


def concat_graph(rng):
    """Two branches of different widths, side by side."""
    g = Graph()
    x, y = g.input("x", requires_grad=True), g.input("y")
    a = g.add(TanhLayer(), g.add(FullyConnectedLayer(3, 2), x, name="a_fc"), name="a")
    b = g.add(LogisticSigmoidLayer(), g.add(FullyConnectedLayer(3, 3), x, name="b_fc"), name="b")
    c = g.add(ConcatLayer(), a, b, name="concat")
    out = g.add(FullyConnectedLayer(5, 1), c, name="out")
    g.add(SquaredError(), y, out, name="loss")
    randomize(g, rng)
    return g, {"x": rng.standard_normal((6, 3)), "y": rng.standard_normal((6, 1))}


def twice_graph(rng):
    """``h + h``: one value fills both slots of one AddLayer."""
    g = Graph()
    x, y = g.input("x", requires_grad=True), g.input("y")
    h = g.add(TanhLayer(), g.add(FullyConnectedLayer(2, 3), x, name="fc"), name="h")
    s = g.add(AddLayer(), h, h, name="double")
    out = g.add(FullyConnectedLayer(3, 1), s, name="out")
    g.add(SquaredError(), y, out, name="loss")
    randomize(g, rng)
    return g, {"x": rng.standard_normal((3, 2)), "y": rng.standard_normal((3, 1))}


def tied_graph(rng, tie=True):
    """Two FullyConnectedLayers sharing one weight Parameter (``tie=False``: the same network
    with the weights left untied, each layer holding its own Parameter)."""
    fc1, fc2 = FullyConnectedLayer(3, 3), FullyConnectedLayer(3, 3)
    g = Graph()
    x, y = g.input("x", requires_grad=True), g.input("y")
    h = g.add(TanhLayer(), g.add(fc1, x, name="fc1"), name="t1")
    h = g.add(TanhLayer(), g.add(fc2, h, name="fc2"), name="t2")
    out = g.add(FullyConnectedLayer(3, 1), h, name="out")
    g.add(SquaredError(), y, out, name="loss")
    if tie:
        fc2.weights = fc1.weights
    randomize(g, rng)
    return g, {"x": rng.standard_normal((4, 3)), "y": rng.standard_normal((4, 1))}


def weighted_objectives_graph(rng):
    """Two objectives reading one estimate; the second weighs 0.3."""
    g = Graph()
    x, y, t = g.input("x", requires_grad=True), g.input("y"), g.input("t")
    p = g.add(LogisticSigmoidLayer(), g.add(FullyConnectedLayer(3, 2), x, name="fc"), name="p")
    g.add(SquaredError(), y, p, name="se")
    g.add(LogLoss(), t, p, name="ll", weight=0.3)
    randomize(g, rng)
    feed = {
        "x": rng.standard_normal((5, 3)),
        "y": rng.standard_normal((5, 2)),
        "t": (rng.random((5, 2)) < 0.5).astype(float),
    }
    return g, feed


def fused_heads_graph(rng, fuse=True):
    """Two heads whose objectives fuse with their activations (``Graph(fuse=True)``), with
    weights other than 1: sigmoid -> LogLoss (0.7) and softmax -> CrossEntropy (2.5)."""
    g = Graph(fuse=fuse)
    x, y, t = g.input("x", requires_grad=True), g.input("y"), g.input("t")
    h = g.add(TanhLayer(), g.add(FullyConnectedLayer(3, 4), x, name="fc"), name="h")
    p = g.add(LogisticSigmoidLayer(), g.add(FullyConnectedLayer(4, 2), h, name="p_fc"), name="p")
    q = g.add(SoftmaxLayer(), g.add(FullyConnectedLayer(4, 3), h, name="q_fc"), name="q")
    g.add(LogLoss(), y, p, name="ll", weight=0.7)
    g.add(CrossEntropy(), t, q, name="ce", weight=2.5)
    randomize(g, rng)
    feed = {
        "x": rng.standard_normal((5, 3)),
        "y": (rng.random((5, 2)) < 0.5).astype(float),
        "t": np.eye(3)[rng.integers(0, 3, 5)],
    }
    return g, feed


DAGS = {
    "fan_out": fan_out_graph,
    "residual": residual_graph,
    "concat": concat_graph,
    "fed_twice": twice_graph,
    "tied_weights": tied_graph,
    "weighted_objectives": weighted_objectives_graph,
    "fused_weighted_heads": fused_heads_graph,
}


# ------------------------------------------------------------ 1. the seed's chain, bitwise
@pytest.mark.parametrize("builder", ["sequential", "add"])
def test_graph_matches_the_seed_loop_bitwise(kidcreative, builder):
    X, Y = kidcreative
    g, graph_layers = seed_graph(X, builder)
    hand_layers, hand_objective = seed_layers(X)
    assert graph_layers[1] is not hand_layers[1]
    assert np.array_equal(graph_layers[1].getWeights(), hand_layers[1].getWeights())
    assert np.array_equal(graph_layers[1].getBiases(), hand_layers[1].getBiases())

    J_hand, outputs, grads_out = seed_loop(hand_layers, hand_objective, X, Y)
    J = g.forward(X=X, Y=Y)
    g.backward()

    assert g.nodes == ["X", "Y", "input1", "fc1", "sigmoid1", "logloss1"]
    assert type(J) is float and J == J_hand
    assert g.value("logloss1") == J_hand
    assert np.array_equal(g.value("X"), X)
    for name, expected in zip(["input1", "fc1", "sigmoid1"], outputs):
        assert np.array_equal(g.value(name), expected), name
    # The gradient coming backwards out of each module (the seed's Part 3).
    for name, expected in zip(["logloss1", "sigmoid1", "fc1", "input1"], grads_out):
        assert np.array_equal(g.grad_out(name), expected), name
    fc_graph, fc_hand = graph_layers[1], hand_layers[1]
    assert np.array_equal(fc_graph.weights.grad, fc_hand.weights.grad)
    assert np.array_equal(fc_graph.biases.grad, fc_hand.biases.grad)
    assert np.any(fc_graph.weights.grad != 0)
    # Gradients on nodes are the ones on their out-edges (a chain: one edge each).
    assert np.array_equal(g.grad("sigmoid1"), grads_out[0])
    assert np.array_equal(g.edge_grad("fc1", "sigmoid1"), grads_out[1])
    assert np.array_equal(g.grad("X"), grads_out[3])
    assert g.last_pass.edge_grad("Y", "logloss1", 0) is None  # targets are constants of the loss
    with pytest.raises(GraphError, match=r"slot 0 of objective 'logloss1' is its target, a constant"):
        g.edge_grad("Y", "logloss1", 0)


def test_seed_chain_again_after_a_parameter_update(kidcreative):
    """A second pass (after a gradient step, as in training) still agrees bitwise."""
    X, Y = kidcreative
    g, graph_layers = seed_graph(X, "sequential")
    hand_layers, hand_objective = seed_layers(X)
    for _ in range(3):
        g.forward(X=X, Y=Y)
        g.backward()
        seed_loop(hand_layers, hand_objective, X, Y)
        for fc in (graph_layers[1], hand_layers[1]):
            for parameter in fc.parameters():
                parameter.value = parameter.value - 0.1 * parameter.grad
    J_hand, outputs, grads_out = seed_loop(hand_layers, hand_objective, X, Y)
    assert g.forward(X=X, Y=Y) == J_hand
    g.backward()
    assert np.array_equal(g.value("sigmoid1"), outputs[2])
    assert np.array_equal(g.grad_out("fc1"), grads_out[2])
    assert np.array_equal(graph_layers[1].weights.grad, hand_layers[1].weights.grad)


# ------------------------------------------------------ 2. gradients against differences
def test_numerical_gradient_itself_on_a_known_function():
    """The reference is right before anything is checked against it: d/dx sum(x^3) = 3 x^2."""
    x = np.random.default_rng(SEED).standard_normal((3, 4))
    numeric = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    assert relative_error(3 * x ** 2, numeric) < 1e-9
    assert relative_error(3 * x ** 2, 3 * x ** 2 + 1e-3) > 1e-5  # and it does see a mistake


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.arange(3.0)
    calls = []

    def f():
        calls.append(None)
        if len(calls) == 2:  # while x[0] is perturbed by -eps
            raise RuntimeError("boom")
        return float(x.sum())

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, np.arange(3.0))


@pytest.mark.parametrize("name", DAGS)
def test_gradcheck_passes_on_dags(name):
    g, feed = DAGS[name](np.random.default_rng(SEED))
    report = gradcheck(g, feed)
    assert report.passed, str(report)
    assert report.worst < TOLERANCE
    checked = {node for node, _, _ in report.rows}
    assert "x" in checked  # the input gradient was checked, not only parameters
    assert any(what == "weights" for _, what, _ in report.rows)


@pytest.mark.parametrize("name", DAGS)
def test_gradients_match_numerical_differences_independently(name):
    """The same claim without gradcheck: every parameter and the input, one by one."""
    g, feed = DAGS[name](np.random.default_rng(SEED))
    g.forward(feed)
    g.backward()
    analytic = [(p, p.grad.copy()) for p in g.parameters()]
    grad_x = g.grad("x") / feed["x"].shape[0]  # grad() is per observation: N dJ/dx

    def J():
        return g.forward(feed)

    for parameter, grad in analytic:
        numeric = numerical_gradient(J, parameter.value)
        assert relative_error(grad, numeric) < TOLERANCE, parameter
    assert relative_error(grad_x, numerical_gradient(J, feed["x"])) < TOLERANCE


def test_weighted_objectives_forward_returns_the_weighted_sum():
    g, feed = weighted_objectives_graph(np.random.default_rng(SEED))
    J = g.forward(feed)
    p = g.value("p")
    se, ll = SquaredError().eval(feed["y"], p), LogLoss().eval(feed["t"], p)
    assert g.value("se") == se and g.value("ll") == ll
    assert J == pytest.approx(se + 0.3 * ll, rel=1e-15)
    g.backward()
    # Gradient into p: the first objective's as is, the second's times 0.3.
    assert np.allclose(g.grad_out("ll"), 0.3 * LogLoss().gradient(feed["t"], p), rtol=1e-14, atol=0)
    assert np.allclose(
        g.grad("p"), SquaredError().gradient(feed["y"], p) + 0.3 * LogLoss().gradient(feed["t"], p),
        rtol=1e-14, atol=0,
    )


def test_tied_weights_receive_the_sum_of_both_uses():
    g, feed = tied_graph(np.random.default_rng(SEED))
    fc1, fc2 = g.op("fc1"), g.op("fc2")
    assert fc1.weights is fc2.weights and fc1.biases is not fc2.biases
    params = g.parameters()
    assert sum(p is fc1.weights for p in params) == 1  # listed once
    assert len(params) == 5  # shared weights, two biases, the head's weights and biases
    g.forward(feed)
    g.backward()
    shared = fc1.weights.grad.copy()

    # (a) Each use's contribution from its own input and output gradient: X^T G / N.
    n = feed["x"].shape[0]
    use1 = g.value("x").T @ g.grad("fc1") / n
    use2 = g.value("t1").T @ g.grad("fc2") / n
    assert np.allclose(shared, use1 + use2, rtol=1e-12, atol=1e-15)
    assert not np.allclose(use1, 0) and not np.allclose(use2, 0)

    # (b) The same network untied (equal copies of the weights): by central differences on
    # each copy separately, then summed.
    untied, _ = tied_graph(np.random.default_rng(SEED + 1), tie=False)
    u1, u2 = untied.op("fc1"), untied.op("fc2")
    assert u1.weights is not u2.weights
    for node in ("fc1", "fc2", "out"):
        for mine, theirs in zip(untied.op(node).parameters(), g.op(node).parameters()):
            mine.value[...] = theirs.value
    assert np.array_equal(u1.weights.value, u2.weights.value)
    assert untied.forward(feed) == g.forward(feed)

    def J():
        return untied.forward(feed)

    numeric1 = numerical_gradient(J, u1.weights.value)
    numeric2 = numerical_gradient(J, u2.weights.value)
    assert relative_error(use1, numeric1) < TOLERANCE
    assert relative_error(use2, numeric2) < TOLERANCE
    assert relative_error(shared, numeric1 + numeric2) < TOLERANCE
    untied.forward(feed)
    untied.backward()
    assert np.allclose(shared, u1.weights.grad + u2.weights.grad, rtol=1e-12, atol=1e-15)


def test_parameters_replaced_after_a_pass_are_zeroed_and_tied():
    """Tying (or replacing a Parameter) after the graph has run: backward sees the new objects."""
    g, feed = tied_graph(np.random.default_rng(SEED), tie=False)
    g.forward(feed)
    g.backward()
    fc1, fc2 = g.op("fc1"), g.op("fc2")
    fc2.weights = fc1.weights
    head = g.op("out")
    head.biases = Parameter(head.biases.value.copy(), "biases")
    head.biases.grad[...] = 1e3  # stale garbage that backward must clear
    assert sum(p is fc1.weights for p in g.parameters()) == 1
    assert any(p is head.biases for p in g.parameters())
    report = gradcheck(g, feed)
    assert report.passed, str(report)
    n = feed["x"].shape[0]
    expected = g.value("x").T @ g.grad("fc1") / n + g.value("t1").T @ g.grad("fc2") / n
    assert np.allclose(fc1.weights.grad, expected, rtol=1e-12, atol=1e-15)
    assert np.allclose(head.biases.grad, g.grad("out").mean(axis=0, keepdims=True), rtol=1e-12, atol=0)


# ------------------------------------------------------------- 3. backward bookkeeping
@pytest.mark.parametrize("name", ["tied_weights", "fan_out", "fed_twice"])
def test_backward_twice_gives_the_same_gradients(name):
    g, feed = DAGS[name](np.random.default_rng(SEED))
    g.forward(feed)
    g.backward()
    first = [p.grad.copy() for p in g.parameters()]
    first_x = g.grad("x").copy()
    g.backward()
    for p, before in zip(g.parameters(), first):
        assert np.array_equal(p.grad, before), p
    assert np.array_equal(g.grad("x"), first_x)


@pytest.mark.parametrize("fuse, requires_grad", [(False, True), (True, False)], ids=["seed-loop", "default"])
def test_backward_twice_on_the_seed_chain(kidcreative, fuse, requires_grad):
    X, Y = kidcreative
    g, layers = seed_graph(X, "sequential", fuse=fuse, requires_grad=requires_grad)
    g.forward(X=X, Y=Y)
    g.backward()
    weights, biases = layers[1].weights.grad.copy(), layers[1].biases.grad.copy()
    g.backward()
    assert np.array_equal(layers[1].weights.grad, weights)
    assert np.array_equal(layers[1].biases.grad, biases)


def test_fan_out_gradient_is_the_sum_of_its_edges():
    g, feed = fan_out_graph(np.random.default_rng(SEED))
    g.forward(feed)
    g.backward()
    to_a, to_b = g.edge_grad("h", "a_fc"), g.edge_grad("h", "b_fc")
    assert to_a.shape == to_b.shape == (5, 4)
    assert np.array_equal(g.grad("h"), to_a + to_b)
    assert np.array_equal(to_a, g.grad_out("a_fc")) and np.array_equal(to_b, g.grad_out("b_fc"))
    # The input x also fans out in the residual block: through fc and straight into the sum.
    g, feed = residual_graph(np.random.default_rng(SEED))
    g.forward(feed)
    g.backward()
    assert np.array_equal(g.grad("x"), g.edge_grad("x", "fc") + g.edge_grad("x", "residual", 1))
    assert np.array_equal(g.edge_grad("x", "residual", 1), g.grad("residual"))


def test_value_fed_twice_gets_both_edges():
    g, feed = twice_graph(np.random.default_rng(SEED))
    g.forward(feed)
    assert np.array_equal(g.value("double"), 2 * g.value("h"))
    g.backward()
    slot0, slot1 = g.edge_grad("h", "double", 0), g.edge_grad("h", "double", 1)
    assert np.array_equal(slot0, g.grad("double")) and np.array_equal(slot1, g.grad("double"))
    assert np.array_equal(g.grad("h"), 2 * g.grad("double"))
    assert g.predecessors("double") == ["h", "h"]


def test_grad_out_of_a_multi_input_node_is_a_tuple():
    g, feed = concat_graph(np.random.default_rng(SEED))
    g.forward(feed)
    g.backward()
    out = g.grad_out("concat")
    assert isinstance(out, tuple) and len(out) == 2
    assert out[0].shape == (6, 2) and out[1].shape == (6, 3)
    assert np.array_equal(np.hstack(out), g.grad("concat"))
    g, feed = fan_out_graph(np.random.default_rng(SEED))
    g.forward(feed)
    g.backward()
    merged = g.grad_out("merge")
    assert isinstance(merged, tuple) and len(merged) == 2
    # One-input layers and objectives give a plain array.
    assert isinstance(g.grad_out("out"), np.ndarray)
    assert isinstance(g.grad_out("loss"), np.ndarray)


def test_nx_view_has_parallel_edges_and_is_read_only():
    g, _ = twice_graph(np.random.default_rng(SEED))
    view = g.nx
    assert isinstance(view, nx.MultiDiGraph)
    assert view.number_of_edges("h", "double") == 2
    assert sorted(key for _, _, key in view.edges("h", keys=True)) == [0, 1]
    assert view.nodes["double"]["kind"] == "layer"
    assert view.nodes["loss"]["op"] is g.op("loss")
    with pytest.raises(nx.NetworkXError):
        view.add_node("intruder")
    with pytest.raises(nx.NetworkXError):
        view.add_edge("x", "loss", key=5)
    with pytest.raises(nx.NetworkXError):
        view.remove_node("h")
    assert "intruder" not in g.nx and g.nx.number_of_edges("h", "double") == 2


def test_a_node_that_does_not_reach_the_objective():
    """``x`` requires a gradient, so ``dead_end`` (reading it) would carry one, but no path
    leads from it to J: its gradient is zero and nothing flows out of it."""
    g = Graph()
    x, y = g.input("x", requires_grad=True), g.input("y")
    g.add(TanhLayer(), x, name="dead_end")
    g.add(SquaredError(), y, x, name="loss")
    feed = {"x": np.ones((2, 2)), "y": np.zeros((2, 2))}
    g.forward(feed)
    g.backward()
    assert g.requires_grad("dead_end")
    assert np.array_equal(g.grad("dead_end"), np.zeros((2, 2)))
    with pytest.raises(GraphError, match="'dead_end' does not reach any objective"):
        g.grad_out("dead_end")
    assert g.last_pass.edge_grad("x", "dead_end") is None
    with pytest.raises(GraphError, match=r"'x' -> 'dead_end' \(slot 0\): node 'dead_end' does not reach any objective"):
        g.edge_grad("x", "dead_end")
    # x's gradient is the loss's alone: 2 (x - y) per observation.
    assert np.array_equal(g.grad("x"), 2 * feed["x"])


def test_a_branch_fed_only_by_a_constant_input_gets_no_gradient():
    """The same graph with ``x`` left constant (the default): nothing is differentiated, and
    asking for a gradient explains why, instead of returning zeros that look computed."""
    g = Graph()
    x, y = g.input("x"), g.input("y")
    g.add(TanhLayer(), x, name="dead_end")
    g.add(SquaredError(), y, g.add(TanhLayer(), x, name="t"), name="loss")
    feed = {"x": np.ones((2, 2)), "y": np.zeros((2, 2))}
    g.forward(feed)
    g.backward()  # an objective on constants only: nothing to do, and no error
    assert not any(g.requires_grad(n) for n in ("x", "y", "dead_end", "t"))
    for name in ("dead_end", "t"):
        with pytest.raises(GraphError, match=f"gradient of node '{name}' was not computed.*requires_grad"):
            g.grad(name)
        with pytest.raises(GraphError, match=f"out of node '{name}' was not computed.*requires_grad"):
            g.grad_out(name)
    with pytest.raises(GraphError, match="input 'x' is a constant.*g.input\\('x', requires_grad=True\\)"):
        g.grad("x")
    with pytest.raises(GraphError, match="'loss' was not computed.*requires_grad"):
        g.grad_out("loss")
    for edge in (("x", "dead_end", 0), ("x", "t", 0), ("t", "loss", 1), ("y", "loss", 0)):
        assert g.last_pass.edge_grad(*edge) is None, edge
    with pytest.raises(GraphError, match=r"along edge 'x' -> 't' \(slot 0\): input 'x' is a constant"):
        g.edge_grad("x", "t")
    with pytest.raises(GraphError, match=r"gradient along edge 't' -> 'loss' \(slot 1\) was not computed.*'x'"):
        g.edge_grad("t", "loss", 1)


# -------------------------------------------------------------------- 4. errors, named
def test_graph_error_is_a_value_error():
    assert issubclass(GraphError, ValueError)


def test_cycle_through_connect_names_the_nodes_on_it():
    g = Graph()
    x = g.input("x")
    a = g.add(AddLayer(), x, name="a")  # slot 1 left for connect
    b = g.add(TanhLayer(), a, name="b")
    c = g.add(LinearLayer(), b, name="c")
    with pytest.raises(GraphError, match=re.escape("'c' -> 'a' would close a cycle: a -> b -> c -> a")):
        g.connect(c, a, 1)
    with pytest.raises(GraphError, match="cycle: a -> a"):
        g.connect(a, a, 1)
    # The graph is unchanged and still acyclic; the slot can then be filled properly.
    assert nx.is_directed_acyclic_graph(g.nx)
    g.connect(x, a, 1)
    g.forward(x=np.ones((2, 3)))
    assert np.array_equal(g.value("c"), np.tanh(2 * np.ones((2, 3))))


def test_unknown_input_in_add_is_named():
    g = Graph()
    g.input("x")
    with pytest.raises(GraphError, match="'tanh1' reads 'nope', which is not in the graph"):
        g.add(TanhLayer(), "nope")
    assert "tanh1" not in g.nx  # nothing was added
    with pytest.raises(GraphError, match="connect: unknown node 'ghost'"):
        g.connect("x", "ghost", 0)


def test_slot_filled_twice_via_connect_names_slot_and_node():
    g = Graph()
    x, z = g.input("x"), g.input("z")
    a = g.add(AddLayer(), x, name="a")
    with pytest.raises(GraphError, match="slot 0 of node 'a' is already filled by 'x'"):
        g.connect(z, a, 0)
    g.connect(z, a, 1)
    with pytest.raises(GraphError, match="slot 1 of node 'a' is already filled by 'z'"):
        g.connect(x, a, 1)
    with pytest.raises(GraphError, match=re.escape("node 'a' has input slots 0..1, got slot 2")):
        g.connect(x, a, 2)


def test_slot_left_empty_fails_at_first_forward():
    g = Graph()
    x = g.input("x")
    g.add(AddLayer(3), x, name="sum3")
    with pytest.raises(GraphError, match=re.escape("node 'sum3' (AddLayer 3 inputs) has input slot(s) 1, 2 left empty")):
        g.forward(x=np.ones((2, 2)))
    g2 = Graph()
    g2.add(LogLoss(), name="loss")  # an objective with neither target nor estimate
    with pytest.raises(GraphError, match="'loss' .*slot\\(s\\) 0, 1 left empty"):
        g2.forward()


def test_one_layer_object_at_two_nodes_names_the_first():
    g = Graph()
    x = g.input("x")
    fc = FullyConnectedLayer(2, 2)
    g.add(fc, x, name="first")
    with pytest.raises(GraphError, match="FullyConnectedLayer 2->2 is already node 'first'"):
        g.add(fc, "first", name="second")
    loss = SquaredError()
    g.add(loss, x, "first", name="loss")
    with pytest.raises(GraphError, match="SquaredError is already node 'loss'"):
        g.add(loss, x, "first")


def test_an_objective_cannot_feed_another_node():
    g = Graph()
    x, y = g.input("x"), g.input("y")
    g.add(SquaredError(), y, x, name="loss")
    with pytest.raises(GraphError, match="node 'tanh1' reads objective 'loss'"):
        g.add(TanhLayer(), "loss")
    a = g.add(AddLayer(), x, name="a")
    with pytest.raises(GraphError, match="node 'a' reads objective 'loss'"):
        g.connect("loss", a, 1)


def test_duplicate_node_names():
    g = Graph()
    x = g.input("x")
    with pytest.raises(GraphError, match="node name 'x' is already used"):
        g.input("x")
    g.add(TanhLayer(), x, name="h")
    with pytest.raises(GraphError, match="node name 'h' is already used"):
        g.add(TanhLayer(), x, name="h")
    with pytest.raises(GraphError, match="node name 'h' is already used"):
        g.input("h")


@pytest.mark.parametrize("bad", ["", "1st", "a b", "fc/1", "x=y", 3, None, ("a",),
                                 "fc\n", "X2\n", "a\nb"])  # a newline, even at the end (issue 29)
def test_bad_names(bad):
    g = Graph()
    with pytest.raises(GraphError, match=re.escape(f"node name {bad!r} must be a string")):
        g.input(bad)
    x = g.input("x")
    if bad is not None:  # name=None means "generate one"
        with pytest.raises(GraphError, match=re.escape(f"node name {bad!r}")):
            g.add(TanhLayer(), x, name=bad)


@pytest.mark.parametrize("reserved", ["feed", "outputs", "check_finite"])
def test_input_names_reserved_by_forward(reserved):
    with pytest.raises(GraphError, match=f"input name '{reserved}' is reserved"):
        Graph().input(reserved)


def test_too_many_inputs():
    g = Graph()
    x, z = g.input("x"), g.input("z")
    with pytest.raises(GraphError, match=re.escape("node 'tanh1' (TanhLayer) takes 1 input(s), got 2: 'x', 'z'")):
        g.add(TanhLayer(), x, z)
    with pytest.raises(GraphError, match=re.escape("node 'loss' (LogLoss) takes 2 input(s), got 3")):
        g.add(LogLoss(), x, z, x, name="loss")


def test_add_refuses_what_is_not_a_layer_and_misplaced_weights():
    g = Graph()
    x = g.input("x")
    with pytest.raises(GraphError, match="add\\(\\) takes a Layer or an Objective, got function"):
        g.add(lambda h: h, x)
    with pytest.raises(GraphError, match="node 'tanh1': only objectives take a weight"):
        g.add(TanhLayer(), x, weight=0.5)
    with pytest.raises(GraphError, match="node 'loss': objective weight must be finite, got nan"):
        g.add(SquaredError(), x, x, name="loss", weight=float("nan"))


def test_forward_with_a_missing_feed_names_the_input(kidcreative):
    X, Y = kidcreative
    g, _ = seed_graph(X, "add")
    with pytest.raises(GraphError, match="no value fed for input 'Y'"):
        g.forward(X=X)
    with pytest.raises(GraphError, match="no value fed for input 'X'"):
        g.forward({"Y": Y})


def test_forward_with_an_unknown_feed_name(kidcreative):
    X, Y = kidcreative
    g, _ = seed_graph(X, "add")
    with pytest.raises(GraphError, match="'Z' is not an input of the graph; inputs: \\['X', 'Y'\\]"):
        g.forward(X=X, Y=Y, Z=X)
    with pytest.raises(GraphError, match="'fc1' is not an input of the graph"):
        g.forward({"X": X, "Y": Y, "fc1": Y})


def test_forward_with_a_shape_mismatch_names_node_layer_and_shapes(kidcreative):
    X, Y = kidcreative
    g = Graph.sequential(FullyConnectedLayer(16, 1, seed=SEED), LogisticSigmoidLayer(), objective=LogLoss())
    with pytest.raises(GraphError) as caught:
        g.forward(X=X[:, :15], Y=Y)
    message = str(caught.value)
    for part in ["'fc1'", "FullyConnectedLayer 16->1", "673 x 15", "16 columns"]:
        assert part in message, message
    # Targets shaped unlike the estimates: the objective's node and both shapes.
    with pytest.raises(GraphError) as caught:
        g.forward(X=X, Y=Y[:600])
    message = str(caught.value)
    for part in ["'logloss1'", "LogLoss", "600 x 1", "673 x 1"]:
        assert part in message, message
    # Through the InputLayer first: that node complains.
    g, _ = seed_graph(X, "sequential")
    with pytest.raises(GraphError, match=re.escape("node 'input1' (InputLayer 16) reading [X 673 x 15]")):
        g.forward(X=X[:, :15], Y=Y)


def test_backward_before_forward():
    g, feed = residual_graph(np.random.default_rng(SEED))
    with pytest.raises(GraphError, match="backward: call forward first"):
        g.backward()
    g.forward(feed)
    g.add(TanhLayer(), "out", name="extra")  # changing the graph forgets the pass
    with pytest.raises(GraphError, match="backward: call forward first"):
        g.backward()


def test_backward_after_a_failed_forward_refuses_stale_values(kidcreative):
    """A forward that fails half-way has already changed some layers' state: the values of
    the pass before must not be mixed with it."""
    X, Y = kidcreative
    g, _ = seed_graph(X, "sequential")
    g.forward(X=X, Y=Y)
    with pytest.raises(GraphError, match="'logloss1'.*must lie in \\[0, 1\\]"):
        g.forward(X=X[::-1], Y=3 * Y)  # fc1 and sigmoid1 ran on the new X, then the loss failed
    with pytest.raises(GraphError, match="backward: call forward first"):
        g.backward()
    with pytest.raises(GraphError, match="'fc1' has no value yet"):
        g.value("fc1")


def test_backward_without_an_objective():
    g = Graph()
    g.add(TanhLayer(), g.input("x"))
    assert g.forward(x=np.ones((1, 2))) is None
    with pytest.raises(GraphError, match="no objective"):
        g.backward()


def test_grad_and_value_of_unknown_nodes_and_before_the_passes():
    g, feed = residual_graph(np.random.default_rng(SEED))
    with pytest.raises(GraphError, match="'fc' has no value yet: call forward first"):
        g.value("fc")
    with pytest.raises(GraphError, match="no gradients for 'fc' yet"):
        g.grad("fc")
    g.forward(feed)
    with pytest.raises(GraphError, match="no gradients for 'fc' yet: call forward, then backward"):
        g.grad_out("fc")
    g.backward()
    for method in (g.grad, g.grad_out, g.value, g.op, g.predecessors):
        with pytest.raises(GraphError, match="unknown node 'nope'"):
            method("nope")
    with pytest.raises(GraphError, match="'loss' is an objective"):
        g.grad("loss")
    with pytest.raises(GraphError, match="'x' is an input"):
        g.grad_out("x")
    with pytest.raises(GraphError, match="no edge 'x' -> 'out' into slot 0"):
        g.edge_grad("x", "out")


def test_check_finite_names_the_node():
    g = Graph()
    x = g.input("x")
    h = g.add(LinearLayer(), g.add(LinearLayer(), x, name="lin_a"), name="lin_b")
    bad = np.ones((3, 2))
    bad[1, 0] = np.nan
    # Without the check, NaN flows through silently ...
    g.forward(x=bad)
    assert np.isnan(g.value(h)[1, 0])
    # ... with it, the first node holding it is named.
    with pytest.raises(FloatingPointError, match=re.escape("node 'x' (input): output 3 x 2 holds 1 NaN or inf")):
        g.forward(x=bad, check_finite=True)
    # Non-finite values arising inside the graph: the layer that produced them.
    g = Graph()
    fc = FullyConnectedLayer(2, 1)
    g.add(LinearLayer(), g.add(fc, g.input("x"), name="fc"), name="lin")
    fc.weights.value[...] = np.inf
    with pytest.raises(FloatingPointError, match=re.escape("node 'fc' (FullyConnectedLayer 2->1): output 3 x 1 holds 3 NaN or inf")):
        g.forward(x=np.ones((3, 2)), check_finite=True)
    fc.weights.value[...] = 1.0
    assert g.forward(x=np.ones((3, 2)), check_finite=True) is None  # finite again: no error


def test_check_finite_in_backward_names_the_edge():
    g = Graph()
    x, y = g.input("x"), g.input("y")
    fc = FullyConnectedLayer(2, 1)
    g.add(SquaredError(), y, g.add(fc, x, name="fc"), name="loss")
    feed = {"x": np.ones((3, 2)), "y": np.zeros((3, 1))}
    g.forward(feed)
    fc.weights.value[...] = np.inf  # only backward reads it now: dJ/dx = G W^T
    # x is a constant: backward computes no G W^T, reads no weight, and finds nothing wrong.
    g.backward(check_finite=True)
    assert np.isfinite(fc.weights.grad).all()
    g.set_requires_grad("x")
    fc.weights.value[...] = 1.0
    g.forward(feed)
    fc.weights.value[...] = np.inf
    with pytest.raises(FloatingPointError, match="node 'fc -> x' \\(FullyConnectedLayer 2->1\\): gradient"):
        g.backward(check_finite=True)


# ----------------------------------------------------------------------- 5. generated names
def test_generated_names():
    g = Graph()
    x, y = g.input("X"), g.input("Y")
    h1 = g.add(FullyConnectedLayer(16, 4), x)
    t = g.add(TanhLayer(), h1)
    h2 = g.add(FullyConnectedLayer(4, 1), t)
    p = g.add(LogisticSigmoidLayer(), h2)
    loss = g.add(LogLoss(), y, p)
    assert (h1, t, h2, p, loss) == ("fc1", "tanh1", "fc2", "sigmoid1", "logloss1")
    assert g.add(InputLayer(np.ones((2, 2))), x) == "input1"
    assert g.add(AddLayer(), t, t) == "add1"
    assert g.add(ConcatLayer(), t, t) == "concat1"
    assert g.add(SquaredError(), y, h2) == "squarederror1"
    assert g.objectives == ["logloss1", "squarederror1"]


def test_generated_names_skip_names_taken_by_the_user():
    g = Graph()
    x = g.input("x")
    g.add(FullyConnectedLayer(2, 2), x, name="fc2")
    assert g.add(FullyConnectedLayer(2, 2), x) == "fc1"
    assert g.add(FullyConnectedLayer(2, 2), x) == "fc3"
    assert g.add(FullyConnectedLayer(2, 2), x) == "fc4"


def test_sequential_names_and_parameters(kidcreative):
    X, _ = kidcreative
    g, layers = seed_graph(X, "sequential")
    assert g.inputs == ["X", "Y"] and g.objectives == ["logloss1"]
    assert g.predecessors("logloss1") == ["Y", "sigmoid1"]
    assert g.op("fc1") is layers[1] and g.op("X") is None
    assert g.parameters() == [layers[1].weights, layers[1].biases]
    assert all(isinstance(p, Parameter) for p in g.parameters())


# ------------------------------------------------------- 6. what backward computes (issue 7)
def counting(monkeypatch, owner, method):
    """Replace ``owner.method`` (on an instance, or on a class) by a spy that records each
    call and then calls the original; returns the list of calls."""
    calls = []
    original = getattr(owner, method)

    def spy(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, method, spy)
    return calls


def test_a_constant_input_prunes_its_gradients_and_changes_nothing_else(kidcreative, monkeypatch):
    """The seed's chain with X a constant (the default): the InputLayer never runs backward,
    the fully connected layer runs only its parameter part (no G W^T), and every other number
    is bit for bit that of the same chain with ``requires_grad=True`` on X."""
    X, Y = kidcreative
    const, const_layers = seed_graph(X, "add", requires_grad=False)
    full, full_layers = seed_graph(X, "add", requires_grad=True)
    calls = {
        label: {
            "input backward": counting(monkeypatch, layers[0], "backward"),
            "fc backward": counting(monkeypatch, layers[1], "backward"),
            "fc backward_parameters": counting(monkeypatch, layers[1], "backward_parameters"),
        }
        for label, layers in (("const", const_layers), ("full", full_layers))
    }
    assert const.forward(X=X, Y=Y) == full.forward(X=X, Y=Y)
    const.backward()
    full.backward()
    counts = {label: {k: len(v) for k, v in spied.items()} for label, spied in calls.items()}
    assert counts["const"] == {"input backward": 0, "fc backward": 0, "fc backward_parameters": 1}
    # (backward computes the parameter part itself: it does not go through the public,
    # checked backward_parameters)
    assert counts["full"] == {"input backward": 1, "fc backward": 1, "fc backward_parameters": 0}

    expected = {"X": False, "Y": False, "input1": False, "fc1": True, "sigmoid1": True}
    assert {n: const.requires_grad(n) for n in expected} == expected
    assert full.requires_grad("X") and full.requires_grad("input1") and not full.requires_grad("Y")

    # Nothing flows into the constant branch, and asking for it says why.
    assert const.last_pass.edge_grad("X", "input1") is None and const.last_pass.edge_grad("input1", "fc1") is None
    with pytest.raises(GraphError, match="input 'X' is a constant.*requires_grad=True"):
        const.edge_grad("X", "input1")
    assert full.edge_grad("X", "input1") is not None and full.edge_grad("input1", "fc1") is not None
    for name in ("fc1", "input1"):
        with pytest.raises(GraphError, match=f"out of node '{name}' was not computed.*requires_grad=True"):
            const.grad_out(name)
    with pytest.raises(GraphError, match="gradient of node 'input1' was not computed.*'X' with requires_grad"):
        const.grad("input1")
    with pytest.raises(GraphError, match="input 'X' is a constant.*set_requires_grad\\('X'\\)"):
        const.grad("X")

    # Everything that is computed is the same, bit for bit.
    fc_const, fc_full = const_layers[1], full_layers[1]
    assert np.any(fc_const.weights.grad != 0)
    assert np.array_equal(fc_const.weights.grad, fc_full.weights.grad)
    assert np.array_equal(fc_const.biases.grad, fc_full.biases.grad)
    for name in ("logloss1", "sigmoid1"):
        assert np.array_equal(const.grad_out(name), full.grad_out(name)), name
    for name in ("fc1", "sigmoid1"):
        assert np.array_equal(const.grad(name), full.grad(name)), name

    # Switching the input to requires_grad afterwards gives the full chain's numbers.
    const.set_requires_grad("X")
    const.forward(X=X, Y=Y)
    const.backward()
    assert len(calls["const"]["input backward"]) == 1
    assert np.array_equal(const.grad_out("fc1"), full.grad_out("fc1"))
    assert np.array_equal(const.grad("X"), full.grad("X"))


def test_requires_grad_is_reported_for_every_node_and_set_on_inputs_only():
    g = Graph()
    x, y, c = g.input("x"), g.input("y"), g.input("c", requires_grad=True)
    g.add(TanhLayer(), x, name="t_const")  # reads a constant only
    g.add(TanhLayer(), c, name="t_c")  # reads an input that requires a gradient
    g.add(FullyConnectedLayer(2, 2), "t_const", name="fc")  # has parameters
    g.add(TanhLayer(), "fc", name="after_fc")  # downstream of parameters
    g.add(AddLayer(), "after_fc", "t_c", name="sum")
    g.add(SquaredError(), y, "sum", name="loss")
    expected = {"x": False, "y": False, "c": True, "t_const": False, "t_c": True, "fc": True,
                "after_fc": True, "sum": True}
    assert {n: g.requires_grad(n) for n in expected} == expected
    g.set_requires_grad("x")
    assert g.requires_grad("x") and g.requires_grad("t_const")
    g.set_requires_grad("x", False)
    assert not g.requires_grad("x") and not g.requires_grad("t_const")
    g.set_requires_grad("c", False)
    assert not g.requires_grad("t_c") and g.requires_grad("sum")  # sum still reads fc's branch
    for node in ("fc", "t_c", "loss"):
        with pytest.raises(GraphError, match=re.escape(
                f"set_requires_grad: node '{node}' is not an input; inputs: ['x', 'y', 'c']")):
            g.set_requires_grad(node)
    for method in (g.set_requires_grad, g.requires_grad):
        with pytest.raises(GraphError, match="unknown node 'nope'"):
            method("nope")


def test_a_constant_source_of_a_trained_layer_carries_no_gradient():
    """``t`` reads only the constant ``x``, but feeds two layers whose other input trains:
    they compute a gradient for ``t``'s slot along with the other, and it is not reported,
    so that edges agree with ``grad`` (which refuses ``t``) and with the drawing."""
    def build(requires_grad):
        g = Graph()
        x, y = g.input("x", requires_grad=requires_grad), g.input("y")
        t = g.add(TanhLayer(), x, name="t")
        fc = g.add(FullyConnectedLayer(2, 2, seed=SEED), x, name="fc")
        g.add(AddLayer(), t, fc, name="add")
        g.add(ConcatLayer(), t, "add", name="cat")
        g.add(SquaredError(), y, "cat", name="loss")
        g.forward(x=np.arange(6.0).reshape(3, 2) / 6, y=np.ones((3, 4)))
        g.backward()
        return g

    const, full = build(False), build(True)
    assert not const.requires_grad("t") and const.requires_grad("add")
    assert const.last_pass.edge_grad("t", "add", 0) is None and const.last_pass.edge_grad("t", "cat", 0) is None
    assert const.grad_out("add")[0] is None and const.grad_out("cat")[0] is None
    with pytest.raises(GraphError, match="gradient of node 't' was not computed"):
        const.grad("t")
    for edge in (("fc", "add", 1), ("add", "cat", 1)):
        assert np.array_equal(const.edge_grad(*edge), full.edge_grad(*edge)), edge
    for p, q in zip(const.parameters(), full.parameters()):
        assert np.array_equal(p.grad, q.grad)
    # With x requiring a gradient, t carries one along both edges.
    assert np.array_equal(full.grad("t"), full.edge_grad("t", "add", 0) + full.edge_grad("t", "cat", 0))


def test_a_fused_activation_in_a_constant_branch_says_it_has_no_gradient():
    """A sigmoid reading the constant ``x`` directly, fused with its LogLoss: there is nothing
    to differentiate on that branch, and asking says so (a GraphError, not a crash)."""
    g = Graph()
    x, y, t = g.input("x"), g.input("y"), g.input("t")
    g.add(LogisticSigmoidLayer(), x, name="p")
    g.add(LogLoss(), y, "p", name="ll")
    g.add(SquaredError(), t, g.add(FullyConnectedLayer(2, 2, seed=SEED), x, name="fc"), name="se")
    g.forward(x=np.ones((3, 2)), y=np.zeros((3, 2)), t=np.zeros((3, 2)))
    g.backward()
    with pytest.raises(GraphError, match="gradient of node 'p' was not computed.*requires_grad"):
        g.grad("p")
    with pytest.raises(GraphError, match="out of node 'll' was not computed.*requires_grad"):
        g.grad_out("ll")
    assert g.last_pass.edge_grad("p", "ll", 1) is None
    assert np.any(g.op("fc").weights.grad != 0)  # the other branch did train


def test_the_default_graph_agrees_with_the_seed_loop_to_rounding(kidcreative):
    """``Graph.sequential`` as the seed writes it (fused, X constant) against the hand loop:
    J and every value bit for bit, the objective's own gradient (computed on request) bit for
    bit, the fused gradient into the fully connected layer and the parameters to rounding."""
    X, Y = kidcreative
    g, graph_layers = seed_graph(X, "sequential", fuse=True, requires_grad=False)
    assert g.fuse and not g.requires_grad("X")
    hand_layers, hand_objective = seed_layers(X)
    J_hand, outputs, grads_out = seed_loop(hand_layers, hand_objective, X, Y)
    assert g.forward(X=X, Y=Y) == J_hand
    g.backward()
    for name, expected in zip(["input1", "fc1", "sigmoid1"], outputs):
        assert np.array_equal(g.value(name), expected), name
    assert np.array_equal(g.grad_out("logloss1"), grads_out[0])
    assert np.array_equal(g.grad("sigmoid1"), grads_out[0])
    assert relative_error(g.grad_out("sigmoid1"), grads_out[1]) < 1e-12
    assert relative_error(g.grad("fc1"), grads_out[1]) < 1e-12
    for mine, theirs in zip(graph_layers[1].parameters(), hand_layers[1].parameters()):
        assert relative_error(mine.grad, theirs.grad) < 1e-12


# Heads whose objective fuses with the activation: (activation, objective, targets(rng, n, k)).
HEADS = {
    "sigmoid-logloss": (LogisticSigmoidLayer, LogLoss,
                        lambda rng, n, k: (rng.random((n, k)) < 0.5).astype(float)),
    "softmax-crossentropy": (SoftmaxLayer, CrossEntropy,
                             lambda rng, n, k: np.eye(k)[rng.integers(0, k, n)]),
}


def head_graph(head, fuse, dtype=np.float64, weight=1.0, also_feeds=False):
    """``x -> fc (4 -> 3) -> act -> loss(y, act)``, ``x`` requiring a gradient, the same
    weights on every call. ``also_feeds``: ``act`` also feeds a second objective (``se``,
    reading ``z``), so its objective cannot be fused."""
    activation, objective, _ = HEADS[head]
    g = Graph(fuse=fuse)
    x, y = g.input("x", requires_grad=True), g.input("y")
    fc = FullyConnectedLayer(4, 3, dtype=dtype)
    fc.setWeights(np.random.default_rng(SEED).standard_normal((4, 3)))
    fc.setBiases(np.random.default_rng(SEED + 1).uniform(-0.5, 0.5, (1, 3)))
    g.add(fc, x, name="fc")
    g.add(activation(), "fc", name="act")
    g.add(objective(), y, "act", name="loss", weight=weight)
    if also_feeds:
        g.add(SquaredError(), g.input("z"), "act", name="se")
    return g


def head_feed(head, dtype=np.float64, n=12, also_feeds=False):
    rng = np.random.default_rng(SEED + 2)
    feed = {"x": rng.standard_normal((n, 4)).astype(dtype), "y": HEADS[head][2](rng, n, 3).astype(dtype)}
    if also_feeds:
        feed["z"] = rng.uniform(size=(n, 3)).astype(dtype)
    return feed


def run_both(head, dtype=np.float64, **options):
    """The fused and the unfused head, forward and backward on the same feed."""
    feed = head_feed(head, dtype, also_feeds=options.get("also_feeds", False))
    graphs = head_graph(head, True, dtype, **options), head_graph(head, False, dtype, **options)
    J = [g.forward(feed) for g in graphs]
    assert J[0] == J[1]
    for g in graphs:
        g.backward()
    return graphs + (feed,)


@pytest.mark.parametrize("weight", [1.0, 0.3])
@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 2e-5)],
                         ids=["float64", "float32"])
@pytest.mark.parametrize("head", HEADS)
def test_fused_and_unfused_gradients_agree_to_rounding(head, dtype, tolerance, weight):
    """Inside the objectives' clipping range, ``Yhat - Y`` is the product of the two local
    gradients: parameters and the gradient into the activation's input agree to rounding
    (measured: 2e-15 in float64, 2e-6 in float32, relative to the largest entry)."""
    fused, unfused, feed = run_both(head, dtype, weight=weight)
    P = fused.value("act")
    assert 1e-7 < P.min() and P.max() < 1 - 1e-7  # no clipping: the two must agree
    # The fused graph skipped the activation: weight (Yhat - Y) went straight into fc.
    expected = P - feed["y"]
    assert np.array_equal(fused.edge_grad("fc", "act"), expected if weight == 1.0 else weight * expected)
    assert not np.array_equal(unfused.grad("fc"), fused.grad("fc"))  # computed another way
    for p, q in zip(fused.parameters(), unfused.parameters()):
        assert p.grad.dtype == q.grad.dtype == dtype
        assert relative_error(p.grad, q.grad) < tolerance, p
        assert np.any(p.grad != 0)
    for name in ("fc", "x"):
        assert fused.grad(name).dtype == dtype
        assert relative_error(fused.grad(name), unfused.grad(name)) < tolerance, name


@pytest.mark.parametrize("weight", [1.0, 0.3])
@pytest.mark.parametrize("head", HEADS)
def test_the_fused_objectives_own_gradient_is_the_unfused_one_exactly(head, weight):
    fused, unfused, feed = run_both(head, weight=weight)
    assert np.array_equal(fused.value("act"), unfused.value("act"))
    expected = HEADS[head][1]().gradient(feed["y"], unfused.value("act"))
    if weight != 1.0:
        expected = weight * expected
    for g in (fused, unfused):
        assert np.array_equal(g.grad_out("loss"), expected)
        assert np.array_equal(g.edge_grad("act", "loss", 1), expected)
        assert np.array_equal(g.grad("act"), expected)
        assert g.last_pass.edge_grad("y", "loss", 0) is None


def test_fused_gradients_match_central_differences_with_weights():
    """Objective weights other than 1 on fused heads: gradcheck, and the graph with fusion
    switched off gives the same gradients to rounding."""
    fused, feed = fused_heads_graph(np.random.default_rng(SEED))
    unfused, _ = fused_heads_graph(np.random.default_rng(SEED), fuse=False)
    report = gradcheck(fused, feed)
    assert report.passed and report.worst < TOLERANCE, str(report)
    unfused.forward(feed)
    unfused.backward()
    for p, q in zip(fused.parameters(), unfused.parameters()):
        assert relative_error(p.grad, q.grad) < 1e-12
    assert relative_error(fused.grad("x"), unfused.grad("x")) < 1e-12
    assert relative_error(fused.grad("h"), unfused.grad("h")) < 1e-12


@pytest.mark.parametrize("head", HEADS)
def test_no_fusion_when_the_activation_feeds_another_node(head, monkeypatch):
    calls = counting(monkeypatch, HEADS[head][1], "fused_gradient")
    fused, unfused, _ = run_both(head, also_feeds=True)
    assert calls == []
    for p, q in zip(fused.parameters(), unfused.parameters()):
        assert np.array_equal(p.grad, q.grad)
    for name in ("x", "fc", "act"):
        assert np.array_equal(fused.grad(name), unfused.grad(name)), name
    assert np.array_equal(fused.grad_out("loss"), unfused.grad_out("loss"))
    # The same head without the second consumer is fused.
    run_both(head)
    assert len(calls) == 1


class SharpSigmoid(LogisticSigmoidLayer):
    """sigmoid(2x), with its own correct derivative: a subclass computing another function."""

    def _activate(self, X):
        return super()._activate(2.0 * X)

    def derivative(self):
        y = self.getPrevOut()
        return 2.0 * y * (1.0 - y)


class TemperedSoftmax(SoftmaxLayer):
    """softmax(2x): its gradient is twice the softmax's."""

    def forward(self, dataIn):
        return super().forward(2.0 * np.asarray(dataIn, dtype=float))

    def backward(self, gradIn):
        return 2.0 * super().backward(gradIn)


@pytest.mark.parametrize("activation, objective, targets", [
    (SharpSigmoid, LogLoss, lambda rng: (rng.random((6, 1)) > 0.5) * 1.0),
    (TemperedSoftmax, CrossEntropy, lambda rng: np.eye(3)[rng.integers(0, 3, 6)]),
])
def test_a_subclass_of_the_fused_activation_is_not_fused(activation, objective, targets):
    # Yhat - Y is the gradient through the partner's own function only; fusing a subclass
    # would silently give the wrong gradient.
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((6, 3)), targets(rng)
    g = Graph.sequential(FullyConnectedLayer(3, Y.shape[1], seed=0), activation(), objective=objective())
    assert g.fused == {}
    report = gradcheck(g, {"X": X, "Y": Y})
    assert report.passed, report


@pytest.mark.parametrize("head", HEADS)
def test_at_saturation_unfused_input_gradient_vanishes_while_fused_is_yhat_minus_y(head):
    """Logits of +-50 push the activation beyond the objectives' clipping epsilon (1e-7). The
    unfused product (the objective's gradient at the clipped estimate, times the activation's
    derivative, which is 0 or underflows) is 0 to within 1e-14 -- as is the derivative of the
    clipped J that forward computes; the fused gradient is ``Yhat - Y``, the derivative of the
    unclipped loss, +-1 where the estimate is confidently wrong. This is the one place the two
    differ by more than rounding, and the fused one keeps a wrong saturated unit learning."""
    activation, objective, _ = HEADS[head]
    logits = 50.0 * np.array([[1.0, -1.0, -1.0], [-1.0, 1.0, 1.0]])
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # both rows confidently wrong
    graphs = []
    for fuse in (True, False):
        g = Graph(fuse=fuse)
        g.add(LinearLayer(), g.input("x", requires_grad=True), name="logits")
        g.add(activation(), "logits", name="act")
        g.add(objective(), g.input("y"), "act", name="loss")
        g.forward(x=logits, y=Y)
        g.backward()
        graphs.append(g)
    fused, unfused = graphs
    assert fused.value("loss") == unfused.value("loss") > 5  # -ln(1e-7) ~ 16 per miss
    Yhat = fused.value("act")
    assert np.array_equal(fused.grad("logits"), Yhat - Y)
    assert np.abs(fused.grad("logits")).max() == 1.0
    assert np.abs(unfused.grad("logits")).max() < 1e-14
    # The objective's own gradient is the same exact (clipped) one in both.
    assert np.array_equal(fused.grad_out("loss"), unfused.grad_out("loss"))

    # Central differences of J (the clipped loss) see the unfused answer.
    def J():
        return unfused.forward(x=logits, y=Y)

    assert np.abs(numerical_gradient(J, logits)).max() < 1e-9


def test_an_unfused_graph_never_calls_fused_gradient(monkeypatch):
    calls = {cls.__name__: counting(monkeypatch, cls, "fused_gradient") for cls in (LogLoss, CrossEntropy)}
    g, feed = fused_heads_graph(np.random.default_rng(SEED), fuse=False)
    assert g.fuse is False
    for _ in range(2):
        g.forward(feed)
        g.backward()
    g.grad_out("ll"), g.grad_out("ce"), g.grad("p"), g.grad("q")
    assert calls == {"LogLoss": [], "CrossEntropy": []}
    g, feed = fused_heads_graph(np.random.default_rng(SEED))
    assert g.fuse is True and Graph().fuse is True  # the default
    g.forward(feed)
    g.backward()
    assert {k: len(v) for k, v in calls.items()} == {"LogLoss": 1, "CrossEntropy": 1}


@pytest.mark.parametrize("head", HEADS)
def test_a_fused_objective_computes_its_own_gradient_only_when_asked(head, monkeypatch):
    g = head_graph(head, True)
    feed = head_feed(head)
    calls = counting(monkeypatch, g.op("loss"), "gradient")
    g.forward(feed)
    g.backward()
    assert calls == []  # backward did not need it
    before = [p.grad.copy() for p in g.parameters()]
    into_fc, into_x = g.grad("fc").copy(), g.grad("x").copy()
    first = g.grad_out("loss").copy()
    second = g.grad_out("loss")
    assert len(calls) == 1  # computed once, then kept
    assert np.array_equal(first, second)
    assert np.array_equal(g.grad("act"), first) and np.array_equal(g.edge_grad("act", "loss", 1), first)
    assert len(calls) == 1
    # Asking changed nothing that backward computed.
    for p, grad in zip(g.parameters(), before):
        assert np.array_equal(p.grad, grad)
    assert np.array_equal(g.grad("fc"), into_fc) and np.array_equal(g.grad("x"), into_x)
    # A new backward pass forgets it; asked again, it is computed again, equal.
    g.backward()
    assert len(calls) == 1
    assert np.array_equal(g.grad_out("loss"), first) and len(calls) == 2


def test_has_values_and_has_gradients_follow_the_passes():
    g, feed = residual_graph(np.random.default_rng(SEED))
    assert (g.has_values, g.has_gradients) == (False, False)
    g.forward(feed)
    assert (g.has_values, g.has_gradients) == (True, False)
    g.backward()
    assert (g.has_values, g.has_gradients) == (True, True)
    g.forward(feed)  # a new pass: the old gradients are gone
    assert (g.has_values, g.has_gradients) == (True, False)
    g.backward()
    g.set_requires_grad("x", False)  # changes what backward computes: run both passes again
    assert (g.has_values, g.has_gradients) == (False, False)
    with pytest.raises(GraphError, match="backward: call forward first"):
        g.backward()
    g.forward(feed)
    g.backward()
    assert (g.has_values, g.has_gradients) == (True, True)
    with pytest.raises(GraphError):
        g.forward(x=feed["x"][:, :2], y=feed["y"])  # fails half-way
    assert (g.has_values, g.has_gradients) == (False, False)
    g.forward(feed)
    g.backward()
    g.add(TanhLayer(), "out", name="extra")  # changing the graph forgets both passes
    assert (g.has_values, g.has_gradients) == (False, False)


@pytest.mark.parametrize("requires_grad", [False, True])
def test_gradcheck_checks_inputs_and_leaves_requires_grad_as_it_was(requires_grad):
    g, feed = residual_graph(np.random.default_rng(SEED))
    g.set_requires_grad("x", requires_grad)
    report = gradcheck(g, feed)
    assert report.passed, str(report)
    assert ("x", "input") in {(node, what) for node, what, _ in report.rows}
    assert g.requires_grad("x") is requires_grad and not g.requires_grad("y")
    # Left as after forward(feed) and backward(), with the caller's flags.
    assert g.has_values and g.has_gradients
    if requires_grad:
        assert g.grad("x").shape == feed["x"].shape
    else:
        with pytest.raises(GraphError, match="input 'x' is a constant"):
            g.grad("x")
    # Also when the check fails half-way through.
    with pytest.raises(GraphError, match="node 'fc'"):
        gradcheck(g, {"x": feed["x"][:, :2], "y": feed["y"]})
    assert g.requires_grad("x") is requires_grad


def test_sequential_passes_fuse_and_requires_grad_on():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 3))
    g = Graph.sequential(FullyConnectedLayer(3, 1), LogisticSigmoidLayer(), objective=LogLoss(),
                         requires_grad=True, fuse=False)
    assert g.fuse is False and g.requires_grad("X") and not g.requires_grad("Y")
    g.forward(X=X, Y=(X[:, :1] > 0).astype(float))
    g.backward()
    assert g.grad_out("fc1").shape == (4, 3)  # computed: X requires a gradient
    assert Graph.sequential(FullyConnectedLayer(3, 1)).fuse is True
    assert not Graph.sequential(FullyConnectedLayer(3, 1)).requires_grad("X")


def test_fused_cross_entropy_stays_exact_for_targets_inside_the_row_sum_tolerance():
    """CrossEntropy accepts rows summing to 1 within 1e-6 K; the fused gradient
    ``Yhat * sum(Y) - Y`` then still equals the two-step product (which ``Yhat - Y`` would not)."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 3))
    Y = rng.dirichlet(np.ones(4), size=5) * (1 + 2e-6)  # each row sums to 1.000002
    grads = {}
    for fuse in (True, False):
        g = Graph(fuse=fuse)
        x, y = g.input("X", requires_grad=True), g.input("Y")
        fc = FullyConnectedLayer(3, 4, seed=1)
        fc.setWeights(rng.standard_normal((3, 4)) if fuse else grads["W"])
        grads.setdefault("W", fc.getWeights())
        g.add(CrossEntropy(), y, g.add(SoftmaxLayer(), g.add(fc, x, name="fc"), name="softmax"))
        g.forward(X=X, Y=Y)
        g.backward()
        grads[fuse] = g.grad_out("softmax")
    np.testing.assert_allclose(grads[True], grads[False], rtol=1e-12, atol=1e-15)
    assert np.abs(grads[True] - grads[False]).max() < 1e-14


def test_switching_fuse_after_a_pass_takes_effect():
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((6, 3)), (rng.random((6, 1)) < 0.5).astype(float)
    g = Graph.sequential(FullyConnectedLayer(3, 1, seed=0), LogisticSigmoidLayer(), objective=LogLoss())
    g.forward(X=X, Y=Y)
    g.backward()
    fused = g.op("fc1").weights.grad.copy()
    g.fuse = False
    assert not g.has_values  # the plan, and with it the last pass, is gone

    def fused_gradient(*args):
        raise AssertionError("fuse=False must not call fused_gradient")

    g.op("logloss1").fused_gradient = fused_gradient
    g.forward(X=X, Y=Y)
    g.backward()
    np.testing.assert_allclose(g.op("fc1").weights.grad, fused, rtol=1e-12)


def test_gradcheck_passes_the_seeds_freshly_initialised_network_and_still_fails_a_wrong_gradient():
    """With weights in [-1e-4, 1e-4] the input gradients are near 1e-5, where the rounding noise
    of central differences alone is 1e-5 relative; the noise floor judges them absolutely."""
    X, Y = load_kidcreative()
    X, Y = X[:30], Y[:30]
    g = Graph.sequential(InputLayer(X), FullyConnectedLayer(16, 1, seed=0), LogisticSigmoidLayer(),
                         objective=LogLoss())
    report = gradcheck(g, {"X": X, "Y": Y})
    assert report.passed, str(report)
    assert [row[:2] for row in report.rows] == [("X", "input"), ("fc1", "weights"), ("fc1", "biases")]

    class OffByOnePercent(InputLayer):
        def backward(self, gradIn):
            return super().backward(gradIn) * 1.01

    wrong = Graph.sequential(OffByOnePercent(X), FullyConnectedLayer(16, 1, seed=0),
                             LogisticSigmoidLayer(), objective=LogLoss())
    report = gradcheck(wrong, {"X": X, "Y": Y})
    assert not report.passed and report.rows[0][0] == "X"


def test_fused_names_the_fused_pairs_and_recompile_drops_the_plan():
    g = Graph.sequential(FullyConnectedLayer(3, 2, seed=0), SoftmaxLayer(), objective=CrossEntropy())
    assert g.fused == {"crossentropy1": "softmax1"}
    assert Graph.sequential(FullyConnectedLayer(3, 2), SoftmaxLayer(), objective=CrossEntropy(),
                            fuse=False).fused == {}
    X, Y = np.ones((2, 3)), np.eye(2)
    g.forward(X=X, Y=Y)
    calls = []
    softmax = g.op("softmax1")
    original = softmax.forward
    softmax.forward = lambda data: calls.append(1) or original(data)
    g.forward(X=X, Y=Y)
    assert calls == []  # the plan still holds the bound method it compiled
    g.recompile()
    assert not g.has_values
    g.forward(X=X, Y=Y)
    assert calls == [1]


def test_named_parameters_lists_a_tied_parameter_once_under_its_first_node():
    g = Graph()
    x, y = g.input("x"), g.input("y")
    first, second = FullyConnectedLayer(2, 2, seed=0), FullyConnectedLayer(2, 2, seed=1)
    second.weights = first.weights
    h = g.add(second, g.add(first, x, name="a"), name="b")
    g.add(SquaredError(), y, h)
    named = [(node, p.name, p) for node, p in g.named_parameters()]
    assert [(node, name) for node, name, _ in named] == [("a", "weights"), ("a", "biases"), ("b", "biases")]
    assert named[0][2] is first.weights and named[2][2] is second.biases
    assert g.parameters() == [p for _, _, p in named]


# ---------------------------------------------------------------------------------- traps (issues 16 and 21)
def logistic_graph(layer=None):
    """``X -> fc (3 -> 1) -> sigmoid -> LogLoss(Y, sigmoid)``; ``layer`` replaces fc."""
    g = Graph()
    g.add(layer or FullyConnectedLayer(3, 1, seed=0), g.input("X"), name="fc")
    g.add(LogisticSigmoidLayer(), "fc", name="sigmoid")
    g.add(LogLoss(), g.input("Y"), "sigmoid", name="loss")
    return g


def logistic_feed(seed=SEED, n=6):
    rng = np.random.default_rng(seed)
    return {"X": rng.standard_normal((n, 3)), "Y": (rng.random((n, 1)) < 0.5).astype(float)}


def test_an_objective_reading_a_fed_estimate_that_requires_a_gradient_is_not_called_swapped():
    """The swap check is for the mistake only: a target computed by layers without parameters,
    or an estimate that requires a gradient (the loss then moves the input), is accepted."""
    g = Graph()
    g.add(TanhLayer(), g.input("X"), name="t")  # no parameter: nothing could train anyway
    g.add(SquaredError(), "t", g.input("Z"), name="se")
    assert g.forward(X=np.zeros((2, 1)), Z=np.ones((2, 1))) == 1.0
    h = Graph()
    h.add(FullyConnectedLayer(2, 1, seed=0), h.input("X"), name="fc")
    h.add(SquaredError(), "fc", h.input("Z", requires_grad=True), name="se")
    X, Z = np.ones((3, 2)), np.zeros((3, 1))
    h.forward(X=X, Z=Z)
    h.backward()
    # dJ/dZ per observation: -2 (fc - Z), the target being fc's output.
    np.testing.assert_allclose(h.grad("Z"), -2 * (h.value("fc") - Z))
    with pytest.raises(GraphError, match="slots look swapped"):
        h.set_requires_grad("Z", False)
        h.forward(X=X, Z=Z)


def test_the_swapped_message_gives_the_order_that_trains():
    with pytest.raises(GraphError) as info:
        g = Graph()
        g.add(FullyConnectedLayer(3, 1, seed=0), g.input("X"), name="fc")
        g.add(LogisticSigmoidLayer(), "fc", name="sigmoid")
        g.add(LogLoss(), "sigmoid", g.input("Y"), name="loss")
    assert "g.add(LogLoss(), 'Y', 'sigmoid')" in str(info.value)
    # that order builds, and its parameters get gradients (the swapped one gives exactly 0)
    g.add(LogLoss(), "Y", "sigmoid", name="loss")
    g.forward(**logistic_feed())
    g.backward()
    assert np.all(g.op("fc").weights.grad != 0)


def test_forward_without_an_objective_returns_none_and_the_outputs_asked_for():
    g = Graph.sequential(FullyConnectedLayer(3, 1, seed=0), LogisticSigmoidLayer())
    X = logistic_feed()["X"]
    assert g.forward(X=X) is None
    J, outputs = g.forward(X=X, outputs="sigmoid1")
    assert J is None
    np.testing.assert_allclose(outputs["sigmoid1"], 1 / (1 + np.exp(-g.value("fc1"))))


def test_forward_with_no_arguments_names_the_first_missing_input():
    with pytest.raises(GraphError, match=r"forward: no value fed for input 'X'; inputs: \['X', 'Y'\]"):
        logistic_graph().forward()


def test_a_fused_objective_of_weight_2_sends_twice_its_gradient():
    g = Graph()
    g.add(FullyConnectedLayer(3, 1, seed=0), g.input("X"), name="fc")
    g.add(LogisticSigmoidLayer(), "fc", name="sigmoid")
    g.add(LogLoss(), g.input("Y"), "sigmoid", name="loss", weight=2.0)
    assert g.fused == {"loss": "sigmoid"}
    feed = logistic_feed()
    J = g.forward(**feed)
    g.backward()
    Y, P = feed["Y"], g.value("sigmoid")
    assert J == pytest.approx(2 * -np.mean(Y * np.log(P) + (1 - Y) * np.log(1 - P)), rel=1e-12)
    # grad_out of the loss: 2 dl/dP per observation, l = -(y ln p + (1 - y) ln(1 - p))
    np.testing.assert_allclose(g.grad_out("loss"), 2 * (-Y / P + (1 - Y) / (1 - P)), rtol=1e-12)
    np.testing.assert_allclose(g.edge_grad("fc", "sigmoid"), 2 * (P - Y), rtol=1e-12)
    np.testing.assert_allclose(g.op("fc").weights.grad, feed["X"].T @ (2 * (P - Y)) / len(Y), rtol=1e-12)


@pytest.mark.parametrize("change", ["X", "Y", "base of X"])
def test_a_fed_array_changed_in_place_after_forward_leaves_backward_as_it_was(change):
    """Issue 21: backward gives the gradients of the forward pass, whatever the caller did to
    the fed arrays since."""
    feed = logistic_feed()
    g = logistic_graph()
    g.forward(**feed)
    g.backward()
    expected = [p.grad.copy() for p in g.parameters()], g.grad("fc").copy()

    base = np.hstack([feed["X"], np.ones((6, 1))])
    fed = dict(feed, X=base[:, :3]) if change == "base of X" else {k: v.copy() for k, v in feed.items()}
    g.forward(**fed)
    if change == "base of X":
        base[:] = 7.0
    else:
        fed[change][:] = 0.5 if change == "Y" else 7.0
    g.backward()
    for parameter, grad in zip(g.parameters(), expected[0]):
        np.testing.assert_array_equal(parameter.grad, grad)
    np.testing.assert_array_equal(g.grad("fc"), expected[1])
    np.testing.assert_array_equal(g.value("X"), feed["X"])


def test_a_layer_in_two_graphs_runs_each_graphs_pass_in_turn_and_refuses_to_mix_them():
    feed = logistic_feed()
    train = logistic_graph()
    fc = train.op("fc")
    predict = Graph.sequential(fc, LogisticSigmoidLayer())  # the trained layer, for predictions
    train.forward(**feed)
    train.backward()
    expected = fc.weights.grad.copy()
    predict.forward(X=np.full((2, 3), 5.0))  # fc now holds this pass's 2 x 3 input
    with pytest.raises(GraphError, match=r"layer 'fc' \(FullyConnectedLayer 3->1\) is also node 'fc1' of another graph"):
        train.backward()
    train.forward(**feed)  # its own forward again: backward is right
    train.backward()
    np.testing.assert_array_equal(fc.weights.grad, expected)
    # The other way round: the prediction graph has no backward, its forward is always fine.
    np.testing.assert_array_equal(predict.forward(X=feed["X"], outputs="sigmoid1")[1]["sigmoid1"],
                                  train.value("sigmoid"))


def test_a_graph_nobody_holds_no_longer_shares_its_layers():
    import gc

    train = logistic_graph()
    Graph.sequential(train.op("fc"))  # built and dropped at once
    gc.collect()
    assert len(train._sharing.partners) == 0
    train.forward(**logistic_feed())
    train.backward()  # nothing to refuse


def test_backward_check_finite_names_an_infinite_parameter_gradient_after_finite_edges():
    class InfBiasLayer(FullyConnectedLayer):
        def backward(self, gradIn):
            out = super().backward(gradIn)
            self.biases.grad[0, 0] = np.inf
            return out

    g = Graph()
    g.add(InfBiasLayer(3, 2, seed=0), g.input("X", requires_grad=True), name="fc")
    g.add(SquaredError(), g.input("Y"), "fc", name="se")
    g.forward(X=np.ones((4, 3)), Y=np.zeros((4, 2)))
    g.backward()  # off: quiet
    with pytest.raises(FloatingPointError, match=r"node 'fc' \(FullyConnectedLayer 3->2\): gradient of "
                                                 r"parameter 'biases' 1 x 2 holds 1 NaN or inf entries of 2"):
        g.backward(check_finite=True)
    assert np.isfinite(g.grad("X")).all()  # the edges were finite: only the parameter is named


def test_an_empty_graph_has_no_values_and_no_pass():
    g = Graph()
    assert not g.has_values and not g.has_gradients
    with pytest.raises(GraphError, match="no pass to show"):
        g.last_pass


def test_forward_returns_every_output_named_in_a_list():
    g = logistic_graph()
    J, outputs = g.forward(**logistic_feed(), outputs=["fc", "sigmoid"])
    assert J == g.value("loss") and list(outputs) == ["fc", "sigmoid"]
    assert outputs["fc"] is g.value("fc") and outputs["sigmoid"] is g.value("sigmoid")


def test_the_hint_about_a_missing_objective_names_the_last_node_and_only_when_missing():
    g = Graph.sequential(FullyConnectedLayer(3, 2, seed=0), TanhLayer(), LinearLayer())
    with pytest.raises(GraphError, match=r"g.add\(LogLoss\(\), g.input\('Y'\), 'linear1'\)"):
        g.forward(X=np.ones((2, 3)), Y=np.ones((2, 2)))
    g.forward(X=np.ones((2, 3)))
    with pytest.raises(GraphError, match=r"g.add\(LogLoss\(\), g.input\('Y'\), 'linear1'\)"):
        g.backward()
    with pytest.raises(GraphError) as info:
        logistic_graph().forward(**logistic_feed(), Z=np.ones((6, 1)))
    assert "'Z' is not an input" in str(info.value) and "no objective" not in str(info.value)


def test_a_class_with_optional_arguments_is_shown_called_without_them():
    with pytest.raises(GraphError, match=r"pass an instance, AddLayer\(\)$"):
        Graph().add(AddLayer)
    with pytest.raises(GraphError, match=r"pass an instance, FullyConnectedLayer\(\.\.\.\)$"):
        Graph().add(FullyConnectedLayer)


def test_an_array_subclass_view_fed_is_copied_too():
    class Tagged(np.ndarray):
        pass

    feed = logistic_feed()
    g = logistic_graph()
    g.forward(**feed)
    g.backward()
    expected = g.op("fc").weights.grad.copy()
    base = feed["X"].copy()
    g.forward(X=base.view(Tagged), Y=feed["Y"])  # converted by np.asarray: a view of base
    base[:] = 7.0
    g.backward()
    np.testing.assert_array_equal(g.op("fc").weights.grad, expected)


def test_a_node_that_reaches_no_objective_first_in_reverse_order_stops_nothing():
    """'zz_dead' comes last in the topological order, so its (skipped) step is the first of
    the backward pass: the steps after it still run."""
    g = Graph()
    x = g.input("x", requires_grad=True)
    g.add(FullyConnectedLayer(2, 1, seed=0), x, name="fc")
    g.add(SquaredError(), g.input("y"), "fc", name="loss")
    g.add(TanhLayer(), x, name="zz_dead")
    assert g.nodes[-1] == "zz_dead"
    X, Y = np.ones((3, 2)), np.zeros((3, 1))
    g.forward(x=X, y=Y)
    g.backward()
    W = g.op("fc").weights.value
    np.testing.assert_allclose(g.grad("x"), 2 * (g.value("fc") - Y) @ W.T)


def test_a_fused_activation_has_no_backward_step_of_its_own():
    g = logistic_graph()
    assert g.plan.kinds == {"loss": "fused objective", "fc": "parameters only"}


def test_a_layer_whose_output_is_not_an_array_is_named_by_its_consumer():
    class Scalar(LinearLayer):
        def forward(self, dataIn):
            super().forward(dataIn)
            return 3.0

    g = Graph()
    g.add(Scalar(), g.input("X"), name="s")
    g.add(TanhLayer(), "s", name="t")
    with pytest.raises(GraphError, match=r"node 't' \(TanhLayer\) reading \[s float\]"):
        g.forward(X=np.ones((2, 2)))
