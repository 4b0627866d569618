"""The contract every layer keeps, checked for every layer registered in tests/registry.py.

The contract itself lives in ``graphnn.grading.checks.check_layer`` (shapes for one observation and
many, rows independent, ``gradient()`` and ``backward`` against central differences and
against each other, parameter gradients of the mean, no mutation of arguments, finite results
without warnings at extreme inputs, errors that name the layer and the shapes): the same
function teachers run on students' layers. This file runs it on every registered layer and
adds what is graphnn's own on top: dtypes, integer inputs, the reshape hint, exact diagonals.
"""
import inspect

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import graphnn
from graphnn import (
    ElementwiseLayer, FullyConnectedLayer, Layer, LogisticSigmoidLayer, ReLULayer, SoftmaxLayer,
    TanhLayer,
)
from graphnn._validation import describe_shape
from graphnn.grading.gradcheck import numerical_gradient, relative_error
from graphnn.grading.checks import LAYER_CHECKS, check_layer
from registry import IMAGE_LAYER_CASES, LAYER_CASES, make_fc

CASES = pytest.mark.parametrize("case", LAYER_CASES, ids=[case.name for case in LAYER_CASES])
SIZES = pytest.mark.parametrize("n", (1, 7))


# --- helpers that treat one-input and multi-input layers alike ------------------------------

def run_forward(layer, inputs):
    return layer.forward(*inputs)


def run_backward(layer, G):
    """``backward(G)`` as a tuple with one gradient per input."""
    result = layer.backward(G)
    if layer.n_inputs == 1:
        return (result,)
    assert isinstance(result, tuple) and len(result) == layer.n_inputs, (
        f"{type(layer).__name__}.backward must return a tuple of {layer.n_inputs} gradients"
    )
    return result


def rng_for(case, n, salt=0):
    return np.random.default_rng([sum(map(ord, case.name)), n, salt])


# --- the contract ---------------------------------------------------------------------------

@CASES
def test_layer_keeps_the_contract(case):
    report = check_layer(case.make, input_width=case.input_widths, make_inputs=case.make_inputs,
                         raise_on_failure=True)
    assert [row.name for row in report.rows] == [name for name, _ in LAYER_CHECKS]
    assert all(row.passed for row in report.rows)


@pytest.mark.parametrize("case", IMAGE_LAYER_CASES, ids=[case.name for case in IMAGE_LAYER_CASES])
def test_image_layer_keeps_the_contract_in_the_grading_kit(case):
    """The kit a teacher runs on students' image layers passes graphnn's own, strictly."""
    report = check_layer(case.make, input_shape=case.input_shape, raise_on_failure=True, strict=True)
    assert [row.name for row in report.rows] == [name for name, _ in LAYER_CHECKS]
    assert all(row.passed for row in report.rows)


def test_the_parameter_check_ran_on_the_fully_connected_layer():
    report = check_layer(make_fc, raise_on_failure=True)
    assert "weights, biases (gradients of the mean)" in report["parameter gradients"].numbers


@CASES
def test_registry_entry_matches_layer(case):
    layer = case.make()
    assert isinstance(layer, Layer)
    assert layer.n_inputs == case.n_inputs
    inputs = case.make_inputs(np.random.default_rng(0), 5)
    assert len(inputs) == case.n_inputs
    for x, width in zip(inputs, case.input_widths):
        assert x.shape == (5, width) and x.dtype == np.float64


@CASES
@SIZES
def test_float64_in_float64_out(case, n):
    layer = case.make()
    out = run_forward(layer, case.make_inputs(rng_for(case, n), n))
    assert out.dtype == np.float64
    for grad in run_backward(layer, np.ones_like(out)):
        assert grad.dtype == np.float64


@CASES
def test_backward_before_forward_says_so(case):
    layer = case.make()
    with pytest.raises(ValueError, match="before forward") as info:
        layer.backward(np.ones((2, 3)))
    assert type(layer).__name__ in str(info.value)


@CASES
@SIZES
def test_float32_in_float32_out(case, n):
    layer = (case.make_float32 or case.make)()
    inputs = tuple(x.astype(np.float32) for x in case.make_inputs(rng_for(case, n), n))
    out = run_forward(layer, inputs)
    assert out.dtype == np.float32
    G = rng_for(case, n, 1).standard_normal(out.shape).astype(np.float32)
    for grad in run_backward(layer, G):
        assert grad.dtype == np.float32
    # and the float32 numbers are the float64 numbers, rounded
    reference = run_forward(case.make(), tuple(x.astype(np.float64) for x in inputs))
    np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-5)


@CASES
@SIZES
def test_integer_input_is_accepted_as_float(case, n):
    rng = rng_for(case, n)
    inputs = tuple(rng.integers(-3, 4, size=(n, width)) for width in case.input_widths)
    out = run_forward(case.make(), inputs)
    assert out.dtype.kind == "f"
    expected = run_forward(case.make(), tuple(x.astype(np.float64) for x in inputs))
    np.testing.assert_array_equal(out, expected)


TENSOR_CASES = [case for case in LAYER_CASES
                if isinstance(case.make(), (ElementwiseLayer, SoftmaxLayer))]


def test_tensor_cases_are_found():
    names = {case.name for case in TENSOR_CASES}
    assert {"InputLayer", "ReLULayer", "SoftmaxLayer", "TanhLayer"} <= names


@pytest.mark.parametrize("case", TENSOR_CASES, ids=[case.name for case in TENSOR_CASES])
@SIZES
def test_elementwise_and_softmax_gradient_is_n_by_d_by_d(case, n):
    layer = case.make()
    (x,) = case.make_inputs(rng_for(case, n), n)
    layer.forward(x)
    jacobian = layer.gradient()
    d = x.shape[1]
    assert jacobian.shape == (n, d, d)
    if isinstance(layer, ElementwiseLayer):  # diagonal per observation
        off_diagonal = jacobian * (1 - np.eye(d))
        assert not off_diagonal.any()


@CASES
def test_one_dimensional_input_is_refused_with_a_reshape_hint(case):
    inputs = case.make_inputs(rng_for(case, 3), 3)
    for slot in range(case.n_inputs):
        bad = list(inputs)
        bad[slot] = inputs[slot][0]
        with pytest.raises(ValueError) as info:
            run_forward(case.make(), bad)
        message = str(info.value)
        assert type(case.make()).__name__ in message
        assert "reshape(1, -1)" in message


def test_every_concrete_layer_is_registered():
    registered = {type(case.make()) for case in LAYER_CASES + IMAGE_LAYER_CASES}
    exported = set()
    for name in graphnn.__all__:
        obj = getattr(graphnn, name)
        if inspect.isclass(obj) and issubclass(obj, Layer) and not inspect.isabstract(obj):
            exported.add(obj)
    assert {FullyConnectedLayer, SoftmaxLayer, ReLULayer} <= exported  # the walk found layers
    missing = sorted(cls.__name__ for cls in exported - registered)
    assert not missing, f"add these layers to tests/registry.py LAYER_CASES: {missing}"
    assert len({case.name for case in LAYER_CASES}) == len(LAYER_CASES)


# --- parameters -----------------------------------------------------------------------------

@SIZES
def test_fully_connected_parameter_gradients_are_those_of_the_mean(n):
    rng = np.random.default_rng([42, n])
    layer = make_fc()
    X = rng.standard_normal((n, 4))
    G = rng.standard_normal((n, 3))
    layer.zero_grad()
    layer.forward(X)
    layer.backward(G)

    def J():
        return float(np.sum(G * layer.forward(X))) / n

    for parameter in (layer.weights, layer.biases):
        numeric = numerical_gradient(J, parameter.value)
        assert parameter.grad.shape == parameter.value.shape
        assert relative_error(parameter.grad, numeric) < 1e-6, parameter.name
    # the convention, written out: dW = X^T G / N, db = column mean of G
    np.testing.assert_allclose(layer.weights.grad, X.T @ G / n, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.biases.grad, G.mean(axis=0, keepdims=True), rtol=1e-12,
                               atol=1e-14)


# --- a property over random shapes and values -----------------------------------------------

ACTIVATIONS = [LogisticSigmoidLayer, TanhLayer, SoftmaxLayer, ReLULayer]


@settings(max_examples=50, deadline=None)
@given(data=st.data(), layer_class=st.sampled_from(ACTIVATIONS),
       n=st.integers(1, 20), d=st.integers(1, 8))
def test_activation_backward_agrees_with_jacobians_property(data, layer_class, n, d):
    values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    X = data.draw(hnp.arrays(np.float64, (n, d), elements=values), label="X")
    G = data.draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-1e3, 1e3)), label="G")
    layer = layer_class()
    out = layer.forward(X)
    assert out.shape == (n, d) and np.isfinite(out).all()
    grad = layer.backward(G)
    assert grad.shape == (n, d) and np.isfinite(grad).all()
    scale = max(1.0, float(np.abs(G).max()))
    jacobian = layer.gradient()
    assert jacobian.shape == (n, d, d)
    np.testing.assert_allclose(grad, np.einsum("nk,nkd->nd", G, jacobian), rtol=1e-12, atol=1e-12 * scale)
    if layer_class is SoftmaxLayer:
        # independent Jacobians diag(s) - s s^T, and rows of the input gradient sum to 0
        E = np.exp(X - X.max(axis=1, keepdims=True))
        s = E / E.sum(axis=1, keepdims=True)
        expected = np.einsum("nk,nkd->nd", G, np.einsum("nk,kd->nkd", s, np.eye(d))
                             - np.einsum("nk,nd->nkd", s, s))
        np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-12 * scale * d)
        np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-12 * scale * d)
    else:
        np.testing.assert_allclose(grad, G * independent_derivative(layer_class, X), rtol=1e-12,
                                   atol=1e-12 * scale)
        np.testing.assert_allclose(layer.derivative(), independent_derivative(layer_class, X),
                                   rtol=1e-12, atol=1e-15)


def independent_derivative(layer_class, X):
    """f'(X), written out here rather than taken from the layer."""
    if layer_class is LogisticSigmoidLayer:
        s = 0.5 * (1.0 + np.tanh(0.5 * X))  # the sigmoid, without exp overflow
        return s * (1.0 - s)
    if layer_class is TanhLayer:
        return 1.0 / np.cosh(np.clip(X, -350, 350)) ** 2
    if layer_class is ReLULayer:
        return (X > 0).astype(float)
    raise AssertionError(layer_class)
