"""The grading kit: check_layer/check_objective on right and wrong classes that inherit nothing
from graphnn, graphnn.wrap in a Graph, gradcheck_nodes, and examples/grading.py as it runs.

Every wrong class here holds one mistake, and the test asserts that exactly the check meant
for it fails (and, where the mistake has a recognisable shape, that the hint names it).
"""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import graphnn as gn
from graphnn.grading.gradcheck import gradcheck_nodes
from graphnn.grading.checks import check_layer, check_objective

ROOT = Path(__file__).resolve().parent.parent


def load_grading_example():
    spec = importlib.util.spec_from_file_location("grading_example", ROOT / "examples" / "grading.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


grading = load_grading_example()
StudentLayer, StudentSigmoid = grading.StudentLayer, grading.StudentSigmoid


def failed_with(report, *names):
    """The report failed exactly the checks ``names``; returns the failed rows' hints."""
    assert report.failed == list(names), str(report)
    assert not report.passed and not bool(report)
    return " ".join(report[name].hint for name in names)


# ---------------------------------------------------------------------------- right layers
def test_a_right_student_layer_inheriting_nothing_passes():
    assert StudentSigmoid.__mro__ == (StudentSigmoid, StudentLayer, object)
    report = check_layer(StudentSigmoid, raise_on_failure=True)
    assert report.passed and report.failed == []
    assert "PASSED: StudentSigmoid" in str(report)


class StudentFullyConnected(StudentLayer):
    """The seed's fully connected layer with HW3's updateWeights, right; ``mistake`` breaks it."""

    def __init__(self, sizeIn=4, sizeOut=3, mistake=None):
        super().__init__()
        self.sizeIn, self.mistake = sizeIn, mistake
        rng = np.random.default_rng(7)
        self.W = rng.normal(size=(sizeIn, sizeOut))
        self.b = rng.normal(size=(1, sizeOut))

    def getWeights(self):
        return self.W

    def setWeights(self, W):
        self.W = np.array(W, dtype=float)

    def getBiases(self):
        return self.b

    def setBiases(self, b):
        self.b = np.array(b, dtype=float)

    def forward(self, dataIn):
        X = self.checked(dataIn)
        if X.shape[1] != self.sizeIn:
            raise ValueError(f"StudentFullyConnected: dataIn has {X.shape[1]} columns, not {self.sizeIn}")
        self.setPrevIn(X)
        self.setPrevOut(X @ self.W + self.b)
        return self.getPrevOut()

    def gradient(self):
        return self.W if self.mistake == "gradient is W" else self.W.T

    def backward(self, gradIn):
        return self.checkedGradIn(gradIn) @ self.W.T

    def updateWeights(self, gradIn, eta):
        X, n = self.getPrevIn(), gradIn.shape[0]
        dW = X.T @ gradIn / n
        if self.mistake == "no 1/N":
            dW = X.T @ gradIn
        elif self.mistake == "dW transposed":
            dW = (gradIn.T @ X / n)
        self.W = self.W - eta * dW
        self.b = self.b - eta * gradIn.mean(axis=0, keepdims=True)


def test_a_right_student_fully_connected_layer_passes_with_its_parameters_checked():
    report = check_layer(StudentFullyConnected, raise_on_failure=True)
    assert "weights (getWeights/setWeights), biases (getBiases/setBiases) (gradients as means" in \
        report["parameter gradients"].numbers
    assert report.conventions == {"gradient()": "K x D", "weights": "D x K", "parameter gradients": "mean"}
    assert "4 x 3" not in report["forward shapes"].numbers  # read sizeIn: inputs 4 wide
    assert "7 x 4 -> 7 x 3" in report["forward shapes"].numbers


def test_every_graphnn_layer_and_objective_passes_with_the_defaults():
    for name, make, width in grading.graphnn_layers():
        assert check_layer(make, input_width=width).passed, name
    for make in (gn.SquaredError, gn.LogLoss, gn.CrossEntropy):
        assert check_objective(make).passed, make.__name__


# ---------------------------------------------------------------------------- the example's wrong layers
def test_a_sigmoid_that_forgets_the_local_derivative():
    hints = failed_with(check_layer(grading.ForgetfulSigmoid),
                        "backward = gradIn x gradient()", "backward vs central differences")
    assert "returns gradIn unchanged: is the factor of the local derivative missing?" in hints


def test_a_tanh_with_the_wrong_derivative():
    hints = failed_with(check_layer(grading.WrongTanh),
                        "gradient() vs central differences", "backward vs central differences")
    assert "the derivative's formula is wrong, not only a factor" in hints


def test_a_softmax_with_only_the_diagonal_of_its_jacobian():
    hints = failed_with(check_layer(grading.DiagonalSoftmax),
                        "gradient() vs central differences", "backward vs central differences")
    assert "gradient() holds only the diagonal of the Jacobian" in hints
    assert "backward uses only the diagonal of the Jacobian" in hints


# ---------------------------------------------------------------------------- other mistakes
class HalfTanh(grading.WrongTanh):
    """d tanh/dx written as (1 - tanh^2) / 2: right but for a constant factor."""

    def gradient(self):
        return self.diagonal(0.5 * (1 - self.getPrevOut() ** 2))

    def backward(self, gradIn):
        return self.checkedGradIn(gradIn) * 0.5 * (1 - self.getPrevOut() ** 2)


class FlatForSingleRows(StudentSigmoid):
    def forward(self, dataIn):
        out = super().forward(dataIn)
        return out[0] if out.shape[0] == 1 else out  # one observation as a vector


class InPlaceReLU(StudentLayer):
    def forward(self, dataIn):
        X = self.checked(dataIn)
        np.maximum(X, 0, out=X)  # overwrites the caller's array
        self.setPrevIn(X)
        self.setPrevOut(X)
        return X

    def gradient(self):
        return self.diagonal((self.getPrevOut() > 0).astype(float))

    def backward(self, gradIn):
        return self.checkedGradIn(gradIn) * (self.getPrevOut() > 0)


class InPlaceBackwardTanh(StudentLayer):
    def forward(self, dataIn):
        X = self.checked(dataIn)
        self.setPrevOut(np.tanh(X))
        return self.getPrevOut()

    def gradient(self):
        return self.diagonal(1 - self.getPrevOut() ** 2)

    def backward(self, gradIn):
        gradIn = self.checkedGradIn(gradIn)
        gradIn *= 1 - self.getPrevOut() ** 2
        return gradIn


class NaiveSigmoid(StudentSigmoid):
    def forward(self, dataIn):
        X = self.checked(dataIn)
        self.setPrevOut(1 / (1 + np.exp(-X)))  # exp(1e4) overflows
        return self.getPrevOut()


class UncheckedSigmoid:
    def forward(self, dataIn):
        self.out = 0.5 * (1 + np.tanh(0.5 * dataIn))
        return self.out

    def gradient(self):
        s = self.out
        return np.einsum("nd,de->nde", s * (1 - s), np.eye(s.shape[1]))

    def backward(self, gradIn):
        return gradIn * self.out * (1 - self.out)


class BatchCentred(StudentLayer):
    """Subtracts the batch mean: observations are no longer independent."""

    def forward(self, dataIn):
        X = self.checked(dataIn)
        self.setPrevOut(X - X.mean(axis=0, keepdims=True))
        return self.getPrevOut()

    def gradient(self):
        n, d = self.getPrevOut().shape
        return np.broadcast_to(np.eye(d), (n, d, d)).copy()

    def backward(self, gradIn):
        return self.checkedGradIn(gradIn)


def test_a_constant_factor_is_named():
    hints = failed_with(check_layer(HalfTanh), "gradient() vs central differences",
                        "backward vs central differences")
    assert "backward is about 0.5 times the finite differences everywhere: is a factor of the local derivative missing?" in hints


def test_one_observation_returned_as_a_vector_fails_the_shapes():
    report = check_layer(FlatForSingleRows)
    assert "forward shapes" in report.failed
    assert "not a 2-D N x K array" in report["forward shapes"].numbers


def test_forward_writing_into_its_input():
    assert check_layer(InPlaceReLU).passed  # advice, unless the teacher asks
    failed_with(check_layer(InPlaceReLU, strict=True), "arguments unchanged")
    assert "forward changed its input" in check_layer(InPlaceReLU)["arguments unchanged"].numbers


def test_backward_writing_into_gradIn():
    report = check_layer(InPlaceBackwardTanh, strict=True)
    failed_with(report, "arguments unchanged")
    assert "backward changed gradIn" in report["arguments unchanged"].numbers


def test_an_overflow_warning_at_extreme_inputs():
    assert check_layer(NaiveSigmoid).advice == ["extreme inputs"]
    report = check_layer(NaiveSigmoid, strict=True)
    hint = failed_with(report, "extreme inputs")
    assert "RuntimeWarning: overflow" in report["extreme inputs"].numbers
    assert "stable formula" in hint


def test_wrong_shapes_passed_through_to_numpy():
    report = check_layer(UncheckedSigmoid, strict=True)
    failed_with(report, "wrong shapes refused")
    assert "no error raised" in report["wrong shapes refused"].numbers


def test_observations_that_interact():
    report = check_layer(BatchCentred)
    assert report.failed[0] == "rows independent", str(report)


def test_a_missing_one_over_n_in_the_weight_gradient_only():
    report = check_layer(lambda: StudentFullyConnected(mistake="no 1/N"))
    hint = failed_with(report, "parameter gradients")
    assert report["parameter gradients"].numbers == (
        "N = 7: the gradient of weights (getWeights/setWeights) is the sum over the N observations (7 times the "
        "mean's), that of biases the mean: is the 1/N missing from weights?")
    assert hint == ("divide the gradient of weights by N, as that of biases is: both are gradients of the mean "
                    "objective")


class SummedFullyConnected(StudentFullyConnected):
    """Parameter gradients as sums, for both: a convention the assignment allows."""

    def updateWeights(self, gradIn, eta):
        self.W = self.W - eta * self.getPrevIn().T @ gradIn
        self.b = self.b - eta * gradIn.sum(axis=0, keepdims=True)


def test_parameter_gradients_as_sums_pass_unless_the_teacher_pins_means():
    report = check_layer(SummedFullyConnected, raise_on_failure=True)
    assert report.conventions["parameter gradients"] == "sum"
    pinned = check_layer(SummedFullyConnected, conventions={"parameter gradients": "mean"})
    assert pinned.failed == ["parameter gradients"]
    assert "follows 'sum' for weights; the teacher asks for 'mean'" in pinned["parameter gradients"].numbers


def test_a_transposed_weight_gradient():
    hint = failed_with(check_layer(lambda: StudentFullyConnected(3, 3, mistake="dW transposed")),
                       "parameter gradients")
    assert "transpose" in hint


def test_gradient_returning_w_instead_of_w_transposed():
    report = check_layer(lambda: StudentFullyConnected(mistake="gradient is W"))
    hint = failed_with(report, "gradient() vs central differences", "backward = gradIn x gradient()")
    assert "transposed (W instead of W^T)?" in hint


def test_raise_on_failure_holds_the_table():
    with pytest.raises(AssertionError) as info:
        check_layer(grading.ForgetfulSigmoid, raise_on_failure=True)
    message = str(info.value)
    assert "ForgetfulSigmoid: contract checks" in message
    assert re.search(r"backward vs central differences +FAIL", message)
    assert "FAILED 2 of 8: ForgetfulSigmoid" in message


def test_an_instance_instead_of_a_class_is_refused():
    with pytest.raises(TypeError, match=r"check_layer\(lambda: StudentSigmoid\(...\)\)\), not a 'StudentSigmoid' object"):
        check_layer(StudentSigmoid())


def test_a_multi_input_layer_in_the_seed_style():
    class StudentAdd(StudentLayer):
        n_inputs = 2

        def forward(self, a, b):
            a, b = self.checked(a), self.checked(b)
            if a.shape != b.shape:
                raise ValueError(f"StudentAdd: inputs {a.shape} and {b.shape} differ")
            self.setPrevOut(a + b)
            return self.getPrevOut()

        def gradient(self):
            n, d = self.getPrevOut().shape
            return np.broadcast_to(np.eye(d), (n, d, d)).copy()

        def backward(self, gradIn):
            gradIn = self.checkedGradIn(gradIn)
            return gradIn, 2 * gradIn  # the second one is wrong

    report = check_layer(StudentAdd)
    assert "backward vs central differences" in report.failed
    assert "input 1" in report["backward vs central differences"].numbers


# ---------------------------------------------------------------------------- objectives
class StudentSquaredError:
    def __init__(self, mistake=None):
        self.mistake = mistake

    def checked(self, Y, Yhat):
        Y, Yhat = np.asarray(Y, dtype=float), np.asarray(Yhat, dtype=float)
        if Y.ndim != 2 or Y.shape != Yhat.shape:
            raise ValueError(f"StudentSquaredError: Y {Y.shape} and Yhat {Yhat.shape} must be one N x K shape")
        return Y, Yhat

    def eval(self, Y, Yhat):
        Y, Yhat = self.checked(Y, Yhat)
        loss = ((Y - Yhat) ** 2).sum(axis=1)
        if self.mistake == "sum":
            return float(loss.sum())
        if self.mistake == "array":
            return loss
        if self.mistake == "mean of entries":
            return float(np.mean((Y - Yhat) ** 2))
        return float(loss.mean())

    def gradient(self, Y, Yhat):
        Y, Yhat = self.checked(Y, Yhat)
        gradient = -2 * (Y - Yhat)
        if self.mistake == "divided by N":
            return gradient / Y.shape[0]
        if self.mistake == "sign":
            return -gradient
        return gradient


class NaiveCrossEntropy:
    def eval(self, Y, Yhat):
        return float(np.mean(-(Y * np.log(Yhat)).sum(axis=1)))

    def gradient(self, Y, Yhat):
        return -Y / Yhat


class InPlaceClippingLogLoss:
    def eval(self, Y, Yhat):
        Yhat = np.clip(Yhat, 1e-7, 1 - 1e-7, out=Yhat)
        return float(np.mean(-(Y * np.log(Yhat) + (1 - Y) * np.log(1 - Yhat)).sum(axis=1)))

    def gradient(self, Y, Yhat):
        Yhat = np.clip(Yhat, 1e-7, 1 - 1e-7, out=Yhat)
        return -(Y - Yhat) / (Yhat * (1 - Yhat))


def test_a_right_student_objective_passes():
    check_objective(StudentSquaredError, raise_on_failure=True)


def test_a_gradient_divided_by_n():
    hint = failed_with(check_objective(lambda: StudentSquaredError("divided by N")),
                       "gradient vs central differences", "mean of the rows")
    assert "the gradient is per observation, not divided by N" in hint


def test_a_gradient_with_the_wrong_sign():
    hint = failed_with(check_objective(lambda: StudentSquaredError("sign")), "gradient vs central differences")
    assert "wrong sign everywhere" in hint


def test_eval_averaging_over_every_entry_is_a_convention():
    report = check_objective(lambda: StudentSquaredError("mean of entries"), raise_on_failure=True)
    assert report.conventions == {"eval": "mean over N x K"}
    pinned = check_objective(lambda: StudentSquaredError("mean of entries"), conventions={"eval": "mean over N"})
    assert pinned.failed == ["gradient vs central differences"]
    assert "'mean over N x K'; the teacher asks for 'mean over N'" in pinned["gradient vs central differences"].numbers


def test_eval_as_a_sum():
    report = check_objective(lambda: StudentSquaredError("sum"))
    assert report.failed == ["gradient vs central differences", "mean of the rows"], str(report)
    assert "eval is a sum over the observations" in report["mean of the rows"].hint


def test_eval_returning_an_array():
    report = check_objective(lambda: StudentSquaredError("array"))
    assert "eval is one float" in report.failed
    assert "not one float" in report["eval is one float"].numbers


def test_log_of_zero_at_estimates_of_0_and_1():
    report = check_objective(NaiveCrossEntropy, strict=True)
    hint = failed_with(report, "estimates at 0 and 1", "wrong shapes refused")
    assert "RuntimeWarning: divide by zero" in report["estimates at 0 and 1"].numbers
    assert "a numpy warning" in hint


def test_clipping_the_estimates_in_place():
    report = check_objective(InPlaceClippingLogLoss)
    assert report.passed and "arguments unchanged" in report.advice
    assert "eval changed Yhat" in report["arguments unchanged"].numbers


# ---------------------------------------------------------------------------- wrap, in a Graph
def sigmoid_graph(sigmoid):
    graph = gn.Graph()
    x, y = graph.input("X"), graph.input("Y")
    fc = gn.FullyConnectedLayer(3, 2, seed=0)
    fc.setWeights(np.random.default_rng(1).normal(size=(3, 2)))
    h = graph.add(fc, x, name="fc")
    h = graph.add(sigmoid, h, name="sigmoid")
    graph.add(gn.SquaredError(), y, h, name="loss")
    return graph


FEED = {"X": np.random.default_rng(2).normal(size=(6, 3)), "Y": np.random.default_rng(3).normal(size=(6, 2))}


def test_a_wrapped_student_layer_runs_in_a_graph_like_graphnns_own():
    ours, theirs = sigmoid_graph(gn.LogisticSigmoidLayer()), sigmoid_graph(gn.wrap(StudentSigmoid()))
    assert ours.forward(FEED) == pytest.approx(theirs.forward(FEED), rel=1e-12)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(theirs.grad_out("sigmoid"), ours.grad_out("sigmoid"), rtol=1e-12)
    np.testing.assert_allclose(theirs.op("fc").weights.grad, ours.op("fc").weights.grad, rtol=1e-12)
    assert theirs.op("sigmoid").describe() == "StudentSigmoid"
    assert gradcheck_nodes(theirs, FEED).passed


def test_wrap_passes_graphnn_objects_through_and_refuses_the_rest():
    sigmoid = gn.LogisticSigmoidLayer()
    assert gn.wrap(sigmoid) is sigmoid
    with pytest.raises(TypeError, match=r"pass an instance \(StudentSigmoid\(\)\)"):
        gn.wrap(StudentSigmoid)
    with pytest.raises(TypeError, match="neither a layer's interface"):
        gn.wrap(object())
    with pytest.raises(gn.GraphError, match="takes a Layer or an Objective"):
        gn.Graph().add(StudentSigmoid())  # why wrap is needed


def test_a_wrapped_student_fully_connected_layer_exposes_its_parameters():
    student = StudentFullyConnected(3, 2)
    graph = gn.Graph.sequential(gn.wrap(student), objective=gn.SquaredError())
    names = [(node, p.name) for node, p in graph.named_parameters()]
    assert names == [("studentfullyconnected1", "weights"), ("studentfullyconnected1", "biases")]
    graph.forward(FEED)
    graph.backward()
    weights, biases = graph.parameters()
    # the gradient of the mean, written out: dW = X^T G / N with G = -2 (Y - Yhat)
    G = -2 * (FEED["Y"] - (FEED["X"] @ student.W + student.b))
    np.testing.assert_allclose(weights.grad, FEED["X"].T @ G / 6, rtol=1e-12)
    np.testing.assert_allclose(biases.grad, G.mean(axis=0, keepdims=True), rtol=1e-12)
    before = student.W.copy()
    gn.SGD(graph.parameters(), lr=0.1).step()
    graph.forward(FEED)  # the optimizer's new values reach the student's layer
    np.testing.assert_allclose(student.W, before - 0.1 * weights.grad, rtol=1e-12)


def test_a_wrapped_student_objective_in_a_graph():
    graph = gn.Graph.sequential(gn.TanhLayer(), objective=gn.wrap(StudentSquaredError()))
    reference = gn.Graph.sequential(gn.TanhLayer(), objective=gn.SquaredError())
    feed = {"X": FEED["X"][:, :2], "Y": FEED["Y"]}
    assert graph.forward(feed) == pytest.approx(reference.forward(feed), rel=1e-12)
    assert type(graph.forward(feed)) is float


# ---------------------------------------------------------------------------- gradcheck_nodes
def test_gradcheck_nodes_names_the_wrong_node_and_slot():
    graph, feed = grading.forgetful_graph()
    report = gradcheck_nodes(graph, feed)
    assert list(report.failing) == ["student_sigmoid"]
    assert report.failing["student_sigmoid"].startswith("input 0 (from fc1): relative error")
    assert "FAILED at node(s) 'student_sigmoid'" in str(report)
    assert "returns gradIn unchanged" in str(report)
    source = report.to_dot(graph).source
    assert "relative error" in source and "#d7191c" in source


def test_gradcheck_nodes_names_a_wrong_parameter_gradient():
    graph = gn.Graph.sequential(gn.wrap(StudentFullyConnected(3, 2, mistake="no 1/N")), gn.TanhLayer(),
                                objective=gn.SquaredError())
    report = gradcheck_nodes(graph, FEED)
    wrong = [(node, what) for node, what, error, _ in report.rows if error >= report.tolerance]
    assert wrong == [("studentfullyconnected1", "weights")]
    assert "off by a factor N = 6" in str(report)


def test_gradcheck_nodes_names_a_wrong_objective():
    graph = gn.Graph.sequential(gn.TanhLayer(), objective=gn.wrap(StudentSquaredError("divided by N")))
    report = gradcheck_nodes(graph, {"X": FEED["X"][:, :2], "Y": FEED["Y"]})
    assert list(report.failing) == ["studentsquarederror1"]


def test_gradcheck_nodes_passes_on_graphnn_graphs_and_leaves_the_graph_as_after_a_pass():
    graph = sigmoid_graph(gn.LogisticSigmoidLayer())
    J = graph.forward(FEED)
    report = gradcheck_nodes(graph, FEED)
    assert report.passed, str(report)
    assert [row[:2] for row in report.rows] == [
        ("fc", "input 0 (from X)"), ("fc", "weights"), ("fc", "biases"),
        ("sigmoid", "input 0 (from fc)"), ("loss", "gradient")]
    assert graph.has_gradients and graph.value("loss") == J


class DoubledLogLoss(gn.LogLoss):
    """LogLoss whose gradient is twice what it should be."""

    def gradient(self, Y, Yhat):
        return 2 * super().gradient(Y, Yhat)


def test_gradcheck_nodes_leaves_out_estimates_a_difference_would_push_out_of_0_1():
    """A sigmoid saturated at 1.0 (and one within 1e-6 of 0) feeds LogLoss, which refuses
    estimates outside [0, 1]: those entries are left out and named, not a ValueError out of
    the check (it was); the others are still checked, so a wrong gradient still fails."""
    feed = {"X": np.array([[40.0], [0.1], [-14.0], [1.5], [-0.5]]), "Y": np.array([[1.0], [0.0], [0.0], [1.0], [0.0]])}
    report = gradcheck_nodes(gn.Graph.sequential(gn.LogisticSigmoidLayer(), objective=gn.LogLoss()), feed)
    assert report.passed, str(report)
    assert report.rows[-1][1] == "gradient (2 of 5 estimates within eps of 0 or 1 left out)"
    # the differences of the entries kept take the eps given: a coarse step is measurably off
    coarse = gradcheck_nodes(gn.Graph.sequential(gn.LogisticSigmoidLayer(), objective=gn.LogLoss()), feed,
                             eps=1e-2, tolerance=1.0)
    assert coarse.rows[-1][1] == "gradient (2 of 5 estimates within eps of 0 or 1 left out)"
    assert 1e-6 < coarse.rows[-1][2] < 1e-2
    wrong = gradcheck_nodes(gn.Graph.sequential(gn.LogisticSigmoidLayer(), objective=DoubledLogLoss()), feed)
    assert list(wrong.failing) == ["doubledlogloss1"]
    # estimates well inside (0, 1): every entry checked, the row as before
    inside = {"X": np.array([[0.5], [-0.3]]), "Y": np.array([[1.0], [0.0]])}
    report = gradcheck_nodes(gn.Graph.sequential(gn.LogisticSigmoidLayer(), objective=gn.LogLoss()), inside)
    assert report.rows[-1][1] == "gradient"


# ---------------------------------------------------------------------------- the example
def test_the_grading_example_prints_every_verdict(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-W", "error", str(ROOT / "examples" / "grading.py")],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    for name, _, _ in grading.graphnn_layers():
        assert f"  {name:<22} passed" in out
    for name in ("SquaredError", "LogLoss", "CrossEntropy"):
        assert f"  {name:<22} passed" in out
    assert "PASSED: StudentSigmoid" in out
    for name in ("ForgetfulSigmoid", "WrongTanh", "DiagonalSoftmax"):  # and each differs from graphnn's
        assert f"FAILED 3 of 8: {name}" in out
    assert "returns gradIn unchanged" in out
    assert "the derivative's formula is wrong" in out
    assert "only the diagonal of the Jacobian" in out
    assert "FAILED at node(s) 'student_sigmoid'" in out
    assert list(tmp_path.iterdir()) == []  # nothing written without --out
