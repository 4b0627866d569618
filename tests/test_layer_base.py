"""The shared machinery of graphnn.layers.Layer, on every registered layer: the seed's
accessors, the conversion of ``gradIn`` (lists, integers, float32), the before-forward errors,
and the small defaults (``describe``, ``repr``, ``parameters``, ``backward_parameters``)."""
import numpy as np
import pytest

from graphnn import FullyConnectedLayer, LinearLayer, TanhLayer
from registry import LAYER_CASES

CASES = pytest.mark.parametrize("case", LAYER_CASES, ids=[case.name for case in LAYER_CASES])


def run_forward(case, n=3):
    layer = case.make()
    inputs = case.make_inputs(np.random.default_rng(0), n)
    out = layer.forward(*inputs)
    return layer, inputs, out


@CASES
def test_prev_in_and_out_are_none_before_the_first_forward(case):
    layer = case.make()
    assert layer.getPrevIn() is None
    assert layer.getPrevOut() is None


@CASES
def test_get_prev_in_is_the_input_of_the_last_forward(case):
    layer, inputs, out = run_forward(case)
    stored = layer.getPrevIn()
    if layer.n_inputs == 1:
        assert stored is inputs[0]  # float64 input: kept as given, not copied
    else:
        assert len(stored) == layer.n_inputs
        assert all(a is b for a, b in zip(stored, inputs))
    assert layer.getPrevOut() is out


@CASES
def test_backward_reads_a_gradient_given_as_a_list_of_python_numbers(case):
    layer, _, out = run_forward(case)
    as_array = np.arange(out.size, dtype=np.float64).reshape(out.shape) / out.size
    expected = layer.backward(as_array)
    got = layer.backward(as_array.tolist())
    for e, g in zip(np.atleast_1d(expected) if layer.n_inputs == 1 else expected,
                    np.atleast_1d(got) if layer.n_inputs == 1 else got):
        assert np.array_equal(e, g) and np.asarray(g).dtype == np.float64


@CASES
def test_backward_converts_an_integer_gradient_to_float64(case):
    layer, _, out = run_forward(case)
    ints = np.ones(out.shape, dtype=np.int64)
    expected = layer.backward(np.ones(out.shape))
    got = layer.backward(ints)
    pairs = [(expected, got)] if layer.n_inputs == 1 else list(zip(expected, got))
    for e, g in pairs:
        assert g.dtype == np.float64 and np.array_equal(e, g)


def test_a_float32_gradient_stays_float32_in_a_float32_layer():
    layer = TanhLayer()
    X = np.array([[0.5, -1.0]], dtype=np.float32)
    layer.forward(X)
    grad = layer.backward(np.array([[1.0, 2.0]], dtype=np.float32))
    assert grad.dtype == np.float32
    assert np.allclose(grad, [[1 - np.tanh(0.5) ** 2, 2 * (1 - np.tanh(1.0) ** 2)]], rtol=1e-6)
    # a list gradient (read as float64) gives the same numbers
    assert np.allclose(layer.backward([[1.0, 2.0]]), grad, rtol=1e-6)


@CASES
def test_backward_refuses_a_list_of_the_wrong_shape_naming_gradin(case):
    layer, _, out = run_forward(case)
    with pytest.raises(ValueError, match=r"gradIn.*must be 3 x \d+, got 3 x 1"):
        layer.backward(np.zeros((3, 1)).tolist())


@CASES
def test_backward_and_gradient_before_forward_name_the_layer(case):
    layer = case.make()
    with pytest.raises(ValueError, match=f"{type(layer).__name__}.*backward called before forward"):
        layer.backward([[1.0]])
    if not isinstance(layer, FullyConnectedLayer):  # its Jacobian W^T needs no forward
        with pytest.raises(ValueError, match=f"{type(layer).__name__}.*gradient called before forward"):
            layer.gradient()


def test_the_seed_accessors_store_what_they_are_given():
    layer = LinearLayer()
    a, b = np.ones((2, 2)), np.zeros((2, 2))
    layer.setPrevIn(a)
    layer.setPrevOut(b)
    assert layer.getPrevIn() is a and layer.getPrevOut() is b
    # backward reads what setPrevOut stored: the shape check uses it
    assert np.array_equal(layer.backward([[1.0, 2.0], [3.0, 4.0]]), [[1.0, 2.0], [3.0, 4.0]])


def test_the_small_defaults():
    layer = TanhLayer()
    assert repr(layer) == "<TanhLayer>" and layer.describe() == "TanhLayer"
    assert layer.parameters() == ()
    layer.zero_grad()  # nothing to reset: no error
    layer.forward(np.array([[0.0, 1.0]]))
    assert layer.backward_parameters(np.ones((1, 2))) is None
    fc = FullyConnectedLayer(2, 1, seed=0)
    assert repr(fc) == "<FullyConnectedLayer 2->1>"
    fc.forward(np.ones((1, 2)))
    fc.backward(np.ones((1, 1)))
    assert fc.weights.grad.any()
    fc.zero_grad()
    assert not fc.weights.grad.any() and not fc.biases.grad.any()


def test_the_concrete_element_wise_layers_keep_their_specialised_backward():
    # Each library activation computes gradIn * f' its own faster way; a subclass that
    # redefines derivative() alone gets the plain product, so backward agrees with gradient()
    from graphnn import InputLayer, ReLULayer
    from graphnn.layers.ElementwiseLayer import ElementwiseLayer

    for cls in (TanhLayer, ReLULayer, LinearLayer, InputLayer):
        assert cls.backward is cls.__dict__["backward"]
        assert cls.backward is not ElementwiseLayer.backward

    class Doubled(TanhLayer):
        def derivative(self):
            return 2 * super().derivative()

    layer, X, G = Doubled(), np.array([[0.5, -1.0]]), np.array([[1.0, 3.0]])
    layer.forward(X)
    np.testing.assert_array_equal(layer.backward(G), G * (2 * (1 - np.tanh(X) ** 2)))
