"""Behaviour particular to one layer, beyond the shared contract of test_layer_contract.py."""
import importlib
import warnings

import numpy as np
import pytest

import graphnn
from graphnn import FullyConnectedLayer, InputLayer, LogisticSigmoidLayer, SoftmaxLayer, TanhLayer

SEED_CLASSES = [
    "InputLayer", "FullyConnectedLayer", "LinearLayer", "ReLULayer", "LogisticSigmoidLayer",
    "SoftmaxLayer", "TanhLayer", "SquaredError", "LogLoss", "CrossEntropy",
]


# --- InputLayer -----------------------------------------------------------------------------

def test_input_layer_z_scores_with_the_sample_standard_deviation():
    rng = np.random.default_rng(0)
    X = rng.normal([5.0, -3.0, 100.0], [2.0, 0.1, 30.0], size=(12, 3))
    expected = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    out = InputLayer(X).forward(X)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0, ddof=1), 1.0, rtol=1e-12)
    # and new data is scaled with the statistics of the data the layer was built with
    new = rng.normal(size=(4, 3))
    expected_new = (new - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    np.testing.assert_allclose(InputLayer(X).forward(new), expected_new, rtol=1e-12, atol=1e-12)


def test_input_layer_small_worked_example():
    # column 0: mean 2, sample std 1; column 1: mean 10, sample std 10
    X = np.array([[1.0, 0.0], [2.0, 10.0], [3.0, 20.0]])
    np.testing.assert_allclose(InputLayer(X).forward(X), [[-1, -1], [0, 0], [1, 1]], atol=1e-15)


def test_input_layer_maps_a_constant_column_to_zero_not_nan():
    X = np.array([[1.0, 4.0], [2.0, 4.0], [3.0, 4.0]])
    layer = InputLayer(X)
    out = layer.forward(np.array([[2.0, 4.0], [0.0, 9.0]]))
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[:, 1], [0.0, 0.0])
    np.testing.assert_allclose(out[:, 0], [0.0, -2.0], atol=1e-15)
    grad = layer.backward(np.ones((2, 2)))
    np.testing.assert_array_equal(grad[:, 1], [0.0, 0.0])
    assert np.isfinite(layer.gradient()).all()


def test_input_layer_built_from_one_observation_maps_to_zeros():
    x = np.array([[3.0, -1.0, 7.5]])
    layer = InputLayer(x)
    np.testing.assert_array_equal(layer.forward(x), np.zeros((1, 3)))
    np.testing.assert_array_equal(layer.forward(np.array([[0.0, 5.0, 1.0]])), np.zeros((1, 3)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_input_layer_refuses_nan_or_inf_in_its_data(bad):
    X = np.ones((5, 4))
    X[3, 2] = bad
    with pytest.raises(ValueError, match="NaN or inf") as info:
        InputLayer(X)
    assert "InputLayer" in str(info.value) and "row 3, column 2" in str(info.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_input_layer_refuses_nan_or_inf_at_forward(bad):
    layer = InputLayer(np.random.default_rng(1).normal(size=(6, 4)))
    X = np.zeros((2, 4))
    X[1, 0] = bad
    with pytest.raises(ValueError, match="NaN or inf") as info:
        layer.forward(X)
    assert "InputLayer 4" in str(info.value)


def test_input_layer_refuses_the_wrong_width_at_forward():
    layer = InputLayer(np.random.default_rng(1).normal(size=(6, 4)))
    with pytest.raises(ValueError) as info:
        layer.forward(np.zeros((3, 5)))
    message = str(info.value)
    assert "InputLayer 4" in message and "3 x 5" in message and "4 columns" in message


# --- FullyConnectedLayer --------------------------------------------------------------------

def test_fully_connected_initialisation_shapes_and_range():
    layer = FullyConnectedLayer(16, 5, seed=3)
    assert layer.getWeights().shape == (16, 5)
    assert layer.getBiases().shape == (1, 5)
    for values in (layer.getWeights(), layer.getBiases()):
        assert values.dtype == np.float64
        assert np.abs(values).max() <= 1e-4
        assert np.abs(values).max() > 1e-6   # drawn, not zeros
        assert len(np.unique(values)) == values.size


def test_fully_connected_seed_is_reproducible_and_seeds_differ():
    a, b, c = (FullyConnectedLayer(4, 3, seed=s) for s in (7, 7, 8))
    np.testing.assert_array_equal(a.getWeights(), b.getWeights())
    np.testing.assert_array_equal(a.getBiases(), b.getBiases())
    assert not np.array_equal(a.getWeights(), c.getWeights())
    assert not np.array_equal(a.getBiases(), c.getBiases())


def test_fully_connected_accepts_a_generator():
    rng = np.random.default_rng(11)
    first = FullyConnectedLayer(4, 3, rng=rng)
    second = FullyConnectedLayer(4, 3, rng=rng)  # the generator moves on
    assert not np.array_equal(first.getWeights(), second.getWeights())
    same_seed = FullyConnectedLayer(4, 3, seed=11)
    np.testing.assert_array_equal(first.getWeights(), same_seed.getWeights())
    assert np.abs(second.getWeights()).max() <= 1e-4


def test_fully_connected_refuses_seed_and_rng_together():
    with pytest.raises(ValueError, match="seed"):
        FullyConnectedLayer(4, 3, seed=1, rng=np.random.default_rng(1))


@pytest.mark.parametrize("size", [0, -1, 2.5, True, "4"])
def test_fully_connected_refuses_sizes_that_are_not_positive_integers(size):
    with pytest.raises(ValueError, match="sizeIn"):
        FullyConnectedLayer(size, 3)
    with pytest.raises(ValueError, match="sizeOut"):
        FullyConnectedLayer(3, size)


def test_fully_connected_set_weights_and_biases_check_the_shape():
    layer = FullyConnectedLayer(4, 3, seed=0)
    with pytest.raises(ValueError) as info:
        layer.setWeights(np.ones((3, 4)))
    assert "FullyConnectedLayer 4->3" in str(info.value)
    assert "4 x 3" in str(info.value) and "3 x 4" in str(info.value)
    with pytest.raises(ValueError) as info:
        layer.setBiases(np.ones((3, 1)))
    assert "1 x 3" in str(info.value) and "3 x 1" in str(info.value)
    with pytest.raises(ValueError, match="reshape"):
        layer.setBiases(np.ones(3))


def test_fully_connected_set_weights_copies():
    layer = FullyConnectedLayer(2, 2, seed=0)
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[0.5, -0.5]])
    layer.setWeights(W)
    layer.setBiases(b)
    W[0, 0] = 100.0
    b[0, 0] = 100.0
    np.testing.assert_array_equal(layer.getWeights(), [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(layer.getBiases(), [[0.5, -0.5]])
    np.testing.assert_array_equal(layer.forward(np.array([[1.0, 1.0]])), [[4.5, 5.5]])


def test_fully_connected_refuses_the_wrong_width():
    layer = FullyConnectedLayer(4, 3, seed=0)
    with pytest.raises(ValueError) as info:
        layer.forward(np.ones((2, 5)))
    message = str(info.value)
    assert "FullyConnectedLayer 4->3" in message and "must have 4 columns" in message
    assert "2 x 5" in message


def test_parameter_gradients_accumulate_until_zero_grad():
    rng = np.random.default_rng(5)
    layer = FullyConnectedLayer(4, 3, seed=0)
    X, G = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    layer.zero_grad()
    layer.forward(X)
    layer.backward(G)
    once_W, once_b = layer.weights.grad.copy(), layer.biases.grad.copy()
    np.testing.assert_allclose(once_W, X.T @ G / 6, rtol=1e-12)
    assert np.abs(once_W).max() > 0 and np.abs(once_b).max() > 0
    layer.backward(G)
    np.testing.assert_allclose(layer.weights.grad, 2 * once_W, rtol=1e-14)
    np.testing.assert_allclose(layer.biases.grad, 2 * once_b, rtol=1e-14)
    layer.zero_grad()
    np.testing.assert_array_equal(layer.weights.grad, np.zeros((4, 3)))
    np.testing.assert_array_equal(layer.biases.grad, np.zeros((1, 3)))
    assert [p.name for p in layer.parameters()] == ["weights", "biases"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_fully_connected_backward_parameters_is_backward_without_the_input_gradient(dtype):
    """``backward_parameters(G)`` (what a Graph runs when the layer's input is a constant)
    accumulates bit for bit the parameter gradients of ``backward(G)``, returns ``G``, and
    leaves the weights alone."""
    rng = np.random.default_rng(6)
    X, G = rng.normal(size=(7, 4)).astype(dtype), rng.normal(size=(7, 3)).astype(dtype)
    full = FullyConnectedLayer(4, 3, seed=1, dtype=dtype)
    part = FullyConnectedLayer(4, 3, seed=1, dtype=dtype)
    weights_before = part.getWeights().copy()
    for layer in (full, part):
        layer.zero_grad()
        layer.forward(X)
    for calls in (1, 2):  # once, then accumulated on top
        back = full.backward(G)
        returned = part.backward_parameters(G)
        np.testing.assert_array_equal(returned, G)
        np.testing.assert_array_equal(back, G @ full.getWeights().T)  # what part skipped
        for mine, theirs in zip(part.parameters(), full.parameters()):
            assert mine.grad.dtype == dtype
            np.testing.assert_array_equal(mine.grad, theirs.grad)
        assert np.abs(part.weights.grad).max() > 0 and np.abs(part.biases.grad).max() > 0
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(part.weights.grad, 2 * X.T @ G / 7, rtol=rtol)
    np.testing.assert_array_equal(part.getWeights(), weights_before)
    # Checked like backward: before forward, or with a gradient of the wrong shape.
    with pytest.raises(ValueError, match="backward called before forward"):
        FullyConnectedLayer(4, 3).backward_parameters(G)
    with pytest.raises(ValueError, match="FullyConnectedLayer 4->3"):
        part.backward_parameters(G[:, :2])


def test_the_default_backward_parameters_runs_backward():
    """Layers without their own ``backward_parameters`` run ``backward`` and drop its result."""
    calls = []

    class Spy(TanhLayer):
        def backward(self, gradIn):
            calls.append(gradIn)
            return super().backward(gradIn)

    layer = Spy()
    layer.forward(np.ones((2, 3)))
    assert layer.backward_parameters(np.ones((2, 3))) is None
    assert len(calls) == 1


# --- the package layout ---------------------------------------------------------------------

@pytest.mark.parametrize("name", SEED_CLASSES)
def test_seed_classes_import_from_the_package_one_class_per_file(name):
    cls = getattr(graphnn, name)
    assert cls.__name__ == name
    assert name in graphnn.__all__
    assert cls.__module__.split(".")[-1] == name   # graphnn.layers.SoftmaxLayer, ...


def test_from_graphnn_import_works():
    from graphnn import (  # noqa: F401
        CrossEntropy, FullyConnectedLayer, InputLayer, LinearLayer, LogisticSigmoidLayer,
        LogLoss, ReLULayer, SoftmaxLayer, SquaredError, TanhLayer,
    )
    for cls in (CrossEntropy, FullyConnectedLayer, InputLayer, LinearLayer, LogisticSigmoidLayer,
                LogLoss, ReLULayer, SoftmaxLayer, SquaredError, TanhLayer):
        # the class is the one defined in the file named after it
        assert getattr(importlib.import_module(cls.__module__), cls.__name__) is cls


# --- Softmax and sigmoid --------------------------------------------------------------------

def test_softmax_rows_are_distributions():
    X = np.random.default_rng(2).normal(scale=5.0, size=(9, 6))
    out = SoftmaxLayer().forward(X)
    assert (out > 0).all()
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-15, atol=1e-15)
    expected = np.exp(X) / np.exp(X).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-13)


def test_softmax_of_huge_inputs_is_finite():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = SoftmaxLayer().forward(np.array([[1e4, 0.0, -1e4]]))
    np.testing.assert_array_equal(out, [[1.0, 0.0, 0.0]])


def test_sigmoid_saturates_exactly_without_warnings():
    layer = LogisticSigmoidLayer()
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        out = layer.forward(np.array([[1e4, -1e4, 0.0]]))
        grad = layer.backward(np.ones((1, 3)))
    # exp(-x) is capped at exp(707), so the lower tail stops at 1/(1 + e^707) ~ 9e-308, the
    # smallest normal number the formula reaches, instead of the true (underflowing) e^-10000.
    assert out[0, 0] == 1.0 and 0.0 <= out[0, 1] < 1e-307 and out[0, 2] == 0.5
    np.testing.assert_allclose(grad, [[0.0, 0.0, 0.25]], rtol=0, atol=1e-307)


@pytest.mark.parametrize("layer_class", [TanhLayer, graphnn.ReLULayer, graphnn.LinearLayer])
def test_a_subclass_that_redefines_derivative_gets_a_backward_that_uses_it(layer_class):
    # TanhLayer, ReLULayer and LinearLayer specialise backward for their own derivative; a
    # subclass redefining derivative() alone must not keep that specialised backward.
    class Doubled(layer_class):
        def derivative(self):
            return 2.0 * super().derivative()

    layer = Doubled()
    X = np.array([[0.5, -1.5, 2.0]])
    layer.forward(X)
    G = np.array([[1.0, -2.0, 3.0]])
    np.testing.assert_allclose(layer.backward(G), np.einsum("nk,nkd->nd", G, layer.gradient()))
    plain = layer_class()
    plain.forward(X)
    np.testing.assert_allclose(layer.backward(G), 2.0 * plain.backward(G))
