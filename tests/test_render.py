"""Tests of graphnn.views.render: the network view and the gradient-flow view (issue 4).

1. The DOT text of the network view holds every node (name, class, output shape, parameter
   count), every edge with the shape it carries, and the total parameter count, for the
   seed's chain and for a DAG with fan-out and a value fed twice into one node.
2. The gradient view's numbers are the graph's own gradients (``edge_grad``, ``grad``,
   ``Parameter.grad``), formatted by ``format_number``; on the seed's chain and the Kid Creative
   data they are the seed's numbers (1.257 out of LogLoss, 0.3142 out of the sigmoid).
   Vanishing and exploding gradients are flagged, targets carry no gradient.
3. Files: ``.dot`` needs no Graphviz; SVG/PNG/PDF come from ``dot``, and the SVG has one
   node group per graph node (plus the legend); without ``dot`` a ``RenderError`` says how to
   install Graphviz and the ``.dot`` file is still written.
4. Determinism (same graph, same bytes), argument checks, a 50-layer chain.
5. A ``graphnn.views.profiler.Profile`` drawn on the network view: each node's times, bytes and
   share, its fill darker the larger its share; the pass time and graph overhead in the legend;
   the same profile gives the same text.
"""
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from graphviz.quoting import quote

from graphnn import (
    AddLayer, ConcatLayer, FullyConnectedLayer, Graph, GraphError, InputLayer, LinearLayer,
    LogisticSigmoidLayer, LogLoss, Parameter, SquaredError, TanhLayer,
)
from graphnn.datasets import load_kidcreative
from graphs import kidcreative_chain
from graphnn.views.profiler import NodeProfile, Profile, profile
from graphnn.views.render import (
    EXPLODING, LEGEND_NODE, VANISHING, RenderError, format_number, gradient_diagram,
    network_diagram, render, to_dot,
)

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


# ---------------------------------------------------------------------------------- graphs
@pytest.fixture(scope="module")
def kidcreative():
    return load_kidcreative()


def seed_chain(X, requires_grad=True):
    """The seed's chain, X requiring a gradient so that the diagram shows every gradient of
    the seed's Part 3."""
    return kidcreative_chain(X, requires_grad=requires_grad)


@pytest.fixture
def seed(kidcreative):
    X, Y = kidcreative
    g = seed_chain(X)
    g.forward(X=X, Y=Y)
    g.backward()
    return g


def fanout_dag(seed=0):
    """``z`` feeds two layers, ``fa`` feeds ``add`` and ``cat``, ``tanh`` feeds ``twice``
    through both slots (``x + x``); one objective."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(20, 3)), rng.uniform(size=(20, 1))
    g = Graph()
    x, y = g.input("X", requires_grad=True), g.input("Y")
    z = g.add(InputLayer(X), x, name="z")
    a = g.add(FullyConnectedLayer(3, 4, seed=1), z, name="fa")
    b = g.add(FullyConnectedLayer(3, 4, seed=2), z, name="fb")
    s = g.add(AddLayer(), a, b, name="add")
    t = g.add(TanhLayer(), s, name="tanh")
    tw = g.add(AddLayer(), t, t, name="twice")
    c = g.add(ConcatLayer(), tw, a, name="cat")
    o = g.add(FullyConnectedLayer(8, 1, seed=3), c, name="out")
    p = g.add(LogisticSigmoidLayer(), o, name="p")
    g.add(LogLoss(), y, p, name="loss")
    # Weights of order 1, so that gradients are neither vanishing nor exploding.
    for name in ("fa", "fb", "out"):
        fc = g.op(name)
        fc.setWeights(rng.normal(size=fc.getWeights().shape))
    return g, X, Y


@pytest.fixture
def dag():
    g, X, Y = fanout_dag()
    g.forward(X=X, Y=Y)
    g.backward()
    return g


def all_edges(g):
    return sorted(g.nx.edges(keys=True))


# ---------------------------------------------------------------------------------- DOT helpers
def node_line(source, name):
    """The DOT statement of node ``name`` (one line: labels have no newlines)."""
    lines = [l for l in source.splitlines() if l.lstrip("\t").startswith(f"{quote(name)} [")]
    assert len(lines) == 1, (name, lines)
    return lines[0]


def edge_lines(source, u, v):
    """The DOT statements of every edge ``u -> v``, in the order they were drawn."""
    return [l for l in source.splitlines() if l.startswith(f"\t{quote(u)} -> {quote(v)} [")]


def edge_line(source, g, u, v, slot):
    """The statement of edge ``(u, v, slot)``: edges into ``v`` are drawn in slot order."""
    slots = sorted(k for s, _, k in g.nx.in_edges(v, keys=True) if s == u)
    lines = edge_lines(source, u, v)
    assert len(lines) == len(slots), (u, v, lines)
    return lines[slots.index(slot)]


def expected_edge_numbers(g, u, v, slot):
    grad = g.edge_grad(u, v, slot)
    return f"mean {format_number(grad.mean())}", f"mean|g| {format_number(np.abs(grad).mean())}"


# ---------------------------------------------------------------------------------- format
@pytest.mark.parametrize("value, text", [
    (0.3142826, "0.3143"), (1.2571306, "1.257"), (17, "17"), (-4.7142e-07, "-4.714e-7"),
    (2.0e6, "2e6"), (0.0, "0"), (-0.0, "0"), (123456.0, "1.235e5"), (float("nan"), "nan"),
])
def test_format_number(value, text):
    assert format_number(value) == text


# ---------------------------------------------------------------------------------- network view
def test_network_view_of_the_seed_chain(seed):
    source = network_diagram(seed).source
    expected = {
        "X": ["<b>X</b>", "input", "out 673 x 16"],
        "Y": ["<b>Y</b>", "input", "out 673 x 1"],
        "input": ["<b>input</b>", "InputLayer 16", "out 673 x 16 | 0 params"],
        "fc": ["<b>fc</b>", "FullyConnectedLayer 16-&gt;1", "out 673 x 1 | 17 params"],
        "sigmoid": ["<b>sigmoid</b>", "LogisticSigmoidLayer", "out 673 x 1 | 0 params"],
        "loss": ["<b>loss</b>", "LogLoss", f"J = {format_number(seed.value('loss'))}"],
    }
    for name, texts in expected.items():
        line = node_line(source, name)
        for text in texts:
            assert text in line, (name, text, line)
    assert "J = 0.6932" in node_line(source, "loss")  # the seed's J at the start
    edges = {
        ("X", "input", 0): "673 x 16", ("input", "fc", 0): "673 x 16",
        ("fc", "sigmoid", 0): "673 x 1", ("Y", "loss", 0): "target: 673 x 1",
        ("sigmoid", "loss", 1): "estimate: 673 x 1",
    }
    assert sorted(edges) == all_edges(seed)
    for (u, v, slot), text in edges.items():
        assert f">{text}<" in edge_line(source, seed, u, v, slot)
    assert source.count(" -> ") == 5
    assert "total parameters: 17" in node_line(source, LEGEND_NODE)


def test_layers_inputs_and_objectives_are_styled_apart(seed):
    source = network_diagram(seed).source
    styles = {kind: re.search(r'fillcolor="(#[0-9a-f]+)"', node_line(source, name)).group(1)
              for kind, name in (("input", "X"), ("layer", "fc"), ("objective", "loss"))}
    assert len(set(styles.values())) == 3
    assert styles["layer"] in node_line(source, "sigmoid")
    assert styles["input"] in node_line(source, "Y")


def test_network_view_before_forward_shows_question_marks(kidcreative):
    X, _ = kidcreative
    source = seed_chain(X).to_dot().source
    assert "out ? | 17 params" in node_line(source, "fc")
    assert "J = ?" in node_line(source, "loss")
    assert ">?<" in edge_lines(source, "fc", "sigmoid")[0]
    assert "673 x" not in source
    assert "until a forward pass" in source


def test_network_view_of_a_dag_with_fanout_and_a_value_fed_twice(dag):
    source = network_diagram(dag).source
    for name in dag.nodes:
        assert f"<b>{name}</b>" in node_line(source, name)
    assert "out 20 x 4 | 16 params" in node_line(source, "fa")
    assert "AddLayer 2 inputs" in node_line(source, "twice")
    assert "out 20 x 8 | 0 params" in node_line(source, "cat")
    assert "out 20 x 1 | 9 params" in node_line(source, "out")
    # Every edge once, including both edges tanh -> twice and the two out of z and fa.
    assert source.count(" -> ") == len(all_edges(dag)) == 14
    for u, v, slot in all_edges(dag):
        assert edge_line(source, dag, u, v, slot)
    twice = edge_lines(source, "tanh", "twice")
    assert len(twice) == 2
    assert ">in 0: 20 x 4<" in twice[0] and ">in 1: 20 x 4<" in twice[1]
    assert ">in 1: 20 x 4<" in edge_line(source, dag, "fa", "cat", 1)
    assert len(edge_lines(source, "z", "fa")) == len(edge_lines(source, "z", "fb")) == 1
    assert "total parameters: 41" in source  # 16 + 16 + 9


def test_shared_parameters_are_counted_once_in_the_total():
    g = Graph()
    x, y = g.input("X"), g.input("Y")
    f1 = FullyConnectedLayer(2, 2, seed=0)
    f2 = FullyConnectedLayer(2, 2, seed=1)
    f2.weights = f1.weights  # tied weights: 4 shared entries
    h = g.add(f2, g.add(f1, x))
    g.add(SquaredError(), y, h)
    source = network_diagram(g).source
    assert source.count("6 params") == 2
    assert "total parameters: 8 (shared counted once)" in source


def test_node_names_that_need_quoting(tmp_path):
    g = Graph()
    x, y = g.input("graph"), g.input("Y")  # a DOT keyword
    h = g.add(LinearLayer(), x, name="a.b-c")
    g.add(SquaredError(), y, h, name="node")
    g.forward({"graph": np.ones((2, 1)), "Y": np.zeros((2, 1))})
    g.backward()
    for view in ("network", "gradients"):
        source = g.to_dot(view).source
        assert '\t"graph" -> "a.b-c" [' in source and '\t"a.b-c" -> "node" [' in source
        if shutil.which("dot"):
            titles = svg_node_titles(g.render(tmp_path / f"{view}.svg", view=view))
            assert titles == {"graph", "Y", "a.b-c", "node", LEGEND_NODE}


# ---------------------------------------------------------------------------------- gradient view
def test_gradient_view_of_the_seed_chain_shows_the_seeds_numbers(seed):
    source = gradient_diagram(seed).source
    # The seed's Part 3 (weights in [-1e-4, 1e-4]): mean gradient out of LogLoss about 1.257,
    # out of the sigmoid about 0.3142.
    out_of_loss = seed.edge_grad("sigmoid", "loss", 1)
    out_of_sigmoid = seed.edge_grad("fc", "sigmoid", 0)
    assert np.mean(out_of_loss) == pytest.approx(1.257, abs=1e-3)
    assert np.mean(out_of_sigmoid) == pytest.approx(0.3142, abs=1e-4)
    np.testing.assert_array_equal(out_of_loss, seed.grad_out("loss"))
    np.testing.assert_array_equal(out_of_sigmoid, seed.grad_out("sigmoid"))
    loss_edge = edge_line(source, seed, "sigmoid", "loss", 1)
    assert ">mean 1.257<" in loss_edge
    assert f">mean|g| {format_number(np.abs(out_of_loss).mean())}<" in loss_edge
    assert ">mean 0.3143<" in edge_line(source, seed, "fc", "sigmoid", 0)  # 0.31428...
    # The label's number is the gradient's mean to 4 significant digits.
    shown = float(re.search(r">mean ([^<]+)<", loss_edge).group(1))
    assert shown == pytest.approx(np.mean(out_of_loss), rel=5e-4)
    # Every edge that carries a gradient shows its mean and mean |g|, arrow pointing back.
    for u, v, slot in all_edges(seed):
        line = edge_line(source, seed, u, v, slot)
        if (u, v) == ("Y", "loss"):
            assert "no gradient (target)" in line and "dashed" in line and "mean" not in line
            continue
        mean, magnitude = expected_edge_numbers(seed, u, v, slot)
        assert f">{mean}" in line and f">{magnitude}<" in line and "dir=back" in line
    # 16 columns: the mean over every entry, and the label says so.
    mean, _ = expected_edge_numbers(seed, "X", "input", 0)
    assert f">{mean} (over 16 cols)<" in edge_line(source, seed, "X", "input", 0)
    # Parameter gradient norms on the fully connected node.
    fc = seed.op("fc")
    norms = (f"|grad| weights {format_number(np.linalg.norm(fc.weights.grad))}, "
             f"biases {format_number(np.linalg.norm(fc.biases.grad))}")
    assert norms in node_line(source, "fc")
    assert "|grad|" not in node_line(source, "sigmoid")
    assert "J = 0.6932" in node_line(source, "loss")


def test_gradient_view_of_a_dag_shows_fanout_sums(dag):
    source = dag.to_dot("gradients").source
    assert source.count(" -> ") == len(all_edges(dag))
    for u, v, slot in all_edges(dag):
        line = edge_line(source, dag, u, v, slot)
        if (u, v) == ("Y", "loss"):
            assert "no gradient (target)" in line
            continue
        mean, magnitude = expected_edge_numbers(dag, u, v, slot)
        assert f">{mean}" in line and f">{magnitude}<" in line, (u, v, slot, line)
        assert "VANISHING" not in line and "EXPLODING" not in line
    # z feeds fa and fb, fa feeds add and cat, tanh feeds twice through two slots.
    for name, k in (("z", 2), ("fa", 2), ("tanh", 2), ("X", 1), ("add", 1), ("twice", 1)):
        line = node_line(source, name)
        if k == 1:
            assert "sum of" not in line
            continue
        total = dag.grad(name)
        assert (f"grad = sum of {k}: mean {format_number(total.mean())}, "
                f"mean|g| {format_number(np.abs(total).mean())}") in line
    # The sum really is the sum of what the edges carry.
    np.testing.assert_allclose(
        dag.grad("tanh"), dag.edge_grad("tanh", "twice", 0) + dag.edge_grad("tanh", "twice", 1)
    )
    twice = edge_lines(source, "tanh", "twice")
    assert len(twice) == 2 and ">in 0<" in twice[0] and ">in 1<" in twice[1]


def test_x_fed_twice_into_add_draws_two_edges():
    g = Graph()
    x, y = g.input("X", requires_grad=True), g.input("Y")
    s = g.add(AddLayer(), x, x, name="sum")
    g.add(SquaredError(), y, s, name="se")
    g.forward(X=np.array([[1.0], [2.0]]), Y=np.zeros((2, 1)))
    g.backward()
    for view in ("network", "gradients"):
        lines = edge_lines(g.to_dot(view).source, "X", "sum")
        assert len(lines) == 2 and "in 0" in lines[0] and "in 1" in lines[1]
    source = g.to_dot("gradients").source
    # Each slot sends -2 (Y - Yhat) = 2 * 2x back: means 6, summed into X: 12.
    assert all(">mean 6<" in line for line in edge_lines(source, "X", "sum"))
    assert "grad = sum of 2: mean 12," in node_line(source, "X")


def test_vanishing_gradients_are_flagged():
    # Three fully connected layers with the seed's tiny weights (|w| <= 1e-4): each one
    # shrinks the gradient by about 1e-4.
    rng = np.random.default_rng(0)
    g = Graph.sequential(
        FullyConnectedLayer(4, 4, seed=1), FullyConnectedLayer(4, 4, seed=2),
        FullyConnectedLayer(4, 1, seed=3), objective=SquaredError(),
    )
    g.set_requires_grad("X")
    g.forward(X=rng.normal(size=(10, 4)), Y=rng.normal(size=(10, 1)))
    g.backward()
    source = gradient_diagram(g).source
    flagged = 0
    for u, v, slot in all_edges(g):
        line = edge_line(source, g, u, v, slot)
        grad = g.last_pass.edge_grad(u, v, slot)
        if grad is not None and np.abs(grad).mean() < VANISHING:
            flagged += 1
            assert "VANISHING" in line and "dotted" in line
        else:
            assert "VANISHING" not in line
    assert flagged == 2  # into fc1 and into X
    assert "VANISHING" in edge_line(source, g, "X", "fc1", 0)
    assert "VANISHING" not in edge_line(source, g, "fc2", "fc3", 0)
    assert "2 edge(s)" in node_line(source, LEGEND_NODE)


def test_exploding_gradients_are_flagged():
    g = Graph()
    x, y = g.input("X", requires_grad=True), g.input("Y")
    h = g.add(LinearLayer(), x, name="h")
    g.add(SquaredError(), y, h, name="se")
    g.forward(X=np.zeros((3, 1)), Y=np.full((3, 1), 1e4))  # gradient -2 (Y - Yhat) = -2e4
    g.backward()
    source = gradient_diagram(g).source
    for u, v in (("h", "se"), ("X", "h")):
        line = edge_lines(source, u, v)[0]
        assert "EXPLODING" in line and "bold" in line and ">mean -2e4<" in line
    assert np.abs(g.edge_grad("h", "se", 1)).mean() > EXPLODING
    assert "VANISHING" not in source.split(LEGEND_NODE)[0]


def test_colour_and_width_grow_with_the_gradient():
    g = Graph()
    x, y = g.input("X", requires_grad=True), g.input("Y")
    small = g.add(LinearLayer(), x, name="small")
    big = g.add(LinearLayer(), x, name="big")
    g.add(SquaredError(), g.input("Y1"), small, name="se1", weight=1e-5)
    g.add(SquaredError(), y, big, name="se2")
    g.forward(X=np.zeros((2, 1)), Y=np.ones((2, 1)), Y1=np.ones((2, 1)))
    g.backward()
    source = gradient_diagram(g).source

    def attrs(u, v):
        line = edge_lines(source, u, v)[0]
        return (re.search(r'color="(#[0-9a-f]{6})"', line).group(1),
                float(re.search(r"penwidth=([0-9.]+)", line).group(1)))

    (c_small, w_small), (c_big, w_big) = attrs("small", "se1"), attrs("big", "se2")
    assert c_small != c_big and 1.0 <= w_small < w_big <= 5.0
    assert "weight 1e-5" in node_line(source, "se1")


def test_nodes_that_do_not_reach_an_objective_carry_no_gradient():
    g = Graph()
    x, y = g.input("X", requires_grad=True), g.input("Y")
    g.add(TanhLayer(), x, name="dead_end")
    h = g.add(LinearLayer(), x, name="h")
    g.add(SquaredError(), y, h)
    g.forward(X=np.ones((2, 1)), Y=np.zeros((2, 1)))
    g.backward()
    source = gradient_diagram(g).source
    line = edge_lines(source, "X", "dead_end")[0]
    assert "no gradient (no path to J)" in line and "dashed" in line
    assert ">mean 2<" in edge_lines(source, "X", "h")[0]  # X's other edge does carry one


def test_branches_fed_only_by_constants_carry_no_gradient(kidcreative):
    """The seed's chain with X a constant (the default): no gradient flows into X or the
    InputLayer, and the view says why; the rest is drawn as with requires_grad=True."""
    X, Y = kidcreative
    const, full = seed_chain(X, requires_grad=False), seed_chain(X)
    for g in (const, full):
        g.forward(X=X, Y=Y)
        g.backward()
    const_source, full_source = gradient_diagram(const).source, gradient_diagram(full).source
    for u, v in (("X", "input"), ("input", "fc")):
        line = edge_lines(const_source, u, v)[0]
        assert "no gradient (constant: nothing upstream trains)" in line, line
        assert "dashed" in line and "mean" not in line and "dir=back" not in line
        assert "mean" in edge_lines(full_source, u, v)[0]
    for u, v in (("fc", "sigmoid"), ("sigmoid", "loss"), ("Y", "loss")):
        assert edge_lines(const_source, u, v) == edge_lines(full_source, u, v), (u, v)
    assert node_line(const_source, "fc") == node_line(full_source, "fc")  # same |grad| norms
    assert "a constant branch" in node_line(const_source, LEGEND_NODE)


def test_a_constant_value_read_by_trained_layers_is_drawn_without_gradient():
    """``t`` reads the constant X only, but feeds two layers whose other input trains: its
    edges carry no gradient, and it shows no fan-out sum (it has no gradient to sum)."""
    g = Graph()
    x, y = g.input("X"), g.input("Y")
    t = g.add(TanhLayer(), x, name="t")
    fc = g.add(FullyConnectedLayer(2, 2, seed=0), x, name="fc")
    a = g.add(AddLayer(), t, fc, name="add")
    c = g.add(ConcatLayer(), t, a, name="cat")
    g.add(SquaredError(), y, c, name="se")
    g.forward(X=np.ones((3, 2)), Y=np.zeros((3, 4)))
    g.backward()
    source = gradient_diagram(g).source
    for v in ("add", "cat"):
        line = edge_lines(source, "t", v)[0]
        assert "no gradient (constant: nothing upstream trains)" in line and "in 0" in line, line
    assert "sum of" not in node_line(source, "t")
    assert ">mean " in edge_lines(source, "fc", "add")[0] and ">mean " in edge_lines(source, "add", "cat")[0]


def test_gradient_view_needs_a_backward_pass(kidcreative):
    X, Y = kidcreative
    g = seed_chain(X)
    with pytest.raises(GraphError, match=r"call graph.forward\(...\) and then graph.backward\(\)"):
        g.to_dot("gradients")
    g.forward(X=X, Y=Y)
    with pytest.raises(GraphError, match="no gradients yet"):
        gradient_diagram(g)
    g.backward()
    assert "mean 1.257" in gradient_diagram(g).source


# ---------------------------------------------------------------------------------- arguments
@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
def test_rankdir(seed, rankdir):
    for view in ("network", "gradients"):
        assert f"rankdir={rankdir}" in seed.to_dot(view, rankdir=rankdir).source


@pytest.mark.parametrize("rankdir", ["lr", "TD", "", None, "left"])
def test_bad_rankdir_is_refused(seed, rankdir, tmp_path):
    for call in (lambda: network_diagram(seed, rankdir), lambda: gradient_diagram(seed, rankdir),
                 lambda: seed.render(tmp_path / "x.dot", rankdir=rankdir)):
        with pytest.raises(ValueError, match="rankdir must be one of 'LR', 'TB', 'RL', 'BT'"):
            call()
    assert not (tmp_path / "x.dot").exists()


def test_bad_view_and_extension_are_refused(seed, tmp_path):
    with pytest.raises(ValueError, match="unknown view 'gradient'; choose one of 'network', 'gr"):
        seed.to_dot("gradient")
    with pytest.raises(ValueError, match=r"'\.jpg'; supported: \.dot, \.gv, \.svg, \.png, \.pdf"):
        seed.render(tmp_path / "x.jpg")
    with pytest.raises(ValueError, match=r"\(none\)"):
        seed.render(tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------- determinism
def test_same_graph_gives_the_same_dot_text(kidcreative):
    X, Y = kidcreative
    sources = []
    for _ in range(2):  # two graphs built alike, with fresh layer objects
        g = seed_chain(X)
        g.forward(X=X, Y=Y)
        g.backward()
        sources.append((g.to_dot().source, g.to_dot("gradients").source))
        assert (g.to_dot().source, g.to_dot("gradients").source) == sources[-1]
    assert sources[0] == sources[1]
    for _ in range(2):
        g, X2, Y2 = fanout_dag()
        g.forward(X=X2, Y=Y2)
        g.backward()
        sources.append((g.to_dot().source, g.to_dot("gradients").source))
    assert sources[2] == sources[3]
    assert not re.search(r"0x[0-9a-f]{6,}", "".join(sources[0] + sources[2]))


def test_edge_order_does_not_depend_on_build_order():
    def build(connect_first):
        g = Graph()
        x = g.input("X")
        s = g.add(AddLayer(), name="s")
        a, b = g.add(LinearLayer(), x, name="a"), g.add(TanhLayer(), x, name="b")
        for source, slot in ((a, 0), (b, 1))[::1 if connect_first else -1]:
            g.connect(source, s, slot)
        return g.to_dot().source
    assert build(True) == build(False)


# ---------------------------------------------------------------------------------- files
def svg_node_titles(path):
    root = ET.parse(path).getroot()
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    titles = [g.find(f"{SVG}title").text for g in groups]
    assert len(titles) == len(set(titles))
    return set(titles)


def test_dot_files_need_no_graphviz(seed, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    path = seed.render(tmp_path / "net.dot")
    assert path == tmp_path / "net.dot"
    assert path.read_text(encoding="utf-8") == seed.to_dot().source
    gv = render(seed, str(tmp_path / "grad.gv"), view="gradients", rankdir="TB")
    assert gv.read_text(encoding="utf-8") == seed.to_dot("gradients", "TB").source


def test_without_dot_rendering_explains_how_to_install_graphviz(seed, tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    for view in ("network", "gradients"):
        with pytest.raises(RenderError) as caught:
            seed.render(tmp_path / f"{view}.svg", view=view)
        message = str(caught.value)
        for text in ("Graphviz", "'dot'", "apt-get install graphviz", "brew install graphviz",
                     "conda", f"{view}.dot", "dot -Tsvg"):
            assert text in message, text
        assert isinstance(caught.value, RuntimeError)
        assert (tmp_path / f"{view}.dot").read_text(encoding="utf-8") == seed.to_dot(view).source
        assert not (tmp_path / f"{view}.svg").exists()


@needs_dot
@pytest.mark.parametrize("view", ["network", "gradients"])
def test_svg_has_one_group_per_node(seed, dag, tmp_path, view):
    for g in (seed, dag):
        path = g.render(tmp_path / "graph.svg", view=view)
        assert path == tmp_path / "graph.svg" and (tmp_path / "graph.dot").exists()
        root = ET.parse(path).getroot()
        assert root.tag == f"{SVG}svg"
        assert svg_node_titles(path) == set(g.nodes) | {LEGEND_NODE}
        edges = [e for e in root.iter(f"{SVG}g") if e.get("class") == "edge"]
        assert len(edges) == len(all_edges(g))


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_png_and_pdf(seed, tmp_path, suffix, magic):
    path = seed.render(tmp_path / f"seed{suffix.upper()}", view="gradients")
    assert path.read_bytes().startswith(magic)


@needs_dot
def test_a_50_layer_chain_renders(kidcreative, tmp_path):
    X, Y = kidcreative
    layers = [InputLayer(X)]
    for i in range(24):
        layers += [FullyConnectedLayer(16 if i == 0 else 8, 8, seed=i), TanhLayer()]
    layers += [FullyConnectedLayer(8, 1, seed=24), LogisticSigmoidLayer()]
    assert len(layers) == 51
    g = Graph.sequential(*layers, objective=LogLoss())
    g.set_requires_grad("X")
    g.forward(X=X, Y=Y)
    g.backward()
    for view, rankdir in (("network", "LR"), ("gradients", "TB")):  # every node: fold=False
        path = render(g, tmp_path / f"{view}.svg", view=view, rankdir=rankdir, fold=False)
        assert svg_node_titles(path) == set(g.nodes) | {LEGEND_NODE}
    # Seed-sized weights: the gradient vanishes after a couple of layers, and the view says so.
    source = to_dot(g, "gradients", fold=False).source
    assert "VANISHING" in edge_lines(source, "X", "input1")[0]
    assert "VANISHING" not in edge_lines(source, "fc25", "sigmoid1")[0]


def test_parameter_objects_are_what_the_nodes_report(seed):
    # The per-node count is the sum of the layer's Parameter sizes.
    fc = seed.op("fc")
    assert all(isinstance(p, Parameter) for p in fc.parameters())
    assert sum(p.size for p in fc.parameters()) == 17


def test_non_finite_gradients_are_flagged_as_exploding():
    g = Graph()
    x, y = g.input("X", requires_grad=True), g.input("Y")
    h = g.add(LinearLayer(), x, name="h")
    g.add(SquaredError(), y, h, name="se")
    # Targets of +-1e308: the gradients -2 (Y - Yhat) overflow to +-inf, their mean is NaN.
    g.forward(X=np.zeros((2, 1)), Y=np.array([[1e308], [-1e308]]))
    with np.errstate(over="ignore"):
        g.backward()
    line = edge_lines(gradient_diagram(g).source, "h", "se")[0]
    assert ">mean nan<" in line and ">mean|g| inf<" in line and "EXPLODING" in line


# ---------------------------------------------------------------------------------- profile overlay
def hand_made_profile(g):
    """A ``Profile`` of the seed chain with chosen numbers (no timing: exact text)."""
    us = 1e-6
    rows = [
        NodeProfile("X", "input", "input", 0.0, 0.0, 86144, 0),
        NodeProfile("Y", "input", "input", 0.0, 0.0, 5384, 0),
        NodeProfile("input", "layer", "InputLayer 16", 20 * us, 2 * us, 86144, 86144),
        NodeProfile("fc", "layer", "FullyConnectedLayer 16->1", 12.3 * us, 30.1 * us, 5384, 86144,
                    zero_grad=0.5 * us),
        NodeProfile("sigmoid", "layer", "LogisticSigmoidLayer", 5 * us, 0.0, 5384, 5384,
                    note="backward fused into loss"),
        NodeProfile("loss", "objective", "LogLoss", 10 * us, 2 * us, 8, 0, note="fused: Yhat - Y sent past sigmoid"),
    ]
    return Profile(rows, total_forward=60 * us, total_backward=40 * us, repeat=7,
                   plain_forward=50 * us, plain_backward=35 * us)


def test_profile_is_drawn_on_the_network_view(seed):
    p = hand_made_profile(seed)
    source = network_diagram(seed, profile=p).source
    fc = node_line(source, "fc")
    assert "fwd 12.3 µs | bwd 30.1 µs | out 5.3 KiB" in fc
    assert "42.4 % of the pass | grad back 84.1 KiB" in fc
    assert "FullyConnectedLayer 16-&gt;1" in fc and "17 params" in fc  # the usual rows stay
    assert "fwd 10.0 µs | bwd 2.0 µs | out 8 B" in node_line(source, "loss")
    assert "<i>backward fused into loss</i>" in node_line(source, "sigmoid")
    assert "fed 84.1 KiB" in node_line(source, "X") and "fwd" not in node_line(source, "X")
    # The largest share is darkest and widest; no time is palest; in between, in between.
    assert 'fillcolor="#f16913"' in fc and "penwidth=3.00" in fc
    assert 'fillcolor="#fff5eb"' in node_line(source, "X") and "penwidth=1.00" in node_line(source, "X")
    assert "penwidth=2.04" in node_line(source, "input")  # 1 + 2 x (22 % / 42.4 %)
    legend = node_line(source, LEGEND_NODE)
    assert "median of 7 passes: forward 60.0 µs + backward 40.0 µs = 100.0 µs" in legend
    assert "graph overhead 18.6 µs (18.6 %)" in legend  # 100 - 81.4 µs in the nodes
    assert "in the nodes 81.4 µs (81.4 %)" in legend
    assert "without the profiler's timers: 85.0 µs" in legend
    assert "time: darker = larger share of the pass" in legend and ">42.4 %<" in legend
    # Deterministic: the same profile, the same text; no profile, the plain view.
    assert network_diagram(seed, profile=p).source == source
    assert to_dot(seed).source == network_diagram(seed).source != source
    assert "fwd" not in network_diagram(seed).source


def test_graph_to_dot_and_render_forward_the_profile(seed, tmp_path):
    p = hand_made_profile(seed)
    drawn = network_diagram(seed, profile=p).source
    assert seed.to_dot(profile=p).source == drawn
    assert seed.to_dot("network", "auto", p).source == drawn  # the third positional argument
    assert seed.render(tmp_path / "profiled.dot", profile=p).read_text() == drawn
    assert "without the profiler's timers: 85.0 µs" in (tmp_path / "profiled.dot").read_text()


def test_a_measured_profile_on_the_network_view(kidcreative, tmp_path):
    X, Y = kidcreative
    g = seed_chain(X, requires_grad=False)
    p = profile(g, {"X": X, "Y": Y}, repeat=3)
    source = network_diagram(g, profile=p).source
    for name in ("input", "fc", "sigmoid", "loss"):
        line = node_line(source, name)
        assert "fwd " in line and " | bwd " in line and " | out " in line and "of the pass" in line
    assert "graph overhead" in node_line(source, LEGEND_NODE)
    assert network_diagram(g, profile=p).source == source
    assert to_dot(g, "network", "TB", profile=p).source == network_diagram(g, "TB", profile=p).source
    path = render(g, tmp_path / "profile.dot", profile=p)
    assert path.read_text(encoding="utf-8") == source
    with pytest.raises(ValueError, match="network view only"):
        to_dot(g, "gradients", profile=p)


def test_nodes_missing_from_the_profile_say_so(seed):
    p = hand_made_profile(seed)
    p.rows = [r for r in p.rows if r.name != "sigmoid"]
    del p.by_node["sigmoid"]
    line = node_line(network_diagram(seed, profile=p).source, "sigmoid")
    assert "not profiled" in line and 'fillcolor="#fff5eb"' in line


@needs_dot
def test_svg_with_a_profile_has_one_group_per_node(seed, tmp_path):
    path = render(seed, tmp_path / "profile.svg", profile=hand_made_profile(seed))
    assert svg_node_titles(path) == set(seed.nodes) | {LEGEND_NODE}
