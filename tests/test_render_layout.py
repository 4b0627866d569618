"""Diagrams that fit a screen and tell the truth about tiny numbers (issue 16, items 10, 12-15):
the automatic direction, folded repeated blocks, a range of nodes, norms that do not
underflow, a mean within rounding drawn as ``~0``, one font per legend line, and a notebook
display without Graphviz."""
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import graphnn as gn
from graphnn.views.render import (
    LEGEND_NODE, Diagram, format_mean, format_number, gradient_diagram, network_diagram, render,
    to_dot,
)

SVG = "{http://www.w3.org/2000/svg}"
RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 16))
Y = (X[:, :1] > 0).astype(float)


def deep_chain(blocks=50, width=32, seed_scale=1.0):
    """``X -> InputLayer -> FC 16->32 -> blocks x [FC 32->32 -> tanh] -> FC 32->1 -> sigmoid``."""
    layers = [gn.InputLayer(X), gn.FullyConnectedLayer(16, width, seed=0)]
    for i in range(blocks):
        layers += [gn.FullyConnectedLayer(width, width, seed=i + 1), gn.TanhLayer()]
    layers += [gn.FullyConnectedLayer(width, 1, seed=99), gn.LogisticSigmoidLayer()]
    g = gn.Graph.sequential(*layers, objective=gn.LogLoss())
    g.forward(X=X, Y=Y)
    g.backward()
    return g


@pytest.fixture(scope="module")
def deep():
    return deep_chain()


def rankdir_of(diagram):
    return re.search(r"rankdir=(\w+)", diagram.source).group(1)


def svg_size(path):
    root = ET.parse(path).getroot()
    return tuple(float(root.get(key).removesuffix("pt")) for key in ("width", "height"))


def titles(path):
    return {g.find(f"{SVG}title").text for g in ET.parse(path).getroot().iter(f"{SVG}g")
            if g.get("class") == "node"}


# ---------------------------------------------------------------------------- 12: direction
def test_auto_runs_short_graphs_left_to_right_and_deep_ones_top_to_bottom(deep):
    short = gn.Graph.sequential(gn.FullyConnectedLayer(16, 1, seed=0), objective=gn.SquaredError())
    assert rankdir_of(to_dot(short)) == "LR"            # X -> fc -> loss: 3 boxes deep
    four = gn.Graph.sequential(gn.FullyConnectedLayer(16, 1, seed=0), gn.TanhLayer(),
                               objective=gn.SquaredError())
    assert rankdir_of(network_diagram(four)) == "LR"    # 4 boxes: still fits across
    five = gn.Graph.sequential(gn.InputLayer(X), gn.FullyConnectedLayer(16, 1, seed=0),
                               gn.TanhLayer(), objective=gn.SquaredError())
    assert rankdir_of(network_diagram(five)) == "TB"
    assert rankdir_of(to_dot(deep, "gradients")) == "TB"
    assert rankdir_of(to_dot(five, rankdir="LR")) == "LR"   # asked for, given


def test_the_default_drawings_of_an_mlp_and_a_50_block_chain_fit_a_screen(deep, tmp_path):
    mlp = gn.Graph.sequential(gn.InputLayer(X), gn.FullyConnectedLayer(16, 8, seed=0),
                              gn.TanhLayer(), gn.FullyConnectedLayer(8, 4, seed=1), gn.TanhLayer(),
                              gn.FullyConnectedLayer(4, 1, seed=2), gn.LogisticSigmoidLayer(),
                              objective=gn.LogLoss())
    mlp.forward(X=X, Y=Y)
    mlp.backward()
    for graph in (mlp, deep):
        for view in ("network", "gradients"):
            width, height = svg_size(render(graph, tmp_path / f"{view}.svg", view=view))
            assert width < 1000 and height < 2000, (view, width, height)   # points
    wide, _ = svg_size(render(mlp, tmp_path / "lr.svg", view="gradients", rankdir="LR"))
    assert wide > 1500     # what the old left-to-right default gave


# ---------------------------------------------------------------------------- 12: folding
def test_a_repeated_block_of_a_deep_chain_is_one_box_with_its_gradient_ranges(deep):
    members = deep.nodes[4:104]                 # X, Y, input1, fc1, then the 50 blocks
    assert members[0] == "fc2" and members[-1] == "tanh50" and len(members) == 100
    source = gradient_diagram(deep).source
    fold_id = "(fold fc2..tanh50)"
    line = next(l for l in source.splitlines() if l.lstrip("\t").startswith(f'"{fold_id}" ['))
    assert "<b>fc2 ... tanh50</b>" in line
    assert "50 x [FullyConnectedLayer 32-&gt;32 -&gt; TanhLayer]" in line
    assert "100 layers | out 40 x 32" in line
    inner = [np.abs(deep.edge_grad(a, b)).mean() for a, b in zip(members, members[1:])]
    assert f"mean|g| inside {format_number(min(inner))} to {format_number(max(inner))}" in line
    norms = [math.hypot(*deep.op(n).weights.grad.ravel()) for n in members[::2]]
    norms += [math.hypot(*deep.op(n).biases.grad.ravel()) for n in members[::2]]
    assert min(norms) > 0
    assert f"|grad| params {format_number(min(norms))} to {format_number(max(norms))}" in line
    assert ("VANISHING inside" in line) == (min(inner) < 1e-6)
    # the box sits in the chain: fc1 -> box -> fc52, and no inner node is drawn
    assert f'fc1 -> "{fold_id}"' in source and f'"{fold_id}" -> fc52' in source
    assert not re.search(r"^\t(fc2|tanh1|fc30|tanh50) \[", source, flags=re.M)
    network = network_diagram(deep).source
    params = sum(int(p.size) for n in members for p in deep.op(n).parameters())
    assert params == 50 * (32 * 32 + 32) and f"{params:,} params" in network


def test_fold_false_draws_every_node_and_fold_sets_the_fewest_repeats(deep, tmp_path):
    path = render(deep, tmp_path / "all.svg", fold=False)
    assert titles(path) == set(deep.nodes) | {LEGEND_NODE}
    three = deep_chain(blocks=3)
    assert "(fold" not in network_diagram(three).source           # 3 repeats < the default 4
    assert "3 x [FullyConnectedLayer 32-&gt;32 -&gt; TanhLayer]" in network_diagram(three, fold=3).source
    for bad in (1, 0, 2.5, "4", True):
        with pytest.raises(ValueError, match="fold must be a whole number >= 2"):
            network_diagram(three, fold=bad)


def test_branches_are_never_folded():
    g = gn.Graph()
    x = g.input("X")
    h = x
    for i in range(5):   # each block's output read twice: by the next block and by the sum
        h = g.add(gn.TanhLayer(), h, name=f"t{i}")
    skip = g.add(gn.AddLayer(), h, g.add(gn.TanhLayer(), x, name="side"), name="sum")
    g.add(gn.SquaredError(), g.input("Y"), skip, name="loss")
    assert "(fold t0..t4)" in network_diagram(g).source            # a plain chain folds
    g2 = gn.Graph()
    x = g2.input("X")
    outs = []
    h = x
    for i in range(5):
        h = g2.add(gn.TanhLayer(), h, name=f"t{i}")
        outs.append(h)
    total = g2.add(gn.ConcatLayer(5), *outs, name="cat")
    g2.add(gn.SquaredError(), g2.input("Y"), total, name="loss")
    assert "(fold" not in network_diagram(g2).source               # every output fans out


# ---------------------------------------------------------------------------- 12: a range
def test_node_range_draws_those_nodes_and_names_the_neighbours_outside(deep, tmp_path):
    source = gradient_diagram(deep, node_range=("fc5", "tanh7"), fold=False).source
    # graph.nodes: X, Y, input1, fc1, then fc2, tanh1, fc3, tanh2, ...
    drawn = ["fc5", "tanh4", "fc6", "tanh5", "fc7", "tanh6", "fc8", "tanh7"]
    assert deep.nodes[deep.nodes.index("fc5"):deep.nodes.index("tanh7") + 1] == drawn
    for name in drawn:
        assert re.search(rf"^\t{name} \[", source, flags=re.M), name
    assert not re.search(r"^\t(tanh3|fc4|fc9|logloss1) \[", source, flags=re.M)
    assert '"(outside tanh3)" -> fc5' in source and 'tanh7 -> "(outside fc9)"' in source
    assert f"drawn: nodes fc5 to tanh7 of {len(deep.nodes)}" in source
    path = render(deep, tmp_path / "range.svg", view="gradients", node_range=("fc5", "tanh7"),
                  fold=False)
    assert titles(path) == set(drawn) | {"(outside tanh3)", "(outside fc9)", LEGEND_NODE}
    with pytest.raises(ValueError, match="'nope' is not a node.*X, Y, input1"):
        to_dot(deep, node_range=("nope", "fc5"))
    with pytest.raises(ValueError, match="'fc7' comes after 'fc5'.*give \\('fc5', 'fc7'\\)"):
        to_dot(deep, node_range=("fc7", "fc5"))
    with pytest.raises(ValueError, match="pair"):
        to_dot(deep, node_range="fc5")


# ---------------------------------------------------------------------------- 13: tiny norms
@pytest.mark.parametrize("dtype, tiny", [(np.float64, 1e-183), (np.float32, 1e-30)])
def test_a_vanished_parameter_gradient_shows_its_size_never_0(dtype, tiny):
    g = gn.Graph.sequential(gn.FullyConnectedLayer(3, 2, seed=0), objective=gn.SquaredError())
    g.forward(X=np.ones((4, 3)), Y=np.zeros((4, 2)))
    g.backward()
    fc = g.op("fc1")
    fc.weights.grad = np.full((3, 2), tiny, dtype=dtype)
    fc.weights.grad[0, 0] = 2 * tiny
    assert np.linalg.norm(fc.weights.grad) == 0            # what the unscaled norm gives
    expected = math.hypot(*map(float, fc.weights.grad.ravel()))   # exact, no underflow
    line = next(l for l in gradient_diagram(g).source.splitlines() if l.startswith("\tfc1 ["))
    assert f"|grad| weights {format_number(expected)}," in line
    assert "|grad| weights 0," not in line
    assert format_number(expected).endswith("e-183" if dtype is np.float64 else "e-30")


# ---------------------------------------------------------------------------- 14: ~0
def test_the_mean_gradient_into_a_softmax_is_drawn_as_about_0():
    K = 3
    T = np.eye(K)[RNG.integers(0, K, len(X))]
    g = gn.Graph.sequential(gn.FullyConnectedLayer(16, K, seed=0), gn.SoftmaxLayer(),
                            objective=gn.CrossEntropy())
    g.forward(X=X, Y=T)
    g.backward()
    grad = g.edge_grad("fc1", "softmax1")        # Yhat - Y: every row sums to 0
    assert abs(np.sum(grad, axis=1)).max() < 1e-15
    assert format_mean(grad) == "~0"
    assert "mean ~0 (over 3 cols)" in gradient_diagram(g).source
    # a mean that is small but real keeps its value
    real = np.array([[1e-5, -1e-5 + 2e-7]])
    assert format_mean(real) == format_number(real.mean()) == "1e-7"
    assert format_mean(np.zeros((2, 2))) == "0" and format_mean(np.array([[np.inf]])) == "inf"


# ---------------------------------------------------------------------------- 15: legend spacing
def legend_lines(path):
    """The legend's text elements, grouped by line (their y coordinate)."""
    root = ET.parse(path).getroot()
    legend = next(g for g in root.iter(f"{SVG}g")
                  if g.get("class") == "node" and g.find(f"{SVG}title").text == LEGEND_NODE)
    lines = {}
    for text in legend.iter(f"{SVG}text"):
        lines.setdefault(text.get("y"), []).append(text.text)
    return list(lines.values())


def test_every_legend_line_is_one_text_run_so_browsers_space_it_as_graphviz_did(deep, tmp_path):
    """A browser measures each run of text in its own font, Graphviz placed them by its own
    measure: two runs on one line drift apart ('total parameters:     17'). Only the boxed
    swatches and the scales' tick labels, one per cell, share a line."""
    tick = re.compile(r"^\s*(1e-?\d+|\d+\.\d %|input|layer|objective)\s*$")
    paths = [render(deep, tmp_path / "n.svg"), render(deep, tmp_path / "g.svg", view="gradients"),
             render(deep, tmp_path / "p.svg", profile=gn.profile(deep, {"X": X, "Y": Y}, repeat=1))]
    for path in paths:
        for runs in legend_lines(path):
            assert len(runs) == 1 or all(tick.match(r) for r in runs), runs
    total = (16 * 32 + 32) + 50 * (32 * 32 + 32) + (32 + 1)
    assert [f"total parameters: {total:,}"] in legend_lines(paths[0])


# ---------------------------------------------------------------------------- 10: no dot in Jupyter
def test_in_a_notebook_a_diagram_is_svg_or_without_dot_the_hint_and_the_source(deep, monkeypatch):
    diagram = to_dot(deep)
    assert isinstance(diagram, Diagram)
    assert diagram._repr_mimebundle_()["image/svg+xml"].lstrip().startswith("<?xml")
    monkeypatch.setenv("PATH", "")                     # no Graphviz programs
    bundle = diagram._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    text = bundle["text/plain"]
    assert "needs the program 'dot' from Graphviz" in text and "apt-get install graphviz" in text
    assert text.endswith(diagram.source) and "Traceback" not in text
