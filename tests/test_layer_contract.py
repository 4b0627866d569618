"""The contract every layer keeps, checked for every layer registered in tests/registry.py.

Shapes and dtypes, one observation versus many, backward against central differences and
against the Jacobians of ``gradient()``, no mutation of arguments, finite results at extreme
inputs, and errors that name the layer and the shapes. Warnings are errors in this suite
(setup.cfg), so a RuntimeWarning from an overflow fails the test that caused it.
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
from graphnn.gradcheck import numerical_gradient, relative_error
from registry import LAYER_CASES, make_fc

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


def jacobians(layer):
    """``gradient()`` as a tuple with one Jacobian per input. A multi-input layer may return
    one Jacobian per input (a tuple) or a single array that every input shares."""
    result = layer.gradient()
    if layer.n_inputs == 1 or isinstance(result, np.ndarray):
        return (result,) * layer.n_inputs
    assert isinstance(result, (tuple, list)) and len(result) == layer.n_inputs, (
        f"{type(layer).__name__}.gradient() must give one Jacobian per input or a shared one"
    )
    return tuple(result)


def contract(G, jacobian):
    """``G`` (``N x K``) times a Jacobian: ``K x D`` (shared by all rows) or ``N x K x D``."""
    jacobian = np.asarray(jacobian)
    if jacobian.ndim == 2:
        return G @ jacobian
    assert jacobian.ndim == 3, f"gradient() must be 2-D or 3-D, got shape {jacobian.shape}"
    return np.einsum("nk,nkd->nd", G, jacobian)


def rng_for(case, n, salt=0):
    return np.random.default_rng([sum(map(ord, case.name)), n, salt])


# --- the contract ---------------------------------------------------------------------------

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
def test_forward_gives_float64_matrix_with_n_rows(case, n):
    out = run_forward(case.make(), case.make_inputs(rng_for(case, n), n))
    assert isinstance(out, np.ndarray)
    assert out.ndim == 2 and out.shape[0] == n and out.shape[1] >= 1
    assert out.dtype == np.float64
    assert np.isfinite(out).all()


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


@CASES
def test_many_observations_equal_each_row_alone(case):
    n = 7
    inputs = case.make_inputs(rng_for(case, n), n)
    G = rng_for(case, n, 1).standard_normal(run_forward(case.make(), inputs).shape)

    layer = case.make()
    batch_out = run_forward(layer, inputs)
    batch_grads = run_backward(layer, G)

    rows_out, rows_grads = [], []
    for i in range(n):
        layer = case.make()
        rows_out.append(run_forward(layer, tuple(x[i:i + 1] for x in inputs)))
        assert rows_out[-1].shape == (1, batch_out.shape[1])
        rows_grads.append(run_backward(layer, G[i:i + 1]))
    np.testing.assert_allclose(batch_out, np.vstack(rows_out), rtol=0, atol=1e-12)
    for slot, batch_grad in enumerate(batch_grads):
        stacked = np.vstack([grads[slot] for grads in rows_grads])
        np.testing.assert_allclose(batch_grad, stacked, rtol=0, atol=1e-12)


@CASES
@SIZES
def test_backward_matches_central_differences(case, n):
    layer = case.make()
    inputs = tuple(x.copy() for x in case.make_inputs(rng_for(case, n), n))
    G = rng_for(case, n, 1).standard_normal(run_forward(layer, inputs).shape)
    analytic = run_backward(layer, G)

    def f():
        return float(np.sum(G * run_forward(layer, inputs)))

    for slot, x in enumerate(inputs):
        numeric = numerical_gradient(f, x)
        assert analytic[slot].shape == x.shape
        assert np.abs(numeric).max() > 0 or np.abs(analytic[slot]).max() == 0
        assert relative_error(analytic[slot], numeric) < 1e-6, (case.name, slot)


@CASES
@SIZES
def test_backward_equals_G_contracted_with_gradient(case, n):
    layer = case.make()
    inputs = case.make_inputs(rng_for(case, n), n)
    out = run_forward(layer, inputs)
    G = rng_for(case, n, 1).standard_normal(out.shape)
    for grad, jacobian, x in zip(run_backward(layer, G), jacobians(layer), inputs):
        jacobian = np.asarray(jacobian)
        if jacobian.ndim == 2:  # shared by every observation, K x D (FC's W^T)
            assert jacobian.shape == (out.shape[1], x.shape[1])
        else:                   # one Jacobian per observation, N x K x D
            assert jacobian.shape == (n, out.shape[1], x.shape[1])
        np.testing.assert_allclose(grad, contract(G, jacobian), rtol=1e-12, atol=1e-12)


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
    (jacobian,) = jacobians(layer)
    d = x.shape[1]
    assert jacobian.shape == (n, d, d)
    if isinstance(layer, ElementwiseLayer):  # diagonal per observation
        off_diagonal = jacobian * (1 - np.eye(d))
        assert not off_diagonal.any()


@CASES
@SIZES
def test_forward_and_backward_do_not_modify_their_arguments(case, n):
    layer = case.make()
    inputs = case.make_inputs(rng_for(case, n), n)
    saved_inputs = tuple(x.copy() for x in inputs)
    out = run_forward(layer, inputs)
    for x, saved in zip(inputs, saved_inputs):
        np.testing.assert_array_equal(x, saved)
    G = rng_for(case, n, 1).standard_normal(out.shape)
    saved_G = G.copy()
    run_backward(layer, G)
    np.testing.assert_array_equal(G, saved_G)
    layer.gradient()
    np.testing.assert_array_equal(G, saved_G)
    for x, saved in zip(inputs, saved_inputs):
        np.testing.assert_array_equal(x, saved)


@CASES
@SIZES
def test_extreme_inputs_give_finite_results_without_warnings(case, n):
    rng = rng_for(case, n)
    inputs = []
    for width in case.input_widths:
        signs = rng.choice([-1.0, 1.0], size=(n, width))
        signs.flat[0] = 1.0
        if signs.size > 1:
            signs.flat[1] = -1.0
        inputs.append(1e4 * signs)
    layer = case.make()
    out = run_forward(layer, tuple(inputs))
    assert np.isfinite(out).all()
    G = rng.standard_normal(out.shape)
    for grad in run_backward(layer, G):
        assert np.isfinite(grad).all()
    for jacobian in jacobians(layer):
        assert np.isfinite(jacobian).all()


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


@CASES
def test_three_dimensional_input_is_refused(case):
    inputs = case.make_inputs(rng_for(case, 3), 3)
    for slot in range(case.n_inputs):
        bad = list(inputs)
        bad[slot] = inputs[slot][None]
        with pytest.raises(ValueError, match=type(case.make()).__name__):
            run_forward(case.make(), bad)


@CASES
def test_backward_before_forward_is_refused(case):
    layer = case.make()
    with pytest.raises(ValueError, match="before forward") as info:
        layer.backward(np.ones((2, 3)))
    assert type(layer).__name__ in str(info.value)


@CASES
@SIZES
def test_backward_with_a_misshapen_gradient_names_the_layer_and_both_shapes(case, n):
    layer = case.make()
    out = run_forward(layer, case.make_inputs(rng_for(case, n), n))
    for wrong in [(n, out.shape[1] + 1), (n + 1, out.shape[1])]:
        with pytest.raises(ValueError) as info:
            layer.backward(np.ones(wrong))
        message = str(info.value)
        assert type(layer).__name__ in message
        assert describe_shape(out.shape) in message
        assert describe_shape(wrong) in message


def test_every_concrete_layer_is_registered():
    registered = {type(case.make()) for case in LAYER_CASES}
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
    np.testing.assert_allclose(grad, contract(G, jacobian), rtol=1e-12, atol=1e-12 * scale)
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
