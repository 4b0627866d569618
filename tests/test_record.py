"""The record of a pass (``Graph.last_pass``): what forward and backward computed, in order.

The record is what the views read, so it must agree with the graph's own answers (``value``,
``grad``, ``edge_grad``, ``grad_out``, ``Parameter.grad``), its steps must follow the plan's
order, and it must describe one pass only: the next pass or a change of the graph replaces it.
"""
import numpy as np
import pytest

import graphnn as gn
from graphnn.core import INPUT, OBJECTIVE, GraphError
from graphnn.core.plan import FUSED_STEP, LAYER_STEP, OBJECTIVE_STEP, PARAMETERS_STEP
from graphs import kidcreative_chain
from test_graph import SEED, fan_out_graph, residual_graph, tied_graph, twice_graph

BUILDERS = [fan_out_graph, residual_graph, tied_graph, twice_graph]


def ran(builder, **options):
    g, feed = builder(np.random.default_rng(SEED), **options)
    g.forward(feed)
    g.backward()
    return g, feed


@pytest.mark.parametrize("builder", BUILDERS)
def test_forward_steps_are_the_inputs_then_the_topological_order_with_their_values(builder):
    g, _ = ran(builder)
    steps = g.last_pass.forward_steps()
    assert [s.index for s in steps] == list(range(len(g.nodes)))
    inputs = [n for n in g.nodes if g.nx.nodes[n]["kind"] == INPUT]
    assert [s.node for s in steps] == inputs + [n for n in g.nodes if n not in inputs]
    for step in steps:
        assert step.value is g.value(step.node)
        assert step.op is g.op(step.node)
        assert list(step.sources) == g.predecessors(step.node)


@pytest.mark.parametrize("builder", BUILDERS)
def test_backward_steps_follow_the_reverse_order_and_hold_what_the_graph_answers(builder):
    g, _ = ran(builder)
    record = g.last_pass
    steps = record.backward_steps()
    order = [n for n in reversed(g.nodes)]
    names = [s.node for s in steps]
    assert names == sorted(names, key=order.index)  # reverse topological
    assert steps[0].index == len(g.nodes)  # numbered on from the forward steps
    for step in steps:
        if step.kind == OBJECTIVE_STEP:
            assert step.grad_out == g.nx.nodes[step.node]["weight"]
        else:
            assert np.array_equal(step.grad_out, g.grad(step.node))
        for (source, target, slot), gradient in step.sent.items():
            assert gradient is g.last_pass.edge_grad(source, target, slot) or np.array_equal(
                gradient, g.last_pass.edge_grad(source, target, slot))


def test_fan_out_fills_up_to_the_summed_gradient_at_its_last_consumer():
    g, _ = ran(fan_out_graph)
    consumers = {}
    running = None
    for step in g.last_pass.backward_steps():
        for (source, target, slot), gradient in step.sent.items():
            if source == "h":
                consumers[target] = step.index
                running = gradient if running is None else running + gradient
    assert sorted(consumers) == ["a_fc", "b_fc"]
    assert np.array_equal(running, g.grad("h"))


def test_tied_weights_each_step_adds_its_own_share_and_the_shares_sum_to_the_gradient():
    g, feed = ran(tied_graph)
    n = feed["x"].shape[0]
    added = {s.node: s.parameters for s in g.last_pass.backward_steps() if s.parameters}
    # Each use's share, computed independently from its input and output gradient: X^T G / N.
    assert np.allclose(added["fc1"]["weights"], g.value("x").T @ g.grad("fc1") / n, rtol=1e-12, atol=1e-15)
    assert np.allclose(added["fc2"]["weights"], g.value("t1").T @ g.grad("fc2") / n, rtol=1e-12, atol=1e-15)
    assert np.allclose(added["fc1"]["weights"] + added["fc2"]["weights"], g.op("fc1").weights.grad,
                       rtol=1e-12, atol=1e-15)
    # Unshared biases: what the step added is the whole gradient.
    assert np.array_equal(added["fc1"]["biases"], g.op("fc1").biases.grad)
    assert g.last_pass.parameter_grads("fc1")["weights"] is g.op("fc1").weights.grad


def test_the_kidcreative_chain_fused_and_parameters_only_steps():
    X, Y = gn.load_kidcreative()
    g = kidcreative_chain(X)
    g.forward(X=X, Y=Y)
    g.backward()
    steps = g.last_pass.backward_steps()
    assert [(s.node, s.kind) for s in steps] == [("loss", FUSED_STEP), ("fc", PARAMETERS_STEP)]
    fused = steps[0]
    assert fused.activation == "sigmoid"
    assert list(fused.sent) == [("fc", "sigmoid", 0)]
    # Yhat - Y per observation, the fused rule, computed here from the values.
    assert np.allclose(fused.sent["fc", "sigmoid", 0], g.value("sigmoid") - Y, rtol=1e-12, atol=0)
    assert steps[1].sent == {("input", "fc", 0): None}  # the data needs no gradient
    # Unfused: the seed's loop, step by step, every edge carrying a gradient.
    g = kidcreative_chain(X, requires_grad=True, fuse=False)
    g.forward(X=X, Y=Y)
    g.backward()
    steps = g.last_pass.backward_steps()
    assert [(s.node, s.kind) for s in steps] == [
        ("loss", OBJECTIVE_STEP), ("sigmoid", LAYER_STEP), ("fc", LAYER_STEP), ("input", LAYER_STEP)]
    assert list(steps[0].sent) == [("sigmoid", "loss", 1)]  # nothing flows into the target
    # The seed's Part 3: the mean gradient out of the sigmoid, 0.3142 (0.31424251 in the seed).
    assert steps[1].sent["fc", "sigmoid", 0].mean() == pytest.approx(0.31424251, abs=1e-3)


def test_steps_is_forward_then_backward_and_backward_steps_need_a_backward():
    g, feed = twice_graph(np.random.default_rng(SEED))
    g.forward(feed)
    record = g.last_pass
    assert not record.has_gradients
    assert [s.node for s in record.steps()] == [s.node for s in record.forward_steps()]
    with pytest.raises(GraphError, match="call backward first"):
        record.backward_steps()
    g.backward()
    assert len(record.steps()) == len(record.forward_steps()) + len(record.backward_steps())


def test_a_record_describes_one_pass():
    g, feed = ran(fan_out_graph)
    first = g.last_pass
    kept = first.value("h").copy()
    other = {name: value * 2.0 for name, value in feed.items()}
    g.forward(other)
    assert g.last_pass is not first
    assert np.array_equal(first.value("h"), kept)  # the old record keeps its values
    assert not g.has_gradients and g.last_pass.replaced_gradients
    for ask in (lambda: g.grad("h"), lambda: g.edge_grad("h", "a_fc"), lambda: g.grad_out("a_fc")):
        with pytest.raises(GraphError, match="a later forward pass .* replaced those of the last backward"):
            ask()
    with pytest.raises(GraphError, match="a later forward pass"):
        g.to_dot(view="gradients")
    g.backward()
    assert g.has_gradients
    # A change of the structure drops the record: it no longer describes the graph.
    g.input("another")
    with pytest.raises(GraphError, match="no pass to show"):
        g.last_pass
    assert not g.has_values


def test_a_forward_pass_that_fails_leaves_no_record():
    g, feed = ran(fan_out_graph)
    with pytest.raises(GraphError):
        g.forward({**feed, "x": np.ones((3, 99))})
    with pytest.raises(GraphError, match="no pass to show"):
        g.last_pass
    with pytest.raises(GraphError, match="call forward, then backward"):
        g.grad("h")


def test_the_record_answers_like_the_graph_including_its_errors():
    g, feed = ran(fan_out_graph)
    record = g.last_pass
    for name in g.nodes:
        assert record.value(name) is g.value(name)
        if g.nx.nodes[name]["kind"] == OBJECTIVE:
            with pytest.raises(GraphError, match="is an objective"):
                record.grad(name)
    with pytest.raises(GraphError, match="unknown node 'nope'"):
        record.value("nope")
    with pytest.raises(GraphError, match="there is no edge"):
        record.edge_grad("a_fc", "h")



def test_forward_and_backward_steps_carry_kind_and_op():
    g, _ = ran(fan_out_graph)
    for step in g.last_pass.forward_steps():
        assert step.kind == g.nx.nodes[step.node]["kind"]
    for step in g.last_pass.backward_steps():
        assert step.op is g.op(step.node)


def test_a_record_asked_for_gradients_before_its_backward_says_to_run_it():
    g, feed = fan_out_graph(np.random.default_rng(SEED))
    g.forward(feed)
    record = g.last_pass
    layer = next(n for n in g.nodes if g.nx.nodes[n]["kind"] == "layer")
    source = g.predecessors(layer)[0]
    for ask in (lambda: record.grad(layer), lambda: record.grad_out(layer),
                lambda: record.edge_grad(source, layer), lambda: record.parameter_grads(layer)):
        with pytest.raises(GraphError, match=f"no gradients for '{layer}' yet: call forward, then backward"):
            ask()


def test_parameter_grads_of_an_input_or_an_objective_are_empty():
    g, _ = ran(fan_out_graph)
    for name in g.nodes:
        if g.nx.nodes[name]["kind"] != "layer":
            assert g.last_pass.parameter_grads(name) == {}


def test_a_backward_that_fails_half_way_leaves_no_gradients_to_read():
    from test_bad_inputs import holey_graph

    g = holey_graph()
    g.op("fc").setWeights(np.eye(3)[:, :2])
    g.forward(X=np.array([[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]]), Y=np.zeros((2, 2)))
    with pytest.raises(FloatingPointError):
        g.backward(check_finite=True)
    assert not g.has_gradients and not g.last_pass.has_gradients
    with pytest.raises(GraphError, match="call forward, then backward"):
        g.grad("fc")
