"""gradcheck_nodes node by node (grading/gradcheck.py): the gradient each node is checked on
(what the graph sent along each in-edge, slot by slot, a fused objective's step included, read
in float64), the noise floor and the step it measures with (at the eps and tolerance given),
the hints of an objective or a parameter off by a known factor, the nodes listed after an
objective, the default seed of the random gradient and the table of a row at the tolerance;
mismatch_hint on transposed Jacobians, compare on exact fractions (inputs.py) and the shapes
LayerContext reads (layer_context.py). The behaviours mutation testing found unchecked."""
from fractions import Fraction

import numpy as np
import pytest

import graphnn as gn
from graphnn.grading.inputs import compare
from graphnn.grading.layer_context import LayerContext
from graphnn.grading.report import CheckFailure
from graphnn.grading.gradcheck import (NodeGradcheckReport, gradcheck_nodes, mismatch_hint, noise_floor,
                                       numerical_gradient, relative_error)

RNG = np.random.default_rng(5)
X4 = RNG.normal(size=(4, 2))


# ----------------------------------------------------------------------------- helpers
def one_layer_graph(layer, objective=None, weight=1.0):
    """X (requiring a gradient) -> layer -> objective(Y, layer)."""
    graph = gn.Graph()
    x, y = graph.input("X", requires_grad=True), graph.input("Y")
    graph.add(layer, x, name="layer")
    graph.add(objective or gn.SquaredError(), y, "layer", name="loss", weight=weight)
    return graph


def row(report, node, checked):
    """The ``(error, hint)`` of one row of a ``NodeGradcheckReport``."""
    (found,) = [(error, hint) for n, what, error, hint in report.rows if (n, what) == (node, checked)]
    return found


class StudentTanh:
    """tanh in the seed's style, right."""

    def forward(self, X):
        self.X = X
        return np.tanh(X)

    def gradient(self):
        return 1 - np.tanh(self.X) ** 2

    def backward(self, gradIn):
        return gradIn * (1 - np.tanh(self.X) ** 2)


class ClippingTanh(StudentTanh):
    """Clips the gradient it receives to [-1, 1] (right only for gradients below 1)."""

    def backward(self, gradIn):
        return np.clip(gradIn, -1.0, 1.0) * (1 - np.tanh(self.X) ** 2)


# ----------------------------------------------------------------------------- the report's table
def test_a_row_at_the_tolerance_is_flagged_in_the_table():
    """A row whose error equals the tolerance fails: the table flags it, with its hint."""
    report = NodeGradcheckReport([("fc", "weights", 1e-6, "a hint"), ("X", "input 0 (from A)", 1e-9, "")], 1e-6)
    lines = str(report).splitlines()
    assert "FAILS: a hint" in lines[1] and "FAILS" not in lines[2]
    assert lines[-1].startswith("FAILED at node(s) 'fc'")


# ----------------------------------------------------------------------------- which nodes, which gradient
def test_the_random_gradient_of_the_default_is_that_of_seed_0():
    """Where the graph sends no gradient (a perfect fit), the random G is drawn from seed 0
    unless another seed is given: the default report is the seed-0 one."""
    graph = one_layer_graph(gn.wrap(ClippingTanh()))
    feed = {"X": X4, "Y": np.tanh(X4)}
    default = gradcheck_nodes(graph, feed)
    assert default.rows == gradcheck_nodes(graph, feed, seed=0).rows
    assert default.rows[0][2] != gradcheck_nodes(graph, feed, seed=1).rows[0][2]


def test_every_node_is_checked_also_those_listed_after_an_objective():
    """Two branches, each with its objective: the nodes listed after the first objective
    (topological order, ties by name) are checked too, and a mistake there is found."""
    graph = gn.Graph()
    x, y = graph.input("X", requires_grad=True), graph.input("Y")
    graph.add(gn.TanhLayer(), x, name="tanh")
    graph.add(gn.SquaredError(), y, "tanh", name="aloss")
    graph.add(gn.wrap(ClippingTanh()), x, name="zz")
    graph.add(gn.SquaredError(), y, "zz", name="zloss")
    assert graph.nodes.index("aloss") < graph.nodes.index("zz")
    report = gradcheck_nodes(graph, {"X": 3 * X4, "Y": np.full((4, 2), 5.0)})  # G beyond 1: the clipping is wrong
    assert [r[:2] for r in report.rows] == [("tanh", "input 0 (from X)"), ("aloss", "gradient"),
                                            ("zz", "input 0 (from X)"), ("zloss", "gradient")]
    assert list(report.failing) == ["zz"]


def test_a_layer_of_two_inputs_is_checked_on_each_slot_s_own_gradient():
    """A product a * b with a gradient from the graph: slot 0 gets G * b and slot 1 G * a,
    each checked against its own differences (both pass)."""
    graph = gn.Graph()
    a, b, y = graph.input("A", requires_grad=True), graph.input("B", requires_grad=True), graph.input("Y")
    graph.add(gn.MultiplyLayer(), a, b, name="mul")
    graph.add(gn.SquaredError(), y, "mul", name="loss")
    report = gradcheck_nodes(graph, {"A": X4, "B": X4[::-1] + 1.0, "Y": np.zeros((4, 2))})
    assert report.passed, str(report)
    assert [r[:2] for r in report.rows] == [("mul", "input 0 (from A)"), ("mul", "input 1 (from B)"),
                                            ("loss", "gradient")]


class CrossEntropyWrongShortcut(gn.CrossEntropy):
    """CrossEntropy whose fused step through the softmax forgets the sign: Y - Yhat."""

    def fused_gradient(self, Y, Yhat):
        return Y - Yhat


def test_a_fused_step_is_checked_by_what_the_graph_sent():
    """Softmax then a cross entropy that fuses with it: the softmax node is checked on the
    gradient the fused step sent to its input, not on the softmax's own backward, so a wrong
    shortcut is found at the softmax, with the sign hint."""
    Y = np.eye(3)[[0, 1, 2, 0]]
    right = gradcheck_nodes(one_layer_graph(gn.SoftmaxLayer(), gn.CrossEntropy()), {"X": X4[:, :1] * [1, 2, 3], "Y": Y})
    assert right.passed, str(right)
    graph = one_layer_graph(gn.SoftmaxLayer(), CrossEntropyWrongShortcut())
    report = gradcheck_nodes(graph, {"X": X4[:, :1] * [1, 2, 3], "Y": Y})
    assert list(report.failing) == ["layer"]
    error, hint = row(report, "layer", "input 0 (from X)")
    assert error > 0.5 and "wrong sign" in hint


# ----------------------------------------------------------------------------- known factors and steps
class SummedSquaredError:
    """eval a sum over the observations (not a mean); gradient per observation, right for a mean."""

    def eval(self, Y, Yhat):
        return float(((Y - Yhat) ** 2).sum())

    def gradient(self, Y, Yhat):
        return -2 * (Y - Yhat)


class EntryMeanSquaredError(SummedSquaredError):
    """eval np.mean over every entry of N x K (the 'mean over N x K' convention)."""

    def eval(self, Y, Yhat):
        return float(np.mean((Y - Yhat) ** 2))


def test_an_objective_off_by_a_known_factor_is_named():
    """An objective whose eval is a sum (gradient 1/N of N d eval/dYhat) or a mean over
    every entry (K times) gets the hint naming N or K, from N = 2 and K = 2 on."""
    for n in (4, 2):
        feed = {"X": X4[:n], "Y": np.zeros((n, 2))}
        summed = gradcheck_nodes(one_layer_graph(gn.TanhLayer(), gn.wrap(SummedSquaredError())), feed)
        assert row(summed, "loss", "gradient")[1].startswith(f"1/N = 1/{n} of N x d eval/dYhat")
    feed = {"X": X4, "Y": np.zeros((4, 2))}
    entries = gradcheck_nodes(one_layer_graph(gn.TanhLayer(), gn.wrap(EntryMeanSquaredError())), feed)
    assert row(entries, "loss", "gradient")[1].startswith("K = 2 times")


def test_an_objective_is_differenced_with_the_step_given():
    """The objective's row compares weight * gradient with weight * N times central differences
    of eval taken with the eps given, against the noise floor at that eps and tolerance."""
    graph = one_layer_graph(gn.LogisticSigmoidLayer(), gn.LogLoss(), weight=0.5)
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    X = X4.copy()
    eps, tolerance = 1e-2, 1e-3
    report = gradcheck_nodes(graph, {"X": X, "Y": Y}, eps=eps, tolerance=tolerance)
    Yhat = np.array(graph.value("layer"), dtype=np.float64)
    loss = gn.LogLoss()
    analytic = 0.5 * loss.gradient(Y, Yhat)
    numeric = 0.5 * 4 * numerical_gradient(lambda: float(loss.eval(Y, Yhat)), Yhat, eps)
    expected = relative_error(analytic, numeric, noise_floor(float(loss.eval(Y, Yhat)), eps, tolerance))
    assert row(report, "loss", "gradient")[0] == expected and expected > 1e-5  # the step shows at eps = 0.01



class DenseSumGradient:
    """X W + b in the seed's style whose updateWeights applies X^T G, the 1/N forgotten."""

    def __init__(self):
        self.W, self.b = np.array([[0.5, -1.0], [2.0, 0.3]]), np.zeros((1, 2))

    def getWeights(self):
        return self.W

    def setWeights(self, W):
        self.W = W

    def getBiases(self):
        return self.b

    def setBiases(self, b):
        self.b = b

    def forward(self, X):
        self.X = X
        return X @ self.W + self.b

    def gradient(self):
        return self.W.T

    def backward(self, gradIn):
        return gradIn @ self.W.T

    def updateWeights(self, gradIn, eta):
        self.W = self.W - eta * self.X.T @ gradIn
        self.b = self.b - eta * gradIn.mean(axis=0, keepdims=True)


def test_a_parameter_gradient_off_by_n_is_named_from_two_observations_on():
    """A weight gradient N times too large is named as the missing 1/N, with N = 2 as with more."""
    for n in (2, 4):
        graph = gn.Graph.sequential(gn.wrap(DenseSumGradient()), gn.TanhLayer(), objective=gn.SquaredError())
        report = gradcheck_nodes(graph, {"X": X4[:n], "Y": np.zeros((n, 2))})
        assert row(report, "densesumgradient1", "weights")[1] == (
            f"off by a factor N = {n}: is the 1/N of the mean objective missing?")


# ----------------------------------------------------------------------------- the noise floor and the step
def test_a_right_layer_with_tiny_gradients_passes_by_the_noise_floor():
    """A right tanh at saturated inputs has derivatives near 1e-5 whose differences carry
    rounding noise near 1e-5 of themselves: measured against the noise floor it passes."""
    X = np.sign(X4) * (6 + np.abs(X4))
    for Y in (np.zeros((4, 2)), np.full((4, 2), 1000.0)):  # |sum(G * tanh)| below 1, and far above
        report = gradcheck_nodes(one_layer_graph(gn.TanhLayer()), {"X": X, "Y": Y})
        assert report.passed, str(report)


def weighted_output(graph, node, G):
    """``f()`` = sum(G * node's forward on its recorded input), as the check differences it."""
    op, (source,) = graph.op(node), graph.predecessors(node)
    X = np.array(graph.value(source), dtype=np.float64)
    return (lambda: float(np.sum(G * op.forward(X)))), X


def test_an_input_row_is_measured_with_the_eps_and_tolerance_given():
    """The input row's error: what the graph sent against central differences (step eps) of
    sum(G * forward), relative to the largest of both and the noise floor of that sum at the
    eps and tolerance given (here the floor, above the saturated derivatives, decides)."""
    graph = one_layer_graph(gn.TanhLayer())
    X, eps, tolerance = np.sign(X4) * (6 + np.abs(X4)), 1e-5, 1e-5
    report = gradcheck_nodes(graph, {"X": X, "Y": np.full((4, 2), 1000.0)}, eps=eps, tolerance=tolerance)
    G = np.array(graph.grad("layer"), dtype=np.float64)
    f, x = weighted_output(graph, "layer", G)
    value = f()
    floor = noise_floor(value, eps, tolerance)
    assert abs(value) > 1000 and floor > np.abs(graph.edge_grad("X", "layer")).max()
    expected = relative_error(graph.edge_grad("X", "layer"), numerical_gradient(f, x, eps), floor)
    assert row(report, "layer", "input 0 (from X)")[0] == expected


def test_a_parameter_row_is_measured_with_the_eps_and_the_floor_of_the_mean():
    """A parameter's row: its gradient from the layer's own backward(G) against central
    differences (step eps) of sum(G * forward) / N, relative to the noise floor of that mean
    (large biases: the floor decides)."""
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(2, 2, seed=0), objective=gn.SquaredError())
    fc = graph.op("fc1")
    fc.setBiases(np.array([[300.0, -200.0]]))
    eps, tolerance, n = 1e-4, 1e-9, 4
    report = gradcheck_nodes(graph, {"X": X4, "Y": np.zeros((4, 2))}, eps=eps, tolerance=tolerance)
    G = np.array(graph.grad("fc1"), dtype=np.float64)
    f, x = weighted_output(graph, "fc1", G)
    value = f()
    for parameter in fc.parameters():
        parameter.zero_grad()
    fc.backward(G)
    for parameter in fc.parameters():
        analytic = parameter.grad.copy()
        numeric = numerical_gradient(lambda: f() / n, parameter.value, eps)
        floor = noise_floor(value / n, eps, tolerance)
        assert floor > np.abs(analytic).max()
        assert row(report, "fc1", parameter.name)[0] == relative_error(analytic, numeric, floor)


class Float32Tanh:
    """tanh computed and returned in float32, as a student's class may do."""

    def forward(self, X):
        self.out = np.tanh(X).astype(np.float32)
        return self.out

    def gradient(self):
        return 1 - self.out ** 2

    def backward(self, gradIn):
        return (gradIn * (1 - self.out ** 2)).astype(np.float32)


def test_a_float32_gradient_from_the_graph_is_read_in_float64():
    """A float32 layer sends float32 gradients back: the layer before it is checked on them
    read in float64, so its right parameter gradients carry no float32 rounding (errors far
    below 1e-10), and the float32 layer's own row stays near its float32 precision."""
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(2, 3, seed=0), gn.wrap(Float32Tanh()),
                                objective=gn.SquaredError())
    report = gradcheck_nodes(graph, {"X": X4, "Y": np.full((4, 3), 0.3)})
    assert graph.grad("fc1").dtype == np.float32
    assert row(report, "fc1", "weights")[0] < 1e-10 and row(report, "fc1", "biases")[0] < 1e-10
    assert row(report, "float32tanh1", "input 0 (from fc1)")[0] < 5e-6


# ----------------------------------------------------------------------------- mismatch_hint
def test_a_batch_of_transposed_jacobians_gets_the_transpose_hint():
    """N Jacobians each transposed (N x D x K for N x K x D) are named as a transpose, as a
    single transposed matrix is."""
    assert mismatch_hint(np.ones((2, 3, 4)), np.ones((2, 4, 3)), what="gradient()") == (
        "gradient() is shaped (2, 3, 4), the transpose of (2, 4, 3): is it transposed (W instead of W^T)?")
    assert mismatch_hint(np.ones((3, 4)), np.ones((4, 3))).startswith("backward is shaped (3, 4), the transpose of")
    assert mismatch_hint(np.ones((2, 3, 4)), np.ones((2, 3, 5))) == "backward is shaped (2, 3, 4), expected (2, 3, 5)"


# ----------------------------------------------------------------------------- compare
def test_compare_reads_exact_fractions_as_floats():
    """Exact fractions, as a student's code may compute them, on either side of a comparison:
    the verdict, its numbers and its hint as for floats."""
    with pytest.raises(CheckFailure) as failure:
        compare([[Fraction(1, 2), Fraction(1, 3)]], [[0.5, 0.5]], 1e-6, "forward", what="forward")
    assert failure.value.numbers == "forward: relative error 3.33e-01 > 1e-06; worst at [0, 1]: 0.333333 vs 0.5"
    assert "varies from 0.667 to 1" in failure.value.hint
    with pytest.raises(CheckFailure) as failure:
        compare([[0.5, 0.5]], [[Fraction(1, 2), Fraction(1, 3)]], 1e-6, "backward")
    assert failure.value.numbers == "backward: relative error 3.33e-01 > 1e-06; worst at [0, 1]: 0.5 vs 0.333333"
    assert compare([[Fraction(1, 2)]], [[0.5]], 1e-6, "same") == 0.0


# ----------------------------------------------------------------------------- LayerContext
class SeedBase:
    """A student's base class that declares ``sizeIn`` for every layer (None until set)."""

    def __init__(self, sizeIn=None):
        self.sizeIn = sizeIn


class ZScoreInput(SeedBase):
    """An input layer built from its data, inheriting ``sizeIn = None``."""

    def __init__(self, dataIn):
        super().__init__()
        self.mean, self.std = np.mean(dataIn, axis=0), np.std(dataIn, axis=0, ddof=1)

    def forward(self, dataIn):
        return (dataIn - self.mean) / self.std


def test_an_input_layer_built_from_data_takes_the_data_s_width():
    """An input layer built from data is fed rows as wide as that data, whatever ``sizeIn``
    it carries, and no note about ``sizeIn`` is made."""
    context = LayerContext(ZScoreInput)
    assert (context.kind, context.built_from_data) == ("input", True)
    assert context.widths == (context.data.shape[1],) == (3,)
    assert context.notes == []


class ChannelMixer:
    """An image layer with a 4-axis kernel (O x C x 1 x 1) and a name the kit does not know as
    an image layer's: mixes the channels of each pixel."""

    def __init__(self):
        self.weights = np.random.default_rng(3).standard_normal((2, 3, 1, 1))

    def getWeights(self):
        return self.weights

    def setWeights(self, weights):
        self.weights = weights

    def forward(self, X):
        self.X = X
        return np.einsum("nchw,oc->nohw", X, self.weights[:, :, 0, 0])

    def backward(self, gradIn):
        return np.einsum("nohw,oc->nchw", gradIn, self.weights[:, :, 0, 0])


def test_a_layer_with_a_kernel_of_four_axes_is_an_image_layer_whatever_its_name():
    """A 4-axis kernel makes an image layer even under an unknown name: its input is one
    observation's C x H x W, C read from the kernel."""
    context = LayerContext(ChannelMixer)
    assert context.image and context.kind == "weights"
    assert context.shapes == ((3, 6, 4),)
