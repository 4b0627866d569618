"""gradcheck, gradcheck_nodes, mismatch_hint and find_nonfinite in detail: the hint of each
recognisable mistake word for word, the boundary of the tolerance, the gradient a node is
checked on, the dtypes it is read in, the graph and parameters as they were left, and every
field of the reports (including their text)."""
from fractions import Fraction

import numpy as np
import pytest

import graphnn as gn
from graphnn.grading.diagnose import NonfiniteReport, array_statistics
from graphnn.grading.gradcheck import (DEFAULT_EPS, DEFAULT_TOLERANCE, GradcheckReport, NodeGradcheckReport, gradcheck,
                                       gradcheck_nodes, mismatch_hint, noise_floor, numerical_gradient,
                                       objective_factors, parameter_factors, relative_error)

RNG = np.random.default_rng(5)
X4 = RNG.normal(size=(4, 2))


class StudentTanh:
    """tanh in the seed's style; ``mistake`` picks one error in backward."""

    def __init__(self, mistake=None):
        self.mistake = mistake

    def forward(self, X):
        self.X = X
        return np.tanh(X)

    def gradient(self):
        d = 1 - np.tanh(self.X) ** 2
        return np.einsum("nd,de->nde", d, np.eye(self.X.shape[1]))

    def backward(self, gradIn):
        d = 1 - np.tanh(self.X) ** 2
        if self.mistake == "clipped":  # clips the gradient it receives, as against exploding gradients
            return np.clip(gradIn, -1.0, 1.0) * d
        if self.mistake == "doubled":
            return 2 * gradIn * d
        return gradIn * d


class StudentFullyConnected:
    """X W + b; ``mistake='doubled'``: the weight gradient twice what it should be."""

    def __init__(self, W, mistake=None):
        self.W, self.b, self.mistake = W.copy(), np.zeros((1, W.shape[1])), mistake

    def getWeights(self):
        return self.W

    def setWeights(self, W):
        self.W = np.array(W, dtype=float)

    def getBiases(self):
        return self.b

    def setBiases(self, b):
        self.b = np.array(b, dtype=float)

    def forward(self, X):
        self.X = X
        return X @ self.W + self.b

    def gradient(self):
        return self.W.T

    def backward(self, gradIn):
        return gradIn @ self.W.T

    def updateWeights(self, gradIn, eta):
        dW = self.X.T @ gradIn / len(self.X) * (2 if self.mistake == "doubled" else 1)
        self.W = self.W - eta * dW
        self.b = self.b - eta * gradIn.mean(axis=0, keepdims=True)


class SignedSquaredError:
    def eval(self, Y, Yhat):
        return float(((Y - Yhat) ** 2).sum(axis=1).mean())

    def gradient(self, Y, Yhat):
        return 2 * (Y - Yhat)  # the sign of -2 (Y - Yhat) lost


def tanh_graph(layer, objective=None):
    graph = gn.Graph()
    x, y = graph.input("X", requires_grad=True), graph.input("Y")
    graph.add(layer, x, name="tanh")
    graph.add(objective or gn.SquaredError(), y, "tanh", name="loss")
    return graph


# ---------------------------------------------------------------------------- mismatch_hint
def test_mismatch_hint_reads_what_the_code_gave_as_floats():
    # exact fractions, as a student's code may compute them, are numbers like any other
    assert mismatch_hint([[Fraction(1, 2), Fraction(1, 3)]], [[1.0, 1.0]]) == \
        "backward / the finite differences varies from 0.333 to 0.5: the derivative's formula is wrong, not only a factor"
    assert mismatch_hint([[Fraction(2), Fraction(-4)]], [[1.0, -2.0]]) == \
        "backward is about 2 times the finite differences everywhere: is a factor of the local derivative missing?"


def test_mismatch_hint_of_one_by_one_jacobians_is_a_factor_not_a_transpose():
    J = np.array([[[2.0]], [[3.0]], [[4.0]]])
    assert mismatch_hint(J * (1 + 5e-7), J, what="gradient()") == \
        "gradient() is about 1 times the finite differences everywhere: is a factor of the local derivative missing?"


def test_mismatch_hint_of_jacobians_of_images():
    J = np.zeros((2, 3, 2, 2))
    J[..., 0, 0], J[..., 1, 1] = 1.0, 2.0
    assert mismatch_hint(J, J + 0.5, what="gradient()") == \
        "gradient() holds only the diagonal of the Jacobian: the off-diagonal terms are missing"
    full = J + 0.5
    full[..., 0, 1] = 3.0
    assert mismatch_hint(np.swapaxes(full, -1, -2), full, what="gradient()") == \
        "gradient() is the transpose of what it should be (W instead of W^T?)"


def test_mismatch_hint_names_a_known_factor_only_within_a_thousandth():
    x = np.array([[1.0, -2.0, 3.0]])
    factors = {5: "off by five"}
    assert mismatch_hint(5.004 * x, x, factors=factors) == "off by five"
    assert mismatch_hint(4.996 * x, x, factors=factors) == "off by five"
    assert mismatch_hint(5.01 * x, x, factors=factors) == \
        "backward is about 5.01 times the finite differences everywhere: is a factor of the local derivative missing?"
    assert mismatch_hint(2 * x, x, factors=factors) == \
        "backward is about 2 times the finite differences everywhere: is a factor of the local derivative missing?"
    assert mismatch_hint(-x, x, factors=factors) == "backward has the wrong sign everywhere"
    assert mismatch_hint(x ** 2, x, what="gradient") == \
        "gradient / the finite differences varies from -2 to 3: the derivative's formula is wrong, not only a factor"


# ---------------------------------------------------------------------------- gradcheck
def test_gradcheck_leaves_a_constant_input_constant():
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1, seed=0), objective=gn.SquaredError())
    assert graph.requires_grad("X") is False
    report = gradcheck(graph, {"X": np.ones((3, 2)), "Y": np.zeros((3, 1))})
    assert report.passed and [row[:2] for row in report.rows] == [("X", "input"), ("fc1", "weights"), ("fc1", "biases")]
    assert graph.requires_grad("X") is False


def test_a_relative_error_equal_to_the_tolerance_fails():
    report = GradcheckReport([("fc", "weights", 1e-6), ("X", "input", 1e-9)], 1e-6)
    assert not report.passed and not report and report.worst == 1e-6
    assert str(report) == ("node  checked  relative error\n"
                           "fc    weights  1.00e-06  <-- FAILS\n"
                           "X     input    1.00e-09\n"
                           "FAILED: worst relative error 1.00e-06 (not below the tolerance 1e-06)")
    nodes = NodeGradcheckReport([("fc", "weights", 1e-6, "a hint")], 1e-6)
    assert nodes.failing == {"fc": "weights: relative error 1e-06"} and not nodes.passed


# ---------------------------------------------------------------------------- NodeGradcheckReport
def test_the_node_report_as_text():
    rows = [("fc", "input 0 (from X)", 1e-9, ""), ("fc", "weights", 2e-3, "off by a factor N = 4: is the 1/N missing?"),
            ("tanh", "input 0 (from fc)", 3e-2, ""), ("loss", "gradient", 4e-3, "gradient has the wrong sign everywhere")]
    report = NodeGradcheckReport(rows, 1e-6)
    assert report.failing == {"fc": "weights: relative error 0.002", "tanh": "input 0 (from fc): relative error 0.03",
                              "loss": "gradient: relative error 0.004"}
    assert str(report) == (
        "node  checked            relative error\n"
        "fc    input 0 (from X)   1.00e-09\n"
        "fc    weights            2.00e-03  <-- FAILS: off by a factor N = 4: is the 1/N missing?\n"
        "tanh  input 0 (from fc)  3.00e-02  <-- FAILS\n"
        "loss  gradient           4.00e-03  <-- FAILS: gradient has the wrong sign everywhere\n"
        "FAILED at node(s) 'fc', 'tanh', 'loss' (tolerance 1e-06)")
    passing = NodeGradcheckReport(rows[:1], 1e-6)
    assert passing.passed and bool(passing) and passing.failing == {}
    assert str(passing) == ("node  checked           relative error\n"
                            "fc    input 0 (from X)  1.00e-09\n"
                            "PASSED: every node's backward agrees with its own central differences (tolerance 1e-06)")


# ---------------------------------------------------------------------------- gradcheck_nodes
def test_passing_rows_carry_no_hint_and_a_row_at_the_tolerance_gets_one():
    graph = tanh_graph(gn.wrap(StudentTanh("doubled")))
    feed = {"X": X4, "Y": np.zeros((4, 2))}
    report = gradcheck_nodes(graph, feed)
    assert [(node, what) for node, what, _, _ in report.rows] == [("tanh", "input 0 (from X)"), ("loss", "gradient")]
    (_, _, error, hint), (_, _, loss_error, loss_hint) = report.rows
    assert hint == ("backward is about 2 times the finite differences everywhere: "
                    "is a factor of the local derivative missing?")
    assert loss_error < 1e-6 and loss_hint == ""
    at = gradcheck_nodes(graph, feed, tolerance=error)  # the same error, now equal to the tolerance
    assert at.rows[0][2] == error and at.rows[0][3] == hint and list(at.failing) == ["tanh"]


def test_a_right_graph_has_no_hints():
    graph = tanh_graph(gn.wrap(StudentTanh()))
    report = gradcheck_nodes(graph, {"X": X4, "Y": np.zeros((4, 2))})
    assert report.passed and [row[3] for row in report.rows] == ["", ""]


def test_a_wrong_objective_gradient_is_named():
    graph = tanh_graph(gn.TanhLayer(), gn.wrap(SignedSquaredError()))
    report = gradcheck_nodes(graph, {"X": X4, "Y": np.zeros((4, 2))})
    assert list(report.failing) == ["loss"]
    assert report.rows[-1][1:2] + report.rows[-1][3:] == ("gradient", "gradient has the wrong sign everywhere")


def test_a_wrong_parameter_gradient_is_named_by_the_parameter():
    W = np.random.default_rng(1).normal(size=(2, 2))
    graph = gn.Graph.sequential(gn.wrap(StudentFullyConnected(W, "doubled")), gn.TanhLayer(),
                                objective=gn.SquaredError())
    report = gradcheck_nodes(graph, {"X": X4, "Y": np.zeros((4, 2))})
    wrong = [(what, hint) for node, what, error, hint in report.rows if error >= report.tolerance]
    assert wrong == [("weights", "the gradient of weights is about 2 times the finite differences everywhere: "
                                 "is a factor of the local derivative missing?")]


def test_a_node_is_checked_on_the_gradient_the_graph_sent_it():
    # |G| < 1 here: the clipping student's backward is right for the gradients its graph sends
    graph = tanh_graph(gn.wrap(StudentTanh("clipped")))
    feed = {"X": X4, "Y": np.tanh(X4) + 0.1}
    assert gradcheck_nodes(graph, feed).passed


def test_without_a_gradient_from_the_graph_a_random_one_is_used():
    # a perfect fit sends 0 back: each layer is checked on a random G, with its own backward,
    # including a layer of two inputs
    graph = gn.Graph()
    a, b, y = graph.input("A", requires_grad=True), graph.input("B", requires_grad=True), graph.input("Y")
    graph.add(gn.AddLayer(), a, b, name="add")
    graph.add(gn.TanhLayer(), "add", name="tanh")
    graph.add(gn.SquaredError(), y, "tanh", name="loss")
    A, B = X4, X4[::-1].copy()
    report = gradcheck_nodes(graph, {"A": A, "B": B, "Y": np.tanh(A + B)})
    assert report.passed, str(report)
    assert [row[:2] for row in report.rows] == [("add", "input 0 (from A)"), ("add", "input 1 (from B)"),
                                                ("tanh", "input 0 (from add)"), ("loss", "gradient")]
    clipped = tanh_graph(gn.wrap(StudentTanh("clipped")))
    report = gradcheck_nodes(clipped, {"X": X4, "Y": np.tanh(X4)})  # random G: entries beyond 1
    assert list(report.failing) == ["tanh"]


def test_float32_values_are_checked_in_float64():
    X = X4.astype(np.float32)
    graph = tanh_graph(gn.TanhLayer())
    feed = {"X": X, "Y": np.zeros((4, 2), dtype=np.float32)}
    graph.forward(feed)
    assert graph.value("X").dtype == np.float32
    report = gradcheck_nodes(graph, feed)
    assert report.passed and X.dtype == np.float32


def test_a_float32_parameter_is_refused_and_the_gradients_are_left_as_they_were():
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(2, 2, seed=0, dtype=np.float32), gn.TanhLayer(),
                                objective=gn.SquaredError())
    feed = {"X": X4, "Y": np.zeros((4, 2))}
    graph.forward(feed)
    graph.backward()
    fc = graph.op("fc1")
    before = [fc.weights.grad.copy(), fc.biases.grad.copy()]
    with pytest.raises(ValueError, match=r"gradcheck_nodes: parameter 'weights' of node 'fc1' is float32"):
        gradcheck_nodes(graph, feed)
    assert np.array_equal(fc.weights.grad, before[0]) and np.array_equal(fc.biases.grad, before[1])


# ---------------------------------------------------------------------------- find_nonfinite
class Raising:
    def forward(self, X):
        raise ValueError("boom")

    def gradient(self):
        return np.eye(2)

    def backward(self, gradIn):
        return gradIn


class Reciprocal:
    """1 / x written as a power, which numpy refuses for integer arrays."""

    def forward(self, X):
        self.X = X
        return X ** -1

    def gradient(self):
        return np.einsum("nd,de->nde", -self.X ** -2, np.eye(self.X.shape[1]))

    def backward(self, gradIn):
        return -gradIn * self.X ** -2


def layer_graph(layer, objective=None):
    graph = gn.Graph()
    x, y = graph.input("X", requires_grad=True), graph.input("Y")
    graph.add(gn.wrap(layer), x, name="mine")
    graph.add(objective or gn.SquaredError(), y, "mine", name="loss")
    return graph


def test_a_layer_that_raises_is_the_culprit():
    report = gn.find_nonfinite(layer_graph(Raising()), {"X": np.ones((2, 2)), "Y": np.ones((2, 2))})
    assert (report.found, report.direction, report.node, report.what) == (True, "forward", "mine", "output")
    assert report.statistics == "" and report.error == "ValueError: boom"
    assert report.reads == [("X", "2 x 2; min 1, max 1, mean 1, max|x| 1")]
    assert report.path == ["X", "mine"]
    assert report.marks == {"X": "", "mine": "raised"}
    assert str(report) == ("forward: node 'mine' raised ValueError: boom\n"
                           "  read X: 2 x 2; min 1, max 1, mean 1, max|x| 1\n"
                           "  path: X -> mine")


def test_integer_data_is_read_as_floats():
    feed = {"X": np.array([[1, 2], [4, 5]]), "Y": np.ones((2, 2))}
    report = gn.find_nonfinite(layer_graph(Reciprocal()), feed)
    assert not report.found, str(report)


def test_a_feed_both_missing_and_with_extra_inputs():
    graph = layer_graph(Reciprocal())
    with pytest.raises(gn.GraphError) as err:
        gn.find_nonfinite(graph, {"X": np.ones((2, 2)), "Z": 1})
    assert str(err.value) == ("find_nonfinite: no value for input(s) ['Y']; ['Z'] are not inputs; "
                              "the graph's inputs are ['X', 'Y']")


class InfiniteGradient:
    def eval(self, Y, Yhat):
        return float(((Y - Yhat) ** 2).sum(axis=1).mean())

    def gradient(self, Y, Yhat):
        return np.full(Yhat.shape, np.inf)


def test_an_objective_gradient_that_is_not_finite_with_its_statistics():
    graph = layer_graph(Reciprocal(), gn.wrap(InfiniteGradient()))
    report = gn.find_nonfinite(graph, {"X": np.ones((2, 2)), "Y": np.ones((2, 2))})
    assert (report.direction, report.node, report.what) == ("backward", "loss", "gradient")
    assert report.statistics == "2 x 2; 0 NaN, 4 inf of 4"
    assert report.path == ["loss"]


class Huge:
    """Sends back gradients near the float limit: finite on each edge, not once summed."""

    def forward(self, X):
        return X.copy()

    def gradient(self):
        return np.eye(2)

    def backward(self, gradIn):
        return np.full(gradIn.shape, 1e308)


def test_a_gradient_that_overflows_where_it_fans_out():
    graph = gn.Graph()
    x, y = graph.input("X", requires_grad=True), graph.input("Y")
    graph.add(gn.TanhLayer(), x, name="split")
    graph.add(gn.wrap(Huge()), "split", name="left")
    graph.add(gn.wrap(Huge()), "split", name="right")
    graph.add(gn.AddLayer(), "left", "right", name="add")
    graph.add(gn.SquaredError(), y, "add", name="loss")
    report = gn.find_nonfinite(graph, {"X": np.zeros((2, 2)), "Y": np.ones((2, 2))})
    assert (report.direction, report.node, report.what) == ("backward", "split", "gradient (the sum over its consumers)")
    assert report.statistics == "2 x 2; 0 NaN, 4 inf of 4"
    assert report.reads == [("X", "2 x 2; min 0, max 0, mean 0, max|x| 0")]
    assert report.path == ["split", "left", "right", "add", "loss"]


def test_a_parameter_gradient_that_is_not_finite_reads_the_gradient_received():
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1, seed=0), objective=gn.SquaredError())
    feed = {"X": np.full((2, 2), 1e308), "Y": np.zeros((2, 1))}
    graph.op("fc1").setWeights(np.full((2, 1), 1e-308))
    graph.op("fc1").setBiases(np.full((1, 1), -100.0))
    report = gn.find_nonfinite(graph, feed)
    assert (report.direction, report.node, report.what) == ("backward", "fc1", "gradient of weights")
    assert [what for what, _ in report.reads] == ["X", "gradient received"]
    assert report.reads[1][1].startswith("2 x 1; min ")


# ---------------------------------------------------------------------------- diagrams written to files
def test_the_reports_write_their_diagrams(tmp_path):
    graph = tanh_graph(gn.wrap(StudentTanh("doubled")))
    nodes = gradcheck_nodes(graph, {"X": X4, "Y": np.zeros((4, 2))})
    for rankdir in ("LR", "TB"):
        path = nodes.render(graph, tmp_path / f"gradients_{rankdir}.dot", rankdir=rankdir)
        assert path == tmp_path / f"gradients_{rankdir}.dot"
        assert path.read_text(encoding="utf-8") == nodes.to_dot(graph, rankdir=rankdir).source
        assert f"rankdir={rankdir}" in path.read_text(encoding="utf-8")
    assert nodes.render(graph, tmp_path / "default.dot").read_text(encoding="utf-8") == nodes.to_dot(graph).source
    assert "relative error" in nodes.to_dot(graph).source  # the failing node's mark

    broken = layer_graph(Raising())
    report = gn.find_nonfinite(broken, {"X": np.ones((2, 2)), "Y": np.ones((2, 2))})
    for rankdir in ("LR", "TB"):
        path = report.render(broken, tmp_path / f"network_{rankdir}.dot", rankdir=rankdir)
        assert path.read_text(encoding="utf-8") == report.to_dot(broken, rankdir=rankdir).source
        assert f"rankdir={rankdir}" in path.read_text(encoding="utf-8")
    assert report.render(broken, tmp_path / "default.dot").read_text(encoding="utf-8") == report.to_dot(broken).source
    assert "raised" in report.to_dot(broken).source


# ---------------------------------------------------------------------------- the building blocks


def test_numerical_gradient_values_step_and_restoration():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    assert DEFAULT_EPS == 1e-6 and DEFAULT_TOLERANCE == 1e-6
    np.testing.assert_allclose(numerical_gradient(lambda: float((x ** 2).sum()), x), 2 * x, rtol=1e-8)
    # central differences of x^3 with step h: 3 x^2 + h^2, exactly the step asked for
    coarse = numerical_gradient(lambda: float((x ** 3).sum()), x, eps=0.1)
    np.testing.assert_allclose(coarse, 3 * x ** 2 + 0.01, rtol=1e-10)
    kept = x.copy()

    def fails():
        if x[0, 0] != kept[0, 0]:
            raise KeyboardInterrupt
        return 0.0

    with pytest.raises(KeyboardInterrupt):
        numerical_gradient(fails, x)
    assert np.array_equal(x, kept)
    with pytest.raises(ValueError, match=r"^numerical_gradient: x must be float64 for accurate differences, got float32$"):
        numerical_gradient(lambda: 0.0, x.astype(np.float32))


def test_relative_error_against_the_largest_entry():
    assert relative_error([1.0, 2.0], [1.0, 3.0]) == pytest.approx(1 / 3)
    assert relative_error([3.0, 2.0], [1.0, 2.0]) == pytest.approx(2 / 3)
    assert relative_error([0.0], [0.0]) == 0.0 and relative_error([], []) == 0.0
    assert relative_error([1e-3], [2e-3], floor=1.0) == pytest.approx(1e-3)
    assert relative_error([1e-3], [2e-3], floor=1e-4) == pytest.approx(0.5)
    assert relative_error([-4.0], [0.0]) == 1.0
    assert isinstance(relative_error(np.ones(2), np.ones(2)), float)
    # array-likes are read as floats, whatever holds the numbers
    assert relative_error(["1.5", "2"], [1.5, 2.0]) == 0.0 and relative_error([1.5, 2.0], ("1.5", "4")) == 0.5


def test_noise_floor_formula():
    unit = 10 * np.finfo(np.float64).eps
    assert noise_floor(0.5) == pytest.approx(unit / 1e-6 / 1e-6)
    assert noise_floor(-3.0) == pytest.approx(3 * unit / 1e-6 / 1e-6)
    assert noise_floor(3.0, eps=1e-4, tolerance=1e-3) == pytest.approx(3 * unit / 1e-4 / 1e-3)
    assert isinstance(noise_floor(1), float)


def test_the_factors_and_their_explanations():
    assert parameter_factors(1) == {}
    assert parameter_factors(4) == {4: "off by a factor N = 4: is the 1/N of the mean objective missing?",
                                    0.25: "1/N = 1/4 of the gradient of the mean: divided by N twice?"}
    assert objective_factors(1, 1) == {}
    assert objective_factors(4, 1) == {0.25: "1/N = 1/4 of N x d eval/dYhat: the gradient is per observation, "
                                             "not divided by N (or eval is a sum, not a mean)"}
    assert objective_factors(1, 3) == {3.0: "K = 3 times N x d eval/dYhat: eval averages over every entry (np.mean "
                                            "of an N x K array, the 'mean over N x K' convention) while the graph "
                                            "takes eval as a mean over the N observations"}
    assert list(objective_factors(4, 3)) == [0.25, 3.0]


def test_mismatch_hint_each_shape_of_mistake():
    assert mismatch_hint(np.ones((3, 2)), np.ones((2, 3))) == \
        "backward is shaped (3, 2), the transpose of (2, 3): is it transposed (W instead of W^T)?"
    assert mismatch_hint(np.ones((2, 3)), np.ones((3, 3))) == "backward is shaped (2, 3), expected (3, 3)"
    assert mismatch_hint(np.ones(6), np.ones((2, 3))) == "backward is shaped (6,), expected (2, 3)"
    assert mismatch_hint([[np.nan, 1.0]], [[1.0, 1.0]]) == "backward holds NaN or inf"
    assert mismatch_hint([[np.inf, 1.0]], [[1.0, 1.0]], what="gradient") == "gradient holds NaN or inf"
    assert mismatch_hint([[0.0, 0.0]], [[1.0, 1.0]]) == "backward is all zeros"
    assert mismatch_hint([[1.0, 2.0]], [[0.0, 0.0]]) == (
        "the finite differences are all 0: the output does not move when an input moves by 1e-6; does it round, "
        "or compute in integers?")
    assert mismatch_hint([[1.0, 2.0]], [[0.0, 0.0]], reference="graphnn's") == ""
    G = np.array([[1.0, 2.0]])
    assert mismatch_hint(G, [[3.0, 1.0]], gradIn=G) == \
        "backward returns gradIn unchanged: is the factor of the local derivative missing?"
    assert mismatch_hint(G * (1 + 1e-10), [[3.0, 1.0]], gradIn=G) == \
        "backward returns gradIn unchanged: is the factor of the local derivative missing?"
    assert mismatch_hint(G * (1 + 1e-8), [[3.0, 1.0]], gradIn=G).startswith("backward / the finite differences varies")
    assert mismatch_hint(G, [[3.0, 1.0]], gradIn=np.ones(2)).startswith("backward / the finite differences varies")
    assert mismatch_hint(G, [[3.0, 1.0]], diagonal=G * (1 + 5e-7)) == \
        "backward uses only the diagonal of the Jacobian: the off-diagonal terms (softmax: -s_i s_j) are missing"
    assert mismatch_hint(G, [[3.0, 1.0]], diagonal=G * (1 + 5e-6)).startswith("backward / the finite differences")
    J = np.array([[1.0, 0.5], [0.5, 2.0]])
    assert mismatch_hint(np.diag(np.diag(J)), J) == \
        "backward holds only the diagonal of the Jacobian: the off-diagonal terms are missing"
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert mismatch_hint(A.T, A) == "backward is the transpose of what it should be (W instead of W^T?)"
    assert mismatch_hint(3 * A, A, reference="graphnn's", what="forward") == \
        "forward is about 3 times graphnn's everywhere: is a factor of the local derivative missing?"
    assert mismatch_hint(A.T, A, reference="graphnn's", what="forward") == \
        "forward is the transpose of what it should be (W instead of W^T?)"


def test_mismatch_hint_thresholds_of_a_factor():
    x = np.array([[1.0, -2.0, 3.0]])
    noise = np.array([[1.0, -1.0, 0.0]])
    assert mismatch_hint(2 * x + 2e-5 * noise, x) == FACTOR.format(2)  # within 1e-4 of a factor
    assert mismatch_hint(2 * x + 1e-3 * noise, x).startswith("backward / the finite differences varies")
    assert mismatch_hint(-1.0005 * x, x) == "backward has the wrong sign everywhere"
    assert mismatch_hint(-1.002 * x, x) == FACTOR.format(-1)
    # a ratio is read only where the differences are above 1e-3 of the largest
    assert mismatch_hint([[2.0, 1.0]], [[1.0, 1e-4]]).endswith("varies from 2 to 2: the derivative's formula is "
                                                              "wrong, not only a factor")
    assert "varies from 2 to 500:" in mismatch_hint([[2.0, 1.0]], [[1.0, 2e-3]])


FACTOR = "backward is about {} times the finite differences everywhere: is a factor of the local derivative missing?"


def test_array_statistics_in_one_line():
    assert array_statistics(np.array([[1.0, np.nan], [np.inf, -2.0]])) == \
        "2 x 2; 1 NaN, 1 inf of 4; min -2, max 1, mean -0.5, max|x| 2"
    assert array_statistics(np.array([np.nan])) == "(1,); 1 NaN, 0 inf of 1"
    assert array_statistics(np.ones((2, 2, 2))) == "(2, 2, 2); min 1, max 1, mean 1, max|x| 1"
    assert array_statistics([[1, -3]]) == "1 x 2; min -3, max 1, mean -1, max|x| 3"


def test_an_empty_nonfinite_report():
    report = NonfiniteReport()
    assert (report.found, bool(report), report.direction, report.node, report.what) == (False, False, None, None, None)
    assert (report.statistics, report.reads, report.path, report.error) == ("", [], [], None)
    assert report.marks == {}
    assert repr(report) == "no NaN or inf: every value and gradient of the pass is finite"


def test_a_passing_gradcheck_report_as_text():
    report = GradcheckReport([("fc", "weights", 1e-9)], 1e-6)
    assert report.passed and bool(report) and report.worst == 1e-9
    assert repr(report) == ("node  checked  relative error\n"
                            "fc    weights  1.00e-09\n"
                            "PASSED: worst relative error 1.00e-09 (below the tolerance 1e-06)")
    empty = GradcheckReport([], 1e-6)
    assert empty.passed and empty.worst == 0.0


# ---------------------------------------------------------------------------- gradcheck, whole graphs
def test_gradcheck_refuses_float32_parameters_and_leaves_the_caller_s_data():
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1, seed=0, dtype=np.float32), objective=gn.SquaredError())
    with pytest.raises(ValueError, match=r"^gradcheck: parameter 'weights' is float32; finite differences need float64"):
        gradcheck(graph, {"X": np.ones((3, 2)), "Y": np.zeros((3, 1))})


def test_gradcheck_checks_inputs_that_require_a_gradient_and_skips_targets_and_unfed_ones():
    graph = gn.Graph()
    x, y = graph.input("X", requires_grad=True), graph.input("Y")
    graph.add(gn.FullyConnectedLayer(2, 2, seed=0), x, name="fc")
    graph.add(gn.TanhLayer(), "fc", name="tanh")
    graph.add(gn.SquaredError(), y, "tanh", name="loss")
    X, Y = X4.copy(), np.zeros((4, 2))
    report = gradcheck(graph, {"X": X, "Y": Y})
    assert report.passed and [row[:2] for row in report.rows] == [("X", "input"), ("fc", "weights"), ("fc", "biases")]
    assert graph.requires_grad("X") is True
    assert np.array_equal(X, X4) and graph.has_gradients
    assert graph.value("loss") == pytest.approx(gn.SquaredError().eval(Y, np.tanh(graph.value("fc"))))


def test_a_weighted_objective_passes_node_by_node():
    graph = gn.Graph()
    x, y = graph.input("X", requires_grad=True), graph.input("Y")
    graph.add(gn.TanhLayer(), x, name="tanh")
    graph.add(gn.SquaredError(), y, "tanh", name="loss", weight=2.5)
    report = gradcheck_nodes(graph, {"X": X4, "Y": np.zeros((4, 2))})
    assert report.passed, str(report)
    broken = tanh_graph(gn.TanhLayer(), gn.wrap(SignedSquaredError()))
    assert gradcheck_nodes(broken, {"X": X4, "Y": np.zeros((4, 2))}).rows[-1][2] == pytest.approx(2.0)


def test_the_random_gradient_comes_from_the_seed():
    clipped = tanh_graph(gn.wrap(StudentTanh("clipped")))
    feed = {"X": X4, "Y": np.tanh(X4)}
    errors = [gradcheck_nodes(clipped, feed, seed=seed).rows[0][2] for seed in (0, 0, 1)]
    assert errors[0] == errors[1] != errors[2]


def test_gradcheck_nodes_leaves_the_graph_as_after_a_pass():
    graph = tanh_graph(gn.wrap(StudentTanh("doubled")))
    feed = {"X": X4, "Y": np.zeros((4, 2))}
    J = graph.forward(feed)
    gradcheck_nodes(graph, feed)
    assert graph.has_gradients and graph.value("loss") == J
    np.testing.assert_array_equal(graph.value("tanh"), np.tanh(X4))


# ---------------------------------------------------------------------------- find_nonfinite, other culprits
def test_a_nan_fed_is_its_input_node():
    X = np.ones((2, 2))
    X[1, 0] = np.nan
    report = gn.find_nonfinite(layer_graph(Reciprocal()), {"X": X, "Y": np.ones((2, 2))})
    assert (report.direction, report.node, report.what, report.path) == ("forward", "X", "fed value", ["X"])
    assert report.statistics == "2 x 2; 1 NaN, 0 inf of 4; min 1, max 1, mean 1, max|x| 1"
    assert report.reads == [] and report.marks == {"X": "forward: fed value not finite"}
    assert str(report) == ("forward: node 'X' gives a non-finite fed value from finite inputs\n"
                           "  fed value: 2 x 2; 1 NaN, 0 inf of 4; min 1, max 1, mean 1, max|x| 1\n"
                           "  path: X")


def test_an_objective_value_and_a_layer_output_that_are_not_finite():
    zeros = {"X": np.array([[0.0, 1.0]]), "Y": np.ones((1, 2))}
    report = gn.find_nonfinite(layer_graph(Reciprocal()), zeros)
    assert (report.direction, report.node, report.what) == ("forward", "mine", "output")
    assert report.statistics == "1 x 2; 0 NaN, 1 inf of 2; min 1, max 1, mean 1, max|x| 1"
    assert report.reads == [("X", "1 x 2; min 0, max 1, mean 0.5, max|x| 1")]

    class InfiniteValue(InfiniteGradient):
        def eval(self, Y, Yhat):
            return float("inf")

    report = gn.find_nonfinite(layer_graph(Reciprocal(), gn.wrap(InfiniteValue())), {"X": np.ones((1, 2)),
                                                                                     "Y": np.ones((1, 2))})
    assert (report.direction, report.node, report.what) == ("forward", "loss", "value")
    assert report.path == ["X", "Y", "mine", "loss"]


class DividesGradient(Reciprocal):
    def backward(self, gradIn):
        return gradIn / 0.0


def test_a_backward_that_divides_by_zero_as_text():
    report = gn.find_nonfinite(layer_graph(DividesGradient()), {"X": np.ones((1, 2)), "Y": np.zeros((1, 2))})
    assert (report.direction, report.node, report.what) == ("backward", "mine", "gradient to input 0 (from X)")
    assert report.marks == {"mine": "backward: gradient to input 0 (from X) not finite", "loss": ""}
    assert str(report) == ("backward: node 'mine' gives a non-finite gradient to input 0 (from X) from a finite gradient\n"
                           "  gradient to input 0 (from X): 1 x 2; 0 NaN, 2 inf of 2\n"
                           "  read X: 1 x 2; min 1, max 1, mean 1, max|x| 1\n"
                           "  read gradient received: 1 x 2; min 2, max 2, mean 2, max|x| 2\n"
                           "  path: mine -> loss")


def test_a_feed_that_is_not_a_dict():
    with pytest.raises(gn.GraphError) as err:
        gn.find_nonfinite(layer_graph(Reciprocal()), [np.ones((2, 2))])
    assert str(err.value) == ("find_nonfinite: feed must be a dict {input name: N x D array} for the inputs "
                              "['X', 'Y'], got list")
    with pytest.raises(gn.GraphError) as err:
        gn.find_nonfinite(layer_graph(Reciprocal()), {"X": np.ones((2, 2)), "Y": np.ones((2, 2)), "Z": 0})
    assert str(err.value) == "find_nonfinite: ['Z'] are not inputs; the graph's inputs are ['X', 'Y']"


def test_nothing_flows_back_through_constants():
    graph = gn.Graph()
    x, y = graph.input("X"), graph.input("Y")  # constants: backward computes no gradient at all
    graph.add(gn.wrap(DividesGradient()), x, name="mine")
    graph.add(gn.wrap(InfiniteGradient()), y, "mine", name="loss")
    report = gn.find_nonfinite(graph, {"X": np.ones((1, 2)), "Y": np.zeros((1, 2))})
    assert not report.found and report.marks == {}
    # a constant branch beside one that needs gradients: only the latter is looked at
    graph = gn.Graph()
    x, z, y = graph.input("X", requires_grad=True), graph.input("Z"), graph.input("Y")
    graph.add(gn.wrap(DividesGradient()), z, name="constant")
    graph.add(gn.wrap(DividesGradient()), x, name="mine")
    graph.add(gn.AddLayer(), "constant", "mine", name="add")
    graph.add(gn.SquaredError(), y, "add", name="loss")
    report = gn.find_nonfinite(graph, {"X": np.ones((1, 2)), "Z": np.ones((1, 2)), "Y": np.zeros((1, 2))})
    assert (report.node, report.what, report.path) == ("mine", "gradient to input 0 (from X)", ["mine", "add", "loss"])


class Float32Gradient(InfiniteGradient):
    def gradient(self, Y, Yhat):
        return (-2 * (Y - Yhat)).astype(np.float32)


def test_a_float32_objective_gradient_is_weighted_in_float64():
    graph = gn.Graph()
    x, y = graph.input("X", requires_grad=True), graph.input("Y")
    graph.add(gn.TanhLayer(), x, name="tanh")
    loss = Float32Gradient()
    graph.add(gn.wrap(loss), y, "tanh", name="loss", weight=0.1)
    Y = np.zeros((4, 2))
    report = gradcheck_nodes(graph, {"X": X4, "Y": Y})
    Yhat = np.tanh(X4)
    analytic = 0.1 * np.asarray(loss.gradient(Y, Yhat), dtype=np.float64)
    numeric = 0.1 * 4 * numerical_gradient(lambda: loss.eval(Y, Yhat), Yhat)
    assert report.rows[-1][2] == relative_error(analytic, numeric, noise_floor(loss.eval(Y, Yhat)))


def test_gradcheck_reads_integer_data_as_float64():
    graph = gn.Graph()
    x, y = graph.input("X", requires_grad=True), graph.input("Y")
    graph.add(gn.TanhLayer(), x, name="tanh")
    graph.add(gn.SquaredError(), y, "tanh", name="loss")
    X = np.array([[1, -2], [0, 1]])
    report = gradcheck(graph, {"X": X, "Y": np.array([[0, 1], [1, 0]])})
    assert report.passed and [row[:2] for row in report.rows] == [("X", "input")]
    assert X.dtype == np.int64 and X.tolist() == [[1, -2], [0, 1]]


def test_the_path_to_a_culprit_follows_the_graphs_order_not_the_names():
    graph = gn.Graph()
    x, y = graph.input("x_in"), graph.input("Y")
    graph.add(gn.LinearLayer(), x, name="first")
    graph.add(gn.wrap(Raising()), "first", name="culprit")
    graph.add(gn.SquaredError(), y, "culprit", name="loss")
    report = gn.find_nonfinite(graph, {"x_in": np.ones((2, 2)), "Y": np.ones((2, 2))})
    assert report.node == "culprit" and report.path == ["x_in", "first", "culprit"]  # not sorted by name


def test_relative_error_divides_by_the_gradients_own_scale_unless_given_a_floor():
    small, smaller = np.array([[1e-3, 0.0]]), np.array([[2e-3, 0.0]])
    assert relative_error(small, smaller) == pytest.approx(0.5, rel=1e-12)
    assert relative_error(small, smaller, floor=1.0) == pytest.approx(1e-3, rel=1e-12)


def test_central_differences_only_where_asked():
    """``where``: the entries differentiated (two calls each); the others are 0 and ``x`` is
    left as it was."""
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    calls = []

    def f():
        calls.append(1)
        return float((x ** 2).sum())

    grad = numerical_gradient(f, x, where=np.array([[True, False], [False, True]]))
    assert np.allclose(grad, [[2.0, 0.0], [0.0, 8.0]]) and grad[0, 1] == 0 and grad[1, 0] == 0
    assert len(calls) == 4 and x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
