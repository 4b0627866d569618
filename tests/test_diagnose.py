"""find_nonfinite: NaN and inf injected at each kind of node, forward and backward, and in a
parameter gradient; the report names the node that did it and draws the route to it."""
import numpy as np
import pytest

import graphnn as gn

RNG = np.random.default_rng(0)
FEED = {"X": RNG.normal(size=(4, 3)), "Y": RNG.normal(size=(4, 2))}


class Sqrt:
    """sqrt(x): NaN for negative inputs (a student's layer, nothing from graphnn)."""

    def forward(self, X):
        self.X = X
        return np.sqrt(X)

    def gradient(self):
        return np.einsum("nd,de->nde", 0.5 / np.sqrt(self.X), np.eye(self.X.shape[1]))

    def backward(self, gradIn):
        return gradIn * 0.5 / np.sqrt(self.X)


class Identity:
    """Forward is fine; ``backward`` divides by a zero of its own."""

    def __init__(self, broken_backward=False):
        self.broken = broken_backward

    def forward(self, X):
        return X.copy()

    def gradient(self):
        return np.eye(2)

    def backward(self, gradIn):
        return gradIn / 0.0 if self.broken else gradIn


class ScaleWithBrokenUpdate:
    """y = x * w (w 1 x 2) in the seed's style, whose updateWeights computes an inf gradient."""

    def __init__(self):
        self.w = np.ones((1, 2))

    def getWeights(self):
        return self.w

    def setWeights(self, w):
        self.w = np.array(w, dtype=float)

    def forward(self, X):
        self.X = X
        return X * self.w

    def gradient(self):
        return np.einsum("nd,de->nde", np.broadcast_to(self.w, self.X.shape), np.eye(2))

    def backward(self, gradIn):
        return gradIn * self.w

    def updateWeights(self, gradIn, eta):
        self.w = self.w - eta * (self.X * gradIn).sum(axis=0, keepdims=True) / 0.0


class InfiniteGradient:
    def eval(self, Y, Yhat):
        return float(((Y - Yhat) ** 2).sum(axis=1).mean())

    def gradient(self, Y, Yhat):
        return np.full(Yhat.shape, np.inf)


def network(middle=None, objective=None):
    """X -> fc (3 -> 2) -> middle -> tanh -> objective(Y, .)"""
    g = gn.Graph()
    x, y = g.input("X"), g.input("Y")
    h = g.add(gn.FullyConnectedLayer(3, 2, seed=1), x, name="fc")
    if middle is not None:
        h = g.add(gn.wrap(middle), h, name="middle")
    h = g.add(gn.TanhLayer(), h, name="tanh")
    g.add(gn.wrap(objective) if objective is not None else gn.SquaredError(), y, h, name="loss")
    return g


def test_a_finite_pass_reports_nothing():
    report = gn.find_nonfinite(network(Identity()), FEED)
    assert not report.found and not report
    assert str(report) == "no NaN or inf: every value and gradient of the pass is finite"


def test_a_nan_in_the_fed_data_is_the_input_node():
    feed = {**FEED, "X": FEED["X"].copy()}
    feed["X"][2, 1] = np.nan
    report = gn.find_nonfinite(network(), feed)
    assert (report.node, report.direction, report.what) == ("X", "forward", "fed value")
    assert "1 NaN, 0 inf of 12" in report.statistics


def test_a_layer_whose_output_overflows():
    g = network()
    g.op("fc").weights.value[...] = 1e308
    report = gn.find_nonfinite(g, FEED)
    assert (report.node, report.direction, report.what) == ("fc", "forward", "output")
    assert report.path == ["X", "fc"]
    assert report.reads[0][0] == "X" and "4 x 3" in report.reads[0][1]
    assert "inf" in report.statistics


def test_a_wrapped_layer_making_nan_from_finite_inputs():  # and no RuntimeWarning escapes
    g = network(Sqrt())
    report = gn.find_nonfinite(g, FEED)
    assert (report.node, report.direction) == ("middle", "forward")
    assert report.path == ["X", "fc", "middle"]
    text = str(report)
    assert "forward: node 'middle' gives a non-finite output from finite inputs" in text
    assert "read fc: 4 x 2; min" in text  # statistics of what it read: negative entries
    assert float(text.split("read fc: 4 x 2; min ")[1].split(",")[0]) < 0


def test_an_objective_whose_value_is_not_finite():
    class LogOfZero(InfiniteGradient):
        def eval(self, Y, Yhat):
            return float(np.log(0.0 * Yhat).mean())

    report = gn.find_nonfinite(network(objective=LogOfZero()), FEED)
    assert (report.node, report.direction, report.what) == ("loss", "forward", "value")
    assert report.path == ["X", "Y", "fc", "tanh", "loss"]


def test_a_layer_whose_backward_divides_by_zero():
    report = gn.find_nonfinite(network(Identity(broken_backward=True)), FEED)
    assert (report.node, report.direction, report.what) == ("middle", "backward", "gradient to input 0 (from fc)")
    assert report.path == ["middle", "tanh", "loss"]  # the route its gradient came by
    assert report.reads[-1][0] == "gradient received"
    assert "0 NaN, 8 inf of 8" in report.statistics


def test_an_objective_whose_gradient_is_not_finite():
    report = gn.find_nonfinite(network(objective=InfiniteGradient()), FEED)
    assert (report.node, report.direction, report.what) == ("loss", "backward", "gradient")


def test_a_parameter_gradient_that_is_not_finite():
    report = gn.find_nonfinite(network(ScaleWithBrokenUpdate()), FEED)
    assert (report.node, report.direction, report.what) == ("middle", "backward", "gradient of weights")


def test_a_graphnn_parameter_gradient_that_overflows():
    g = network()
    feed = {**FEED, "X": np.full((4, 3), 1e308)}
    g.op("fc").setWeights(np.full((3, 2), 1e-308))
    g.op("fc").setBiases(np.zeros((1, 2)))
    feed["Y"] = np.full((4, 2), 5000.0)
    # forward: fc = 3 per entry, finite; backward: dW = X^T G / N, each entry about
    # 1e308 x -99 (the true gradient, not only a partial sum, is beyond the float range) -> -inf
    report = gn.find_nonfinite(g, feed)
    assert (report.node, report.direction, report.what) == ("fc", "backward", "gradient of weights")


class Huge:
    """Forward passes X on; backward sends a finite 1e308 back (a student's layer)."""

    def forward(self, X):
        return X.copy()

    def gradient(self):
        return np.eye(3)

    def backward(self, gradIn):
        return np.full(gradIn.shape, 1e308)


def test_an_input_whose_summed_gradient_overflows():
    """X asks for its gradient and feeds two layers; each sends a finite 1e308 back, and their
    sum at X is inf: the input is the culprit (it was passed over, and nothing was found)."""
    g = gn.Graph()
    x, y = g.input("X", requires_grad=True), g.input("Y")
    both = g.add(gn.AddLayer(), g.add(gn.wrap(Huge()), x, name="left"), g.add(gn.wrap(Huge()), x, name="right"),
                 name="both")
    g.add(gn.SquaredError(), y, both, name="loss")
    report = gn.find_nonfinite(g, {"X": FEED["X"], "Y": FEED["X"] + 1})
    assert (report.node, report.direction, report.what) == ("X", "backward", "gradient (the sum over its consumers)")
    assert report.statistics == "4 x 3; 0 NaN, 12 inf of 12"
    assert report.path[0] == "X" and set(report.path) == {"X", "left", "right", "both", "loss"}


def test_an_input_with_a_finite_gradient_does_not_end_the_search():
    """Two inputs ask for their gradients; the one looked at first (the last made) is finite,
    the other's sum is inf: it is still found."""
    g = gn.Graph()
    a, y = g.input("A", requires_grad=True), g.input("Y")
    b = g.input("B", requires_grad=True)
    left = g.add(gn.AddLayer(), g.add(gn.wrap(Huge()), a, name="left"), g.add(gn.wrap(Huge()), a, name="right"),
                 name="both")
    g.add(gn.SquaredError(), y, g.add(gn.AddLayer(), left, b, name="sum"), name="loss")
    report = gn.find_nonfinite(g, {"A": FEED["X"], "B": FEED["X"], "Y": FEED["X"] + 1})
    assert np.isfinite(g.grad("B")).all()
    assert (report.node, report.direction) == ("A", "backward")


def test_statistics_of_entries_near_the_float_limit_stay_finite():
    """The mean of 1e308 and 1.5e308 is 1.25e308, not an overflow to inf (and no warning)."""
    with np.errstate(all="raise"):
        assert gn.grading.diagnose.array_statistics(np.array([[1e308, 1.5e308]])) == \
            "1 x 2; min 1e+308, max 1.5e+308, mean 1.25e+308, max|x| 1.5e+308"
    assert gn.grading.diagnose.array_statistics(np.zeros((1, 2))) == "1 x 2; min 0, max 0, mean 0, max|x| 0"


def test_the_culprit_and_its_path_are_marked_on_the_network_diagram():
    g = network(Sqrt())
    report = gn.find_nonfinite(g, FEED)
    source = report.to_dot(g).source
    assert "forward: output not finite" in source
    assert source.count('color="#d7191c"') >= 3 + 2  # three nodes, two edges of the path
    assert report.marks == {"X": "", "fc": "", "middle": "forward: output not finite"}


@pytest.mark.parametrize("feed, message", [
    ({"X": np.ones((2, 2))}, r"no value for input\(s\) \['Y'\]; the graph's inputs are \['X', 'Y'\]"),
    (np.ones((2, 2)), r"feed must be a dict \{input name: N x D array\} .* got ndarray"),
    ({"X": np.ones((2, 2)), "Y": np.ones((2, 1)), "Z": 1}, r"\['Z'\] are not inputs"),
])
def test_a_feed_that_does_not_fit_the_graph_is_named(feed, message):
    """Issue 29, item 12: was ``KeyError('Y')`` and numpy's ``IndexError``."""
    g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1, seed=0), gn.LogisticSigmoidLayer(),
                            objective=gn.LogLoss())
    with pytest.raises(gn.GraphError, match=message):
        gn.find_nonfinite(g, feed)
