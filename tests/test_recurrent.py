"""Recurrence as a graph (issue 27): the Elman RNN and the GRU unrolled by ``gn.unroll`` agree
with ``torch.nn.RNN`` and ``torch.nn.GRU`` with the same weights, forward and backward
(float64, 1e-10 relative); every step shares the cell's ``Parameter`` objects; the new
element-wise layers agree with torch; the unrolled graph is checked by central differences.
"""
import numpy as np
import pytest

import graphnn as gn
from graphnn.grading.gradcheck import numerical_gradient, relative_error

torch = pytest.importorskip("torch")

RTOL = 1e-10
CELLS = pytest.mark.parametrize("make_cell, torch_kind", [
    (lambda D, H: gn.RNNCell(D, H, seed=1), "RNN"),
    (lambda D, H: gn.GRUCell(D, H, seed=1), "GRU"),
], ids=["rnn", "gru"])


def sequence_graph(cell, T, objective=True, h0=None):
    """X (N x T D) -> unroll -> the last state -> a readout -> SquaredError against Y."""
    g = gn.Graph()
    X = g.input("X")
    if h0 is not None:
        h0 = g.input(h0)
    states = gn.unroll(g, cell, X, steps=T, h0=h0)
    readout = gn.FullyConnectedLayer(cell.hidden_size, 1, seed=3)
    readout.setWeights(np.random.default_rng(3).standard_normal((cell.hidden_size, 1)))  # O(1) gradients
    out = g.add(readout, states[-1], name="readout")
    if objective:
        g.add(gn.SquaredError(), g.input("Y"), out)
    return g, states, out


def torch_pass(cell, X, Y, readout, T, h0=None):
    """J, the states and the gradients of the same network in torch (float64)."""
    module = cell.to_torch()
    D = cell.input_size
    x = torch.tensor(X.reshape(len(X), T, D), requires_grad=True)
    h = None if h0 is None else torch.tensor(h0[None], requires_grad=True)
    states, _ = module(x) if h is None else module(x, h)
    W = torch.tensor(readout.weights.value, requires_grad=True)
    b = torch.tensor(readout.biases.value, requires_grad=True)
    yhat = states[:, -1] @ W + b
    J = torch.mean((torch.tensor(Y) - yhat) ** 2)
    J.backward()
    return J, states, module, x, h, W, b


@CELLS
@pytest.mark.parametrize("T", [1, 5])
def test_unrolled_cell_agrees_with_torch_forward_and_backward(make_cell, torch_kind, T):
    D, H, N = 3, 4, 6
    cell = make_cell(D, H)
    g, states, out = sequence_graph(cell, T)
    rng = np.random.default_rng(T)
    X, Y = rng.standard_normal((N, T * D)), rng.standard_normal((N, 1))
    J = g.forward(X=X, Y=Y)
    g.backward()
    g.set_requires_grad("X")
    g.forward(X=X, Y=Y)
    g.backward()
    Jt, torch_states, module, x, _, W, b = torch_pass(cell, X, Y, g.op("readout"), T)
    assert relative_error(J, Jt.item()) < RTOL
    for t, name in enumerate(states):
        assert relative_error(g.value(name), torch_states[:, t].detach().numpy()) < RTOL
    # Parameter gradients: the sum over the steps, against torch's packed ones.
    grads = dict(zip(cell.names, (p.grad for p in cell.parameters())))
    if torch_kind == "RNN":
        expected = {"W_ih": module.weight_ih_l0.grad.T, "W_hh": module.weight_hh_l0.grad.T,
                    "b_ih": module.bias_ih_l0.grad[None], "b_hh": module.bias_hh_l0.grad[None]}
    else:
        expected = {}
        for kind in "ih":
            w, bias = getattr(module, f"weight_{kind}h_l0").grad, getattr(module, f"bias_{kind}h_l0").grad
            for k, gate in enumerate("rzn"):
                expected[f"W_{kind}{gate}"] = w[k * H:(k + 1) * H].T
                expected[f"b_{kind}{gate}"] = bias[None, k * H:(k + 1) * H]
    for name, grad in grads.items():
        assert relative_error(grad, expected[name].numpy()) < RTOL, name
    readout = g.op("readout")
    assert relative_error(readout.weights.grad, W.grad.numpy()) < RTOL
    # The input gradient, per observation (N dJ/dX, docs/conventions.md).
    assert relative_error(g.grad("X"), N * x.grad.numpy().reshape(N, T * D)) < RTOL


@CELLS
def test_a_fed_initial_state_agrees_with_torch(make_cell, torch_kind):
    D, H, N, T = 2, 3, 4, 3
    cell = make_cell(D, H)
    g, states, _ = sequence_graph(cell, T, h0="H0")
    g.set_requires_grad("H0")
    rng = np.random.default_rng(7)
    X, Y, H0 = rng.standard_normal((N, T * D)), rng.standard_normal((N, 1)), rng.standard_normal((N, H))
    J = g.forward(X=X, Y=Y, H0=H0)
    g.backward()
    Jt, _, _, _, h, _, _ = torch_pass(cell, X, Y, g.op("readout"), T, h0=H0)
    assert relative_error(J, Jt.item()) < RTOL
    assert relative_error(g.grad("H0"), N * h.grad.numpy()[0]) < RTOL


@CELLS
def test_every_step_holds_the_cells_parameters(make_cell, torch_kind):
    cell = make_cell(2, 3)
    g, _, _ = sequence_graph(cell, 4)
    held = {id(p) for name in g.nodes if g.nx.nodes[name]["kind"] == "layer"
            for p in g.op(name).parameters()}
    assert {id(p) for p in cell.parameters()} <= held
    # distinct parameters: the cell's, the initial state, the readout's two
    assert len(g.parameters()) == len(cell.parameters()) + 1 + 2


@CELLS
def test_the_learned_initial_state_gets_the_gradient_at_the_start(make_cell, torch_kind):
    D, H, N, T = 2, 3, 5, 3
    cell = make_cell(D, H)
    g, _, _ = sequence_graph(cell, T)
    rng = np.random.default_rng(11)
    X, Y = rng.standard_normal((N, T * D)), rng.standard_normal((N, 1))
    g.forward(X=X, Y=Y)
    g.backward()
    state = g.op(f"{cell.short_name}.h0").state
    Jt, _, module, _, h, _, _ = torch_pass(cell, X, Y, g.op("readout"), T, h0=np.zeros((N, H)))
    assert relative_error(state.grad, h.grad.numpy()[0].sum(axis=0, keepdims=True)) < RTOL


@CELLS
def test_central_differences_through_time(make_cell, torch_kind):
    D, H, N, T = 2, 3, 3, 4
    cell = make_cell(D, H)
    g, _, _ = sequence_graph(cell, T)
    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((N, T * D)), rng.standard_normal((N, 1))
    g.forward(X=X, Y=Y)
    g.backward()
    for parameter in cell.parameters():
        analytic = parameter.grad.copy()
        numeric = numerical_gradient(lambda: g.forward(X=X, Y=Y), parameter.value)
        assert relative_error(analytic, numeric) < 1e-6, parameter.name


@CELLS
def test_torch_round_trip_of_a_cell(make_cell, torch_kind):
    cell = make_cell(3, 2)
    module = cell.to_torch()
    assert type(module).__name__ == torch_kind
    again = type(cell).from_torch(module)
    for a, b in zip(cell.parameters(), again.parameters()):
        np.testing.assert_array_equal(a.value, b.value)


def test_a_list_of_step_inputs_is_the_same_network():
    cell = gn.RNNCell(2, 3, seed=0)
    g1, s1, _ = sequence_graph(cell, 3, objective=False)
    g2 = gn.Graph()
    xs = [g2.input(f"x{t}") for t in (1, 2, 3)]
    s2 = gn.unroll(g2, cell, xs)
    X = np.random.default_rng(0).standard_normal((4, 6))
    g1.forward(X=X)
    g2.forward(x1=X[:, :2], x2=X[:, 2:4], x3=X[:, 4:])
    np.testing.assert_allclose(g1.value(s1[-1]), g2.value(s2[-1]), rtol=1e-14)


def test_unroll_names_its_mistakes():
    g = gn.Graph()
    X = g.input("X")
    cell = gn.RNNCell(2, 3, seed=0)
    with pytest.raises(gn.GraphError, match="steps=T"):
        gn.unroll(g, cell, X)
    with pytest.raises(ValueError, match="steps"):
        gn.unroll(g, cell, X, steps=0)
    with pytest.raises(gn.GraphError, match="unknown node"):
        gn.unroll(g, cell, "nope", steps=2)
    with pytest.raises(ValueError, match="RNNCell or a GRUCell"):
        gn.unroll(g, gn.TanhLayer(), X, steps=2)
    first = gn.unroll(g, cell, X, steps=2)
    second = gn.unroll(g, cell, X, steps=2)  # a second network, numbered
    assert first[0].startswith("rnn.") and second[0].startswith("rnn2.")
    with pytest.raises(gn.GraphError, match="already has nodes"):
        gn.unroll(g, cell, X, steps=2, name="rnn")
    with pytest.raises(ValueError, match="hidden_size"):
        gn.GRUCell(2, 0)
    with pytest.raises(ValueError, match="expected a torch.nn.GRU"):
        gn.GRUCell.from_torch(torch.nn.RNN(2, 3))


# --- the element-wise layers a gated cell needs, against torch ------------------------------

def test_multiply_layer_agrees_with_torch():
    rng = np.random.default_rng(0)
    a, b, G = (rng.standard_normal((5, 3)) for _ in range(3))
    layer = gn.MultiplyLayer()
    out = layer.forward(a, b)
    ga, gb = layer.backward(G)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (ta * tb).backward(torch.tensor(G))
    np.testing.assert_array_equal(out, (ta * tb).detach().numpy())
    np.testing.assert_allclose(ga, ta.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-15)


def test_one_minus_slice_and_initial_state_agree_with_torch():
    rng = np.random.default_rng(1)
    x, G = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    tx = torch.tensor(x, requires_grad=True)
    (1 - tx).backward(torch.tensor(G))
    layer = gn.OneMinusLayer()
    np.testing.assert_array_equal(layer.forward(x), 1 - x)
    np.testing.assert_array_equal(layer.backward(G), tx.grad.numpy())
    tx.grad = None
    tx[:, 2:5].backward(torch.tensor(G[:, :3]))
    s = gn.SliceLayer(2, 5)
    np.testing.assert_array_equal(s.forward(x), x[:, 2:5])
    np.testing.assert_array_equal(s.backward(G[:, :3]), tx.grad.numpy())
    init = gn.InitialStateLayer(3)
    init.state.value = rng.standard_normal((1, 3))
    out = init.forward(x)
    np.testing.assert_array_equal(out, np.repeat(init.state.value, 4, axis=0))
    init.zero_grad()
    np.testing.assert_array_equal(init.backward(G[:, :3]), np.zeros_like(x))
    np.testing.assert_allclose(init.state.grad, G[:, :3].mean(axis=0, keepdims=True))


def test_layers_refuse_what_they_cannot_take():
    with pytest.raises(ValueError, match=r"MultiplyLayer.*input 1"):
        gn.MultiplyLayer().forward(np.ones((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"SliceLayer \[1:4\].*needs at least 4"):
        gn.SliceLayer(1, 4).forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="stop"):
        gn.SliceLayer(2, 2)
    with pytest.raises(ValueError, match="width"):
        gn.InitialStateLayer(0)


# --- the diagrams fold the unrolled steps -------------------------------------------------

def trained_pass(cell, T, N=3):
    g, states, _ = sequence_graph(cell, T)
    rng = np.random.default_rng(0)
    g.forward(X=rng.standard_normal((N, T * cell.input_size)), Y=rng.standard_normal((N, 1)))
    g.backward()
    return g


@CELLS
def test_the_diagrams_fold_the_time_steps_into_one_box_with_a_loop(make_cell, torch_kind, tmp_path):
    from graphnn.views import _layout
    from graphnn.views.render import gradient_diagram, network_diagram, render

    cell = make_cell(2, 4)
    g = trained_pass(cell, 5)
    name = cell.short_name
    drawing = _layout.plan(g)
    (fold,) = drawing.folds
    assert fold.steps == name and fold.repeats == 5
    steps = [n for n in g.nodes if n.startswith(f"{name}.t")]
    assert set(fold.members) == set(steps)
    loops = [e for e in drawing.edges if e.carried]
    assert len(loops) == 1 and loops[0].tail == loops[0].head == fold.id
    network = network_diagram(g).source
    tied = sum(int(p.size) for p in cell.parameters())
    assert f"<b>{name}: 5 time steps</b>" in network
    assert f"{tied:,} params, tied across steps" in network
    assert "h(t-1) -&gt; step t: 3 x 4" in network
    merged = [e for e in drawing.edges if e.merged]
    assert {(e.source, len(e.edges)) for e in merged} >= {("X", 5)}   # one arrow for the 5 slices
    assert "5 edges: 3 x 10" in network
    assert f"{name}.t3.h [" not in network
    gradients = gradient_diagram(g).source
    assert "mean|g| inside" in gradients and "|grad| params" in gradients
    h0_edges = [g.last_pass.edge_grad(*e) for e in g.nx.out_edges(f"{name}.h0", keys=True)]
    low, high = (min(np.abs(x).mean() for x in h0_edges), max(np.abs(x).mean() for x in h0_edges))
    from graphnn.views.drawing import format_number
    if len(h0_edges) > 1:  # the GRU's h0 feeds four layers of step 1: one arrow, their range
        assert f"{len(h0_edges)} edges" in gradients
        assert f"mean|g| {format_number(low)} to {format_number(high)}" in gradients
    # fold=False shows every step; fewer steps than fold are not folded
    assert not _layout.plan(g, fold=False).folds
    assert not _layout.plan(trained_pass(make_cell(2, 4), 3)).folds
    assert render(g, tmp_path / "rnn.png").stat().st_size > 0


def test_a_step_cut_by_node_range_is_drawn_unfolded():
    from graphnn.views import _layout

    g = trained_pass(gn.RNNCell(2, 3, seed=0), 6)
    nodes = g.nodes
    drawing = _layout.plan(g, node_range=(nodes[nodes.index("rnn.t2.sum")], nodes[-1]))
    assert all(f.steps is None for f in drawing.folds)


# --- the replay of backpropagation through time -------------------------------------------

def test_the_replay_of_an_unrolled_rnn_fills_the_shared_weights_gradient_step_by_step():
    cell = gn.RNNCell(2, 3, seed=0)
    g = trained_pass(cell, 4)
    frames = g.replay().frames
    shares = [f for f in frames if f.phase == "backward" and f.node.endswith(".hw")]
    assert [f.node for f in shares] == ["rnn.t4.hw", "rnn.t3.hw", "rnn.t2.hw", "rnn.t1.hw"]  # back in time
    assert all("dW_hh" in f.caption for f in shares)
    steps = g.last_pass.backward_steps()
    added = [s.parameters["W_hh"] for s in steps if "W_hh" in s.parameters]
    np.testing.assert_allclose(sum(added), cell.W_hh.grad, rtol=1e-13)   # the sum over the steps
    rules = {f.node: f.rule for f in frames if f.phase == "backward"}
    assert rules["rnn.h0"][1] == "d state = mean(G);  0 to the input"


def test_a_replay_of_dropout_and_batch_norm_says_the_mode_each_ran_in():
    g = gn.Graph.sequential(gn.FullyConnectedLayer(3, 4, seed=0), gn.BatchNormLayer(4),
                            gn.DropoutLayer(0.5, seed=0), objective=gn.SquaredError())
    X, Y = np.random.default_rng(0).standard_normal((5, 3)), np.ones((5, 4))
    for mode in ("training", "inference"):
        g.training = mode == "training"
        g.forward(X=X, Y=Y)
        g.backward()
        frames = {(f.phase, f.node): f for f in g.replay().frames}
        for node in ("batchnorm1", "dropout1"):
            assert f", in {mode} mode" in frames[("forward", node)].caption
            assert f", in {mode} mode" in frames[("backward", node)].caption
            assert frames[("backward", node)].rule[0].startswith(f"{mode} mode")
        assert ", in" not in frames[("forward", "fc1")].caption


def test_a_replay_of_a_20_step_rnn_builds_and_plays_in_chromium(tmp_path, browser):
    # Its build time is measured by benchmarks/replay_rnn.py, never asserted here.
    g = trained_pass(gn.RNNCell(2, 4, seed=0), 20)
    replay = g.replay()
    path = replay.save(tmp_path / "bptt.html")
    problems = []
    page = browser.new_page(viewport={"width": 1400, "height": 700})
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(path.as_uri())
    assert page.inner_text("#caption").startswith("Forward step 1 of")
    page.keyboard.press("End")
    assert page.inner_text("#caption").startswith(f"Backward step {len(replay) - len(g.nodes)} of")
    assert "rnn.h0" in page.text_content("#picture svg")
    page.close()
    assert not problems
