"""The grading kit's rules that issue 25 named, each on a small class of its own: widths,
one set of weights per check, gradient() forms and their messages, pinned conventions,
advice against strict grading, and graphnn's own classes under the strictest reading."""
import numpy as np
import pytest

import graphnn as gn
from graphnn.grading.checks import CONVENTIONS, check_layer, check_objective


def test_graphnns_fully_connected_layer_with_fresh_random_weights_passes():
    report = check_layer(lambda: gn.FullyConnectedLayer(4, 3))  # no seed: new weights per object
    assert report.passed, str(report)
    assert report["rows independent"].passed


@pytest.mark.parametrize("make", [gn.LinearLayer, gn.ReLULayer, gn.LogisticSigmoidLayer, gn.TanhLayer,
                                  gn.SoftmaxLayer, lambda: gn.FullyConnectedLayer(4, 3, seed=0)])
def test_graphnns_layers_pass_even_strictly(make):
    assert check_layer(make, strict=True).passed


@pytest.mark.parametrize("make", [gn.SquaredError, gn.LogLoss, gn.CrossEntropy])
def test_graphnns_objectives_pass_even_strictly(make):
    assert check_objective(make, strict=True).passed


class NoSizeIn:
    """A fully connected layer whose width is only in its weights (3 x 5: D = 3)."""

    def __init__(self):
        self.W = np.random.default_rng(0).normal(size=(3, 5))
        self.b = np.zeros((1, 5))

    def forward(self, X):
        return X @ self.W + self.b

    def gradient(self):
        return self.W.T

    def backward(self, gradIn):
        return gradIn @ self.W.T


def test_the_width_is_read_from_the_weights():
    report = check_layer(NoSizeIn)
    assert report.passed, str(report)
    assert "7 x 3 -> 7 x 5" in report["forward shapes"].numbers
    assert report.conventions["weights"] == "D x K"


class Broken(NoSizeIn):
    def forward(self, X):
        raise RuntimeError("not written yet")


def test_a_width_that_cannot_be_found_says_how_to_give_it():
    with pytest.raises(ValueError, match=r"no sizeIn attribute.*widths its weights suggest \(3 and 5.*"
                                         r"pass check_layer\(Broken, input_width=D\)"):
        check_layer(Broken)
    assert check_layer(Broken, input_width=3).failed[0] == "forward shapes"


class Sigmoid:
    def forward(self, X):
        self.s = 1 / (1 + np.exp(-X))
        return self.s

    def gradient(self):
        return self.s * (1 - self.s)

    def backward(self, gradIn):
        return gradIn * self.s * (1 - self.s)


def test_an_n_by_d_gradient_passes_and_a_pinned_tensor_fails_naming_both():
    assert check_layer(Sigmoid).conventions == {"gradient()": "N x D"}
    report = check_layer(Sigmoid, conventions={"gradient()": "N x K x D"})
    assert "gradient() vs central differences" in report.failed
    assert "the class follows 'N x D'; the teacher asks for 'N x K x D'" in \
        report["gradient() vs central differences"].numbers


def test_a_gradient_of_no_allowed_shape_names_the_allowed_ones():
    class Flat(Sigmoid):
        def gradient(self):
            return (self.s * (1 - self.s)).ravel()

    numbers = check_layer(Flat)["gradient() vs central differences"].numbers
    assert "the assignment allows N x D = 1 x 3 (the diagonal of each Jacobian) or N x K x D = 1 x 3 x 3" in numbers


def test_an_n_by_d_gradient_for_a_layer_that_is_not_element_wise_is_refused():
    class SoftmaxDiagonal(Sigmoid):
        def forward(self, X):
            E = np.exp(X - X.max(axis=1, keepdims=True))
            self.s = E / E.sum(axis=1, keepdims=True)
            return self.s

    report = check_layer(SoftmaxDiagonal)
    assert "this layer's Jacobians are not diagonal" in report["gradient() vs central differences"].numbers


def test_advice_fails_only_a_strict_report():
    report = check_layer(Sigmoid)  # np.exp(-x) overflows at -1e4; 1-D inputs are not refused
    assert report.passed and report.advice == ["extreme inputs", "wrong shapes refused"]
    assert "advice" in str(report) and "PASSED (advice: extreme inputs, wrong shapes refused)" in str(report)
    strict = check_layer(Sigmoid, strict=True)
    assert strict.failed == ["extreme inputs", "wrong shapes refused"]


def test_an_input_layer_is_not_gradient_checked():
    class InputLayer:
        def __init__(self, dataIn):
            self.mean, self.std = dataIn.mean(axis=0), dataIn.std(axis=0)

        def forward(self, dataIn):
            return (dataIn - self.mean) / self.std

    report = check_layer(InputLayer, raise_on_failure=True)
    for name in ("gradient() vs central differences", "backward = gradIn x gradient()",
                 "backward vs central differences"):
        assert report[name].numbers.startswith("not checked: an input layer")
    assert report.conventions == {"standard deviation": "ddof=0"}


def test_a_scalar_z_score_is_caught_with_its_hint():
    class InputLayer:
        def __init__(self, dataIn):
            self.mean, self.std = dataIn.mean(), dataIn.std()

        def forward(self, dataIn):
            return (dataIn - self.mean) / self.std

    report = check_layer(InputLayer)
    assert report.failed == ["same values as graphnn"]
    assert "one mean and one standard deviation for all entries" in report["same values as graphnn"].hint


def test_the_seeds_worked_numbers_catch_a_fully_connected_layer_without_its_biases():
    class FullyConnectedLayer:
        def __init__(self, sizeIn, sizeOut):
            self.sizeIn = sizeIn
            self.weights = np.random.default_rng(1).normal(size=(sizeIn, sizeOut))
            self.biases = np.ones((1, sizeOut))

        def forward(self, X):
            return X @ self.weights  # the biases are forgotten

        def gradient(self):
            return self.weights.T

        def backward(self, gradIn):
            return gradIn @ self.weights.T

    report = check_layer(FullyConnectedLayer)
    assert "seed's worked numbers" in report.failed and "same values as graphnn" in report.failed
    assert "Q2: forward(H) = [[22.0, 28.0], [49.0, 64.0]] with the seed's W and b" in \
        report["seed's worked numbers"].numbers


def test_a_check_past_its_time_limit_fails_and_stops_its_class():
    class Slow(Sigmoid):
        def backward(self, gradIn):
            while True:
                pass

    report = check_layer(Slow, time_limit=0.5)
    assert report["forward shapes"].passed
    assert report["rows independent"].numbers == "Slow.backward timed out after 0.5 s"
    assert all(row.numbers == "not run: 'rows independent' timed out" for row in report.rows[2:])


def test_unknown_conventions_are_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="'eval' is one of 'mean over N', 'mean over N x K'"):
        check_objective(gn.LogLoss, conventions={"eval": "sum"})
    with pytest.raises(ValueError, match="unknown 'gradient'"):
        check_layer(Sigmoid, conventions={"gradient": "N x D"})
    assert set(CONVENTIONS) == {"gradient()", "weights", "parameter gradients", "eval", "standard deviation"}


def test_a_cross_entropy_averaged_over_every_entry_misses_the_seeds_answer():
    class CrossEntropy:
        def eval(self, Y, Yhat):
            return -np.mean(Y * np.log(Yhat))

        def gradient(self, Y, Yhat):
            return -Y / Yhat

    report = check_objective(CrossEntropy)
    assert report.failed == ["seed's worked numbers"]
    assert "eval gives 0.327685; the seed's answer is 0.983056" in report["seed's worked numbers"].numbers
    assert "sums over the K classes" in report["seed's worked numbers"].hint
