"""``graphnn.summary`` and a graph's own display (issue 16, item 9): the Keras-style table, the
short text repr and the SVG the lead hooks up as ``Graph.summary``, ``Graph.__repr__`` and
``Graph._repr_mimebundle_``."""
import re

import numpy as np
import pytest

import graphnn as gn
from graphnn.views.render import graph_mimebundle, graph_repr, graph_svg
from graphnn.views.summarize import Summary


def mlp():
    return gn.Graph.sequential(
        gn.InputLayer(np.arange(12.0).reshape(4, 3)), gn.FullyConnectedLayer(3, 5, seed=0),
        gn.TanhLayer(), gn.FullyConnectedLayer(5, 2, seed=1), gn.SoftmaxLayer(),
        objective=gn.CrossEntropy(),
    )


def cells(text):
    """The table's body rows, split on runs of 2+ spaces."""
    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if set(line) == {"-"}]
    return [re.split(r"\s{2,}", line.strip()) for line in lines[rules[0] + 1:rules[1]]]


def test_before_a_pass_shapes_come_from_the_layers_and_say_so():
    s = gn.summary(mlp())
    assert isinstance(s, Summary)
    assert cells(str(s)) == [
        ["X", "input", "N x 3", "0"],
        ["Y", "input", "N x 2", "0"],
        ["input1", "InputLayer 3", "N x 3", "0", "X"],
        ["fc1", "FullyConnectedLayer 3->5", "N x 5", "20", "input1"],   # 3*5 + 5
        ["tanh1", "TanhLayer", "N x 5", "0", "fc1"],
        ["fc2", "FullyConnectedLayer 5->2", "N x 2", "12", "tanh1"],    # 5*2 + 2
        ["softmax1", "SoftmaxLayer", "N x 2", "0", "fc2"],
        ["crossentropy1", "CrossEntropy", "scalar J", "0", "target Y, estimate softmax1"],
    ]
    assert "trainable parameters: 32" in str(s) and "before a forward pass" in str(s)
    assert repr(s) == str(s)


def test_after_a_pass_shapes_are_the_values_computed():
    g = mlp()
    X, Y = np.ones((7, 3)), np.eye(2)[[0, 1, 0, 1, 0, 1, 0]]
    g.forward(X=X, Y=Y)
    rows = cells(str(gn.summary(g)))
    assert [row[2] for row in rows] == ["7 x 3", "7 x 2", "7 x 3", "7 x 5", "7 x 5", "7 x 2",
                                        "7 x 2", "scalar J"]
    assert "from the last forward pass (N = 7)" in str(gn.summary(g))


def test_shared_parameters_are_counted_once_and_marked():
    g = gn.Graph()
    x, y = g.input("X"), g.input("Y")
    a = gn.FullyConnectedLayer(2, 2, seed=0)
    b = gn.FullyConnectedLayer(2, 2, seed=1)
    b.weights = a.weights
    h = g.add(b, g.add(a, x, name="a"), name="b")
    g.add(gn.SquaredError(), y, h, name="loss")
    s = gn.summary(g)
    assert s.total == 4 + 2 + 2 and s.shared
    assert ["b", "FullyConnectedLayer 2->2", "N x 2", "6 (shared)", "a"] in cells(str(s))
    assert "shared ones counted once" in str(s)


def test_widths_unknown_to_every_layer_show_as_a_question_mark():
    g = gn.Graph.sequential(gn.TanhLayer(), objective=gn.SquaredError())
    assert [row[2] for row in cells(str(gn.summary(g)))] == ["N x ?", "N x ?", "N x ?", "scalar J"]


def test_the_html_table_for_notebooks():
    page = gn.summary(mlp())._repr_html_()
    assert page.startswith("<table>") and page.count("<tr>") == 1 + 8
    assert "<td>FullyConnectedLayer 3-&gt;5</td>" in page and "trainable parameters: 32" in page


def test_an_incomplete_graph_is_a_graph_error_naming_the_slot():
    g = gn.Graph()
    g.add(gn.AddLayer(), g.input("X"), name="sum")
    with pytest.raises(gn.GraphError, match="'sum'.*slot"):
        gn.summary(g)


# ---------------------------------------------------------------------------- repr and display
def test_the_short_text_repr():
    assert graph_repr(mlp()) == ("Graph(inputs X, Y; 5 layers; objective crossentropy1; "
                                 "32 parameters)")
    assert graph_repr(gn.Graph()) == "Graph(empty)"
    g = gn.Graph()
    g.add(gn.AddLayer(), g.input("X"), name="sum")
    text = graph_repr(g)
    assert text.startswith("Graph(input X; 1 layer; no objective; incomplete: ") and "'sum'" in text


def test_the_rich_display_is_the_network_view_as_svg(monkeypatch):
    g = mlp()
    svg = graph_svg(g)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "fc1" in svg
    bundle = graph_mimebundle(g)
    assert bundle == {"text/plain": graph_repr(g), "image/svg+xml": svg}
    assert graph_mimebundle(g, include=["text/plain"]) == {"text/plain": graph_repr(g)}
    assert list(graph_mimebundle(g, exclude=["text/plain"])) == ["image/svg+xml"]
    monkeypatch.setenv("PATH", "")
    assert graph_svg(g) is None
    text = graph_mimebundle(g)
    assert list(text) == ["text/plain"] and "apt-get install graphviz" in text["text/plain"]
