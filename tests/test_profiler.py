"""Tests of graphnn.views.profiler: the per-node profile of a pass (issue 7, "Performance").

1. Every node has a row, in topological order; layers and objectives that run take time
   (only ``> 0`` is asserted: machines are noisy); inputs take none and show their fed bytes;
   output bytes are ``value.nbytes``; gradient bytes are the ``edge_grad`` bytes of each
   in-edge (0 for the first layer's skipped input gradient when ``X`` is a constant, nonzero
   when it requires a gradient); a fused objective's own gradient, never computed in the pass,
   counts 0. On the seed's chain (Kid Creative), an MLP and a residual DAG.
2. The totals: ``overhead = total - sum of the nodes``, never negative.
3. With a fake clock every timed call takes exactly one tick, so the profile's times are
   exact: a call nested in another of the same op (``backward`` -> ``backward_parameters``)
   is counted once.
4. The graph is left as a plain pass leaves it: no instance attribute on any op (also when a
   pass raises), results bitwise equal to unprofiled passes before and after, parameter
   values untouched, an attribute set on an op before profiling put back.
5. The table: every node name, the top nodes marked, the overhead and totals.
"""
import time

import numpy as np
import pytest

import graphnn
from graphnn import (
    AddLayer, CrossEntropy, FullyConnectedLayer, Graph, GraphError, InputLayer, ReLULayer,
    SoftmaxLayer, TanhLayer,
)
from graphnn.datasets import load_kidcreative
from graphs import kidcreative_chain
from graphnn.views.profiler import NodeProfile, Profile, format_bytes, profile

WRAPPED = {"forward", "backward", "backward_parameters", "zero_grad", "eval", "gradient", "fused_gradient"}
REPEAT = 3  # the tests look at what is measured, not at how precisely


# ---------------------------------------------------------------------------------- graphs
@pytest.fixture(scope="module")
def kidcreative():
    return load_kidcreative()


seed_chain = kidcreative_chain


def mlp(requires_grad=False, n=40, seed=0):
    """X (n x 6) -> FC 6->8 -> ReLU -> FC 8->8 -> tanh -> FC 8->3 -> softmax -> CrossEntropy."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    Y = np.eye(3)[rng.integers(0, 3, n)]
    g = Graph.sequential(
        FullyConnectedLayer(6, 8, seed=1), ReLULayer(), FullyConnectedLayer(8, 8, seed=2), TanhLayer(),
        FullyConnectedLayer(8, 3, seed=3), SoftmaxLayer(), objective=CrossEntropy(),
        requires_grad=requires_grad,
    )
    return g, {"X": X, "Y": Y}


def residual():
    """``add = fc(z) + z`` with ``z`` a constant branch: ``add`` sends a gradient into one of
    its two slots only."""
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(30, 4)), rng.normal(size=(30, 4))
    g = Graph()
    x, y = g.input("X"), g.input("Y")
    z = g.add(InputLayer(X), x, name="z")
    h = g.add(FullyConnectedLayer(4, 4, seed=5), z, name="fc")
    s = g.add(AddLayer(), h, z, name="add")
    g.add(graphnn.SquaredError(), y, s, name="loss")
    return g, {"X": X, "Y": Y}


def graphs(kidcreative):
    X, Y = kidcreative
    seed_feed = {"X": X, "Y": Y}
    yield "seed", seed_chain(X), seed_feed
    yield "seed, X requires grad", seed_chain(X, requires_grad=True), seed_feed
    yield "seed, unfused", seed_chain(X, fuse=False), seed_feed
    g, feed = mlp()
    yield "mlp", g, feed
    g, feed = mlp(requires_grad=True)
    yield "mlp, X requires grad", g, feed
    g, feed = residual()
    yield "residual", g, feed


def kind(g, name):
    return g.nx.nodes[name]["kind"]


def edge_bytes(g, name):
    """The bytes of the gradients node ``name`` sent back: ``edge_grad`` of its in-edges."""
    total = 0
    for source, _, slot in g.nx.in_edges(name, keys=True):
        grad = g.last_pass.edge_grad(source, name, slot)
        total += 0 if grad is None else grad.nbytes
    return total


def is_fused_objective(g, name):
    return kind(g, name) == "objective" and g.fuse and isinstance(
        g.op(g.predecessors(name)[1]), type(g.op(name)).fuses_with or ()
    )


def runs_backward(g, name):
    """Whether ``name``'s backward work runs in a pass (not fused away, not constant)."""
    if kind(g, name) == "objective":
        return g.requires_grad(g.predecessors(name)[1])
    consumers = [v for _, v in g.nx.out_edges(name)]
    fused_away = g.fuse and any(is_fused_objective(g, c) for c in consumers)
    return g.requires_grad(name) and not fused_away


def snapshot(g, feed):
    """J, every value, every edge gradient and parameter gradient of one plain pass."""
    J = g.forward(feed)
    g.backward()
    values = {n: np.array(g.value(n), copy=True) for n in g.nodes}
    edges = {}
    for u, v, k in g.nx.edges(keys=True):
        grad = g.last_pass.edge_grad(u, v, k)
        edges[u, v, k] = None if grad is None else grad.copy()
    grads = [p.grad.copy() for p in g.parameters()]
    return J, values, edges, grads


def assert_bitwise_equal(a, b):
    J_a, values_a, edges_a, grads_a = a
    J_b, values_b, edges_b, grads_b = b
    assert J_a == J_b
    assert values_a.keys() == values_b.keys()
    for name in values_a:
        assert np.array_equal(values_a[name], values_b[name]), name
        assert values_a[name].dtype == values_b[name].dtype
    assert edges_a.keys() == edges_b.keys()
    for edge in edges_a:
        if edges_a[edge] is None:
            assert edges_b[edge] is None, edge
        else:
            assert np.array_equal(edges_a[edge], edges_b[edge]), edge
    assert all(np.array_equal(x, y) for x, y in zip(grads_a, grads_b))


def assert_clean(g):
    """No op of ``g`` holds any of the profiler's instance attributes."""
    for name in g.nodes:
        op = g.op(name)
        if op is not None:
            assert not WRAPPED & set(vars(op)), (name, sorted(WRAPPED & set(vars(op))))


# ---------------------------------------------------------------------------------- 1. rows
def test_every_node_of_every_graph_is_profiled(kidcreative):
    for label, g, feed in graphs(kidcreative):
        p = profile(g, feed, repeat=REPEAT)
        assert [row.name for row in p.rows] == g.nodes, label
        assert list(p.by_node) == g.nodes and all(p.by_node[r.name] is r for r in p.rows)
        for row in p.rows:
            assert isinstance(row, NodeProfile)
            assert row.kind == kind(g, row.name)
            if row.kind == "input":
                assert (row.forward, row.backward, row.gradient_bytes) == (0.0, 0.0, 0), label
                assert row.description == "input"
                assert row.output_bytes == feed[row.name].nbytes
                continue
            assert row.description == g.op(row.name).describe()
            assert row.forward > 0, (label, row.name)
            if runs_backward(g, row.name):
                assert row.backward > 0, (label, row.name)
            else:
                assert row.backward == 0.0, (label, row.name)
            assert row.total == row.forward + row.backward
            assert 0 <= row.zero_grad <= row.backward


def test_bytes_are_the_values_and_the_edge_gradients(kidcreative):
    for label, g, feed in graphs(kidcreative):
        p = profile(g, feed, repeat=REPEAT)
        for row in p.rows:  # the graph holds the last pass: compare with its own arrays
            assert row.output_bytes == np.asarray(g.value(row.name)).nbytes, (label, row.name)
            if row.kind == "input":
                continue
            if is_fused_objective(g, row.name):
                assert row.gradient_bytes == 0, (label, row.name)  # computed only when asked
                assert row.note.startswith("fused")
            else:
                assert row.gradient_bytes == edge_bytes(g, row.name), (label, row.name)


def test_seed_chain_rows(kidcreative):
    X, Y = kidcreative
    p = profile(seed_chain(X), {"X": X, "Y": Y}, repeat=REPEAT)
    rows = p.by_node
    assert [r.name for r in p.rows] == ["X", "Y", "input", "fc", "sigmoid", "loss"]
    assert rows["X"].output_bytes == 673 * 16 * 8 and rows["Y"].output_bytes == 673 * 8
    assert rows["input"].output_bytes == 673 * 16 * 8
    assert rows["fc"].output_bytes == rows["sigmoid"].output_bytes == 673 * 8
    assert rows["loss"].output_bytes == 8  # J, one float64
    # X is a constant: the first layer's input gradient is skipped, 0 bytes.
    assert rows["fc"].gradient_bytes == 0 and rows["fc"].note == "parameters only (input constant)"
    assert rows["fc"].zero_grad > 0
    assert rows["input"].backward == 0.0 and rows["input"].note == "no backward (constant branch)"
    # Fused: Yhat - Y (673 x 1) goes to fc along sigmoid's in-edge; sigmoid's backward never runs.
    assert rows["sigmoid"].gradient_bytes == 673 * 8 and rows["sigmoid"].backward == 0.0
    assert rows["sigmoid"].note == "backward fused into loss"
    assert rows["loss"].backward > 0


def test_with_x_requiring_a_gradient_the_first_layer_sends_one_back(kidcreative):
    X, Y = kidcreative
    g = seed_chain(X, requires_grad=True)
    p = profile(g, {"X": X, "Y": Y}, repeat=REPEAT)
    assert p.by_node["fc"].gradient_bytes == 673 * 16 * 8 == edge_bytes(g, "fc")
    assert p.by_node["input"].gradient_bytes == 673 * 16 * 8 and p.by_node["input"].backward > 0
    assert p.by_node["fc"].note == ""


def test_unfused_objective_counts_its_gradient(kidcreative):
    X, Y = kidcreative
    g = seed_chain(X, fuse=False)
    p = profile(g, {"X": X, "Y": Y}, repeat=REPEAT)
    assert p.by_node["loss"].gradient_bytes == 673 * 8 == edge_bytes(g, "loss")
    assert p.by_node["sigmoid"].backward > 0 and p.by_node["sigmoid"].note == ""


def test_a_node_with_two_inputs_counts_only_the_gradient_it_sent():
    g, feed = residual()
    p = profile(g, feed, repeat=REPEAT)
    assert g.last_pass.edge_grad("z", "add", 1) is None
    assert p.by_node["add"].gradient_bytes == 30 * 4 * 8 == edge_bytes(g, "add")


# ---------------------------------------------------------------------------------- 2. totals
def test_overhead_is_the_total_minus_the_nodes(kidcreative):
    for label, g, feed in graphs(kidcreative):
        p = profile(g, feed, repeat=REPEAT)
        nodes = sum(row.total for row in p.rows)
        assert p.overhead == pytest.approx(p.total - nodes, rel=1e-12, abs=1e-15), label
        assert p.node_total == pytest.approx(nodes)
        assert p.overhead_forward == pytest.approx(p.total_forward - sum(r.forward for r in p.rows))
        assert p.overhead_backward == pytest.approx(p.total_backward - sum(r.backward for r in p.rows))
        assert p.overhead == pytest.approx(p.overhead_forward + p.overhead_backward)
        assert p.overhead_forward >= -1e-12 and p.overhead_backward >= -1e-12
        assert p.total == pytest.approx(p.total_forward + p.total_backward)
        assert p.total_forward > 0 and p.total_backward > 0
        assert p.plain_forward > 0 and p.plain_backward > 0
        assert p.plain_total == pytest.approx(p.plain_forward + p.plain_backward)
        assert p.repeat == REPEAT and p.backward
        assert sum(p.share(r.name) for r in p.rows) == pytest.approx(nodes / p.total)


def test_forward_only():
    g, feed = mlp()
    g.add(FullyConnectedLayer(8, 2, seed=9), "relu1", name="side")  # reaches no objective
    p = profile(g, feed, repeat=REPEAT, backward=False)
    assert not p.backward and p.total_backward == 0.0 and p.plain_backward is None
    assert all(row.backward == 0.0 and row.gradient_bytes == 0 for row in p.rows)
    assert p.by_node["side"].forward > 0
    assert p.overhead == pytest.approx(p.overhead_forward)
    assert p.plain_total == p.plain_forward
    assert not g.has_gradients and g.has_values
    # A graph without an objective: only forward can be profiled, and the message says so.
    h = Graph.sequential(FullyConnectedLayer(6, 2, seed=0))
    with pytest.raises(GraphError, match="backward=False"):
        profile(h, {"X": feed["X"]})
    assert profile(h, {"X": feed["X"]}, repeat=REPEAT, backward=False).by_node["fc1"].forward > 0
    assert_clean(h)


@pytest.mark.parametrize("repeat", [0, -1, 2.5, True, "3"])
def test_repeat_must_be_a_positive_integer(repeat):
    g, feed = mlp()
    with pytest.raises(ValueError, match="repeat must be a positive integer"):
        profile(g, feed, repeat=repeat)


# ---------------------------------------------------------------------------------- 3. exact, with a fake clock
@pytest.fixture
def ticking_clock(monkeypatch):
    """``time.perf_counter`` advancing by one microsecond per call."""
    ticks = iter(range(10 ** 9))
    monkeypatch.setattr(time, "perf_counter", lambda: next(ticks) * 1e-6)


@pytest.mark.parametrize("requires_grad", [False, True])
def test_times_are_exact_with_a_fake_clock(kidcreative, ticking_clock, requires_grad):
    X, Y = kidcreative
    g = seed_chain(X, requires_grad=requires_grad)
    p = profile(g, {"X": X, "Y": Y}, repeat=REPEAT)
    us = {row.name: (round(row.forward * 1e6, 6), round(row.backward * 1e6, 6)) for row in p.rows}
    # One tick per timed call. fc's backward is backward_parameters alone (X constant) or
    # backward calling backward_parameters (X requires grad): one call either way, plus zero_grad.
    assert us == {
        "X": (0, 0), "Y": (0, 0),
        "input": (1, 1 if requires_grad else 0),
        "fc": (1, 2),
        "sigmoid": (1, 0),  # fused into loss
        "loss": (1, 1),
    }
    assert p.by_node["fc"].zero_grad == pytest.approx(1e-6)
    # forward: 4 timed calls of 2 ticks between the pass's two ticks -> 9 ticks, 4 in nodes.
    assert p.total_forward == pytest.approx(9e-6) and p.overhead_forward == pytest.approx(5e-6)
    calls = 4 if requires_grad else 3  # zero_grad, fused_gradient, fc (, input)
    assert p.total_backward == pytest.approx((2 * calls + 1) * 1e-6)
    assert p.overhead_backward == pytest.approx((calls + 1) * 1e-6)
    assert_clean(g)


# ---------------------------------------------------------------------------------- 4. restoring
def test_the_graph_is_left_as_a_plain_pass_leaves_it(kidcreative):
    for label, g, feed in graphs(kidcreative):
        before = snapshot(g, feed)
        params = [p.value.copy() for p in g.parameters()]
        p = profile(g, feed, repeat=REPEAT)
        assert_clean(g)
        assert all(np.array_equal(a, b.value) for a, b in zip(params, g.parameters())), label
        # The graph holds the pass of `feed`, as after graph.forward(feed); graph.backward().
        assert g.has_values and g.has_gradients
        assert g.value(g.objectives[0]) == before[0]
        assert_bitwise_equal(before, snapshot(g, feed))
        assert p.rows


def test_restored_when_a_forward_pass_raises(kidcreative):
    X, Y = kidcreative
    g = seed_chain(X, requires_grad=True)
    before = snapshot(g, {"X": X, "Y": Y})
    with pytest.raises(GraphError, match="node 'input'"):
        profile(g, {"X": X[:, :5], "Y": Y})  # the wrong width
    assert_clean(g)
    assert_bitwise_equal(before, snapshot(g, {"X": X, "Y": Y}))

    g, feed = mlp()
    before = snapshot(g, feed)
    with pytest.raises(GraphError, match="FullyConnectedLayer 6->8"):
        profile(g, {"X": feed["X"][:, :4], "Y": feed["Y"]})
    assert_clean(g)
    assert_bitwise_equal(before, snapshot(g, feed))


class FailingTanh(TanhLayer):
    """A tanh whose backward fails on its ``fail_on``-th call."""

    def __init__(self, fail_on):
        super().__init__()
        self.calls, self.fail_on = 0, fail_on

    def backward(self, gradIn):
        self.calls += 1
        if self.calls == self.fail_on:
            raise RuntimeError("backward failed")
        return super().backward(gradIn)


@pytest.mark.parametrize("fail_on", [1, 3])  # the warm-up pass, a timed pass
def test_restored_when_a_backward_pass_raises(fail_on):
    g, feed = mlp()
    layer = FailingTanh(fail_on=10 ** 6)
    g.add(layer, "fc3", name="extra")
    g.add(graphnn.SquaredError(), g.input("T"), "extra", name="extra_loss")
    feed = {**feed, "T": np.zeros((40, 3))}
    before = snapshot(g, feed)
    layer.calls, layer.fail_on = 0, fail_on
    with pytest.raises(RuntimeError, match="backward failed"):
        profile(g, feed, repeat=REPEAT)
    assert_clean(g)
    layer.fail_on = 10 ** 6
    assert_bitwise_equal(before, snapshot(g, feed))


def test_an_attribute_set_on_an_op_before_is_put_back():
    g, feed = mlp()
    fc = g.op("fc2")
    calls = []
    original = fc.forward

    def spy(X):
        calls.append(X.shape)
        return original(X)

    fc.forward = spy  # the user's own instance attribute
    g.forward(feed)  # compiles the plan with the spy
    profile(g, feed, repeat=REPEAT)
    assert vars(fc)["forward"] is spy
    assert set(vars(fc)) & WRAPPED == {"forward"}
    assert len(calls) == 2 * (REPEAT + 1) + 1  # timed passes and plain passes still reach it
    g.forward(feed)
    assert len(calls) == 2 * (REPEAT + 1) + 2


# ---------------------------------------------------------------------------------- 5. the table
def test_the_table_names_every_node_and_marks_the_top(kidcreative):
    X, Y = kidcreative
    g, feed = mlp()
    p = profile(g, feed, repeat=REPEAT)
    text = str(p)
    assert text == p.to_table()
    for name in g.nodes:
        assert name in text
    for rank, name in enumerate(p.top(), start=1):
        assert any(line.startswith(f"#{rank}") and f" {name} " in line for line in text.splitlines())
    assert len(p.top()) == 3
    totals = sorted((row.total for row in p.rows), reverse=True)
    assert [p.by_node[n].total for n in p.top()] == totals[:3]
    for word in ("fwd µs", "bwd µs", "share", "(graph overhead)", f"median of {REPEAT} passes",
                 "100.0 %", "without the profiler's timers"):
        assert word in text
    assert format_bytes(p.by_node["X"].output_bytes) == "1.9 KiB"  # 40 x 6 float64
    assert "1.9 KiB" in text
    # Sorted and cut: the rest summed in one line.
    short = p.to_table(sort=True, limit=2)
    assert f"({len(g.nodes) - 2} more)" in short and p.top()[0] in short
    assert repr(p).startswith(f"<Profile: {len(g.nodes)} nodes, pass ")


def test_profile_and_Profile_are_exported():
    assert graphnn.profile is profile and graphnn.Profile is Profile
    assert "profile" in graphnn.__all__ and "Profile" in graphnn.__all__
