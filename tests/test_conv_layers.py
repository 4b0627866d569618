"""The image layers: ConvolutionalLayer, MaxPoolLayer, FlatteningLayer.

Against PyTorch (``conv2d``, ``max_pool2d``, ``flatten``) to 1e-10 in float64, against central
differences, the layer contract for ``N x C x H x W`` inputs (the cases of
``tests/registry.py: IMAGE_LAYER_CASES``; tests/test_layer_contract.py runs ``check_layer`` on them too), bad inputs
with their messages, float32, ``gradient()``, the local rules and ``plot_kernels``.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import graphnn as gn
from graphnn.core.plan import PARAMETERS_STEP
from graphnn.grading.gradcheck import numerical_gradient, relative_error
from graphnn.layers.windows import JACOBIAN_LIMIT, add_windows, output_size, pair, windows
from graphnn.views.rules import PARAMETERS_RULE, RULES, rule_of
from registry import IMAGE_LAYER_CASES

TIGHT = dict(rtol=1e-10, atol=1e-10)
CASES = pytest.mark.parametrize("case", IMAGE_LAYER_CASES, ids=[c.name for c in IMAGE_LAYER_CASES])
SIZES = pytest.mark.parametrize("n", (1, 7))


def rng_for(*salt):
    return np.random.default_rng([sum(map(ord, str(s))) for s in salt])


# --- PyTorch's answers ------------------------------------------------------------------------

def torch_conv(layer, X, G):
    """``(Y, dX, dW, db)`` from PyTorch's autograd, for the mean objective ``sum(G * Y) / N``
    (so ``dX`` is multiplied back by ``N``: graphnn's input gradients are per observation)."""
    n = X.shape[0]
    Xt = torch.tensor(X, requires_grad=True)
    Wt = torch.tensor(layer.getWeights(), requires_grad=True)
    bt = torch.tensor(layer.getBiases(), requires_grad=True)
    Y = F.conv2d(Xt, Wt, bt, stride=layer.stride, padding=layer.padding)
    (Y * torch.tensor(G)).sum().div(n).backward()
    return Y.detach().numpy(), n * Xt.grad.numpy(), Wt.grad.numpy(), bt.grad.numpy()


def graphnn_conv(layer, X, G):
    layer.zero_grad()
    Y = layer.forward(X).copy()
    dX = layer.backward(G)
    return Y, dX, layer.weights.grad, layer.biases.grad


def assert_conv_agrees_with_torch(layer, X, rng):
    G = rng.standard_normal(layer.forward(X).shape)
    for ours, theirs, what in zip(graphnn_conv(layer, X, G), torch_conv(layer, X, G),
                                  ("Y", "dX", "dW", "db")):
        assert ours.shape == theirs.shape, what
        np.testing.assert_allclose(ours, theirs, **TIGHT, err_msg=f"{layer.describe()}: {what}")


CONV_SETTINGS = [  # (C, O, kernel, stride, padding, H, W)
    (1, 1, 3, 1, 0, 5, 5),
    (1, 8, 3, 1, 1, 8, 8),  # the digits network's first layer
    (3, 4, (3, 2), (2, 1), (1, 2), 7, 9),
    (2, 5, (1, 4), 3, (0, 1), 6, 8),
    (4, 2, 5, 2, 2, 5, 5),
    (2, 3, (2, 3), (1, 3), 0, 2, 3),  # the kernel exactly as large as the image
]


@pytest.mark.parametrize("setting", CONV_SETTINGS, ids=str)
@pytest.mark.parametrize("n", (1, 6))
def test_convolution_agrees_with_torch(setting, n):
    channels, outs, kernel, stride, padding, height, width = setting
    rng = rng_for("conv", setting, n)
    layer = gn.ConvolutionalLayer(channels, outs, kernel, stride, padding, seed=3)
    assert_conv_agrees_with_torch(layer, rng.standard_normal((n, channels, height, width)), rng)


@settings(max_examples=100)
@given(data=st.data())
def test_convolution_agrees_with_torch_on_drawn_shapes(data):
    draw = lambda strategy, label: data.draw(strategy, label=label)  # noqa: E731
    channels, outs = draw(st.integers(1, 3), "C"), draw(st.integers(1, 3), "O")
    kernel = (draw(st.integers(1, 4), "kh"), draw(st.integers(1, 4), "kw"))
    stride = (draw(st.integers(1, 3), "sh"), draw(st.integers(1, 3), "sw"))
    padding = (draw(st.integers(0, 2), "ph"), draw(st.integers(0, 2), "pw"))
    height = draw(st.integers(max(1, kernel[0] - 2 * padding[0]), 9), "H")
    width = draw(st.integers(max(1, kernel[1] - 2 * padding[1]), 9), "W")
    n = draw(st.integers(1, 4), "N")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), "seed"))
    layer = gn.ConvolutionalLayer(channels, outs, kernel, stride, padding, rng=rng)
    assert_conv_agrees_with_torch(layer, rng.standard_normal((n, channels, height, width)), rng)


POOL_SETTINGS = [  # (size, stride, H, W)
    (2, None, 4, 4), (2, None, 5, 7), ((3, 2), None, 7, 6), (3, 1, 5, 5), ((2, 3), (1, 2), 6, 7),
    (2, 3, 8, 8), (1, None, 3, 2),
]


def torch_pool(layer, X, G):
    Xt = torch.tensor(X, requires_grad=True)
    Y = F.max_pool2d(Xt, layer.size, layer.stride)
    (Y * torch.tensor(G)).sum().backward()
    return Y.detach().numpy(), Xt.grad.numpy()


@pytest.mark.parametrize("setting", POOL_SETTINGS, ids=str)
@pytest.mark.parametrize("n", (1, 5))
@pytest.mark.parametrize("values", ("normal", "ties"))
def test_max_pooling_agrees_with_torch(setting, n, values):
    size, stride, height, width = setting
    rng = rng_for("pool", setting, n, values)
    shape = (n, 3, height, width)
    # Small integers: most windows hold ties, and PyTorch's choice among them is matched.
    X = rng.standard_normal(shape) if values == "normal" else rng.integers(0, 3, shape).astype(float)
    layer = gn.MaxPoolLayer(size, stride)
    Y = layer.forward(X)
    G = rng.standard_normal(Y.shape)
    dX = layer.backward(G)
    Y_torch, dX_torch = torch_pool(layer, X, G)
    np.testing.assert_allclose(Y, Y_torch, **TIGHT)
    np.testing.assert_allclose(dX, dX_torch, **TIGHT)


def test_a_tie_sends_the_gradient_to_the_first_maximum_in_row_major_order():
    layer = gn.MaxPoolLayer(2)
    X = np.array([[[[1.0, 3.0], [3.0, 3.0]]]])
    layer.forward(X)
    np.testing.assert_array_equal(layer.backward(np.array([[[[5.0]]]])), [[[[0.0, 5.0], [0.0, 0.0]]]])


def test_nan_passes_on_and_its_gradient_goes_where_torch_sends_it():
    nan = np.nan
    X = np.array([[[[nan, 1.0, 2.0, nan], [nan, 0.0, 5.0, 0.0]]]])
    layer = gn.MaxPoolLayer(2)
    Y = layer.forward(X)
    G = np.array([[[[3.0, 4.0]]]])
    dX = layer.backward(G)
    Y_torch, dX_torch = torch_pool(layer, X, G)
    np.testing.assert_array_equal(Y, Y_torch)  # NaN in both windows
    np.testing.assert_array_equal(dX, dX_torch)  # the last NaN of each window
    assert dX[0, 0, 1, 0] == 3.0 and dX[0, 0, 0, 3] == 4.0


def test_a_nan_gradient_reaches_the_winner_only():
    layer = gn.MaxPoolLayer(2, stride=1)
    layer.forward(np.array([[[[1.0, 2.0, 0.0], [0.0, 0.0, 0.0]]]]))
    dX = layer.backward(np.array([[[[np.nan, 1.0]]]]))
    assert np.isnan(dX[0, 0, 0, 1]) and np.isfinite(np.delete(dX.ravel(), 1)).all()


def test_overlapping_windows_add_their_gradients_where_they_share_a_maximum():
    layer = gn.MaxPoolLayer(2, stride=1)
    X = np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]])
    np.testing.assert_array_equal(layer.forward(X), np.full((1, 1, 2, 2), 9.0))
    dX = layer.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    assert dX[0, 0, 1, 1] == 10.0 and dX.sum() == 10.0


@pytest.mark.parametrize("shape", [(1, 3, 4, 5), (6, 2, 3, 3), (4, 7), (2, 3, 4)])
def test_flattening_agrees_with_torch(shape):
    rng = rng_for("flat", shape)
    X = rng.standard_normal(shape)
    layer = gn.FlatteningLayer()
    Y = layer.forward(X)
    Xt = torch.tensor(X, requires_grad=True)
    Y_torch = torch.flatten(Xt, 1)
    G = rng.standard_normal(Y.shape)
    (Y_torch * torch.tensor(G)).sum().backward()
    np.testing.assert_array_equal(Y, Y_torch.detach().numpy())
    np.testing.assert_array_equal(layer.backward(G), Xt.grad.numpy())


# --- the contract, for N x C x H x W inputs -------------------------------------------------

def outputs_and_gradients(layer, X, G):
    layer.zero_grad()
    Y = np.array(layer.forward(X), copy=True)
    dX = np.array(layer.backward(G), copy=True)
    return Y, dX, [np.array(p.grad, copy=True) for p in layer.parameters()]


@CASES
@SIZES
def test_image_layer_shapes_and_dtypes(case, n):
    layer = case.make()
    (X,) = case.make_inputs(rng_for(case.name, n), n)
    Y = layer.forward(X)
    assert Y.shape[0] == n and Y.dtype == np.float64
    dX = layer.backward(np.ones_like(Y))
    assert dX.shape == X.shape and dX.dtype == np.float64


@CASES
def test_rows_are_independent(case):
    layer = case.make()
    (X,) = case.make_inputs(rng_for(case.name, "rows"), 5)
    Y = np.array(layer.forward(X), copy=True)
    G = rng_for(case.name, "G").standard_normal(Y.shape)
    dX = np.array(layer.backward(G), copy=True)
    for row in range(5):
        np.testing.assert_allclose(layer.forward(X[row:row + 1]), Y[row:row + 1], rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(layer.backward(G[row:row + 1]), dX[row:row + 1], rtol=1e-13, atol=1e-14)


@CASES
@SIZES
def test_backward_and_parameter_gradients_agree_with_central_differences(case, n):
    layer = case.make()
    (X,) = case.make_inputs(rng_for(case.name, "cd", n), n)
    G = rng_for(case.name, "cdG", n).standard_normal(layer.forward(X).shape)
    _, dX, parameter_grads = outputs_and_gradients(layer, X, G)

    def f():
        return float(np.sum(G * layer.forward(X)))

    assert relative_error(dX, numerical_gradient(f, X)) < 1e-8
    for parameter, grad in zip(layer.parameters(), parameter_grads):  # gradients of the mean
        assert relative_error(grad, numerical_gradient(f, parameter.value) / n) < 1e-8, parameter.name


@CASES
@SIZES
def test_gradient_is_the_jacobian_backward_multiplies_by(case, n):
    layer = case.make()
    (X,) = case.make_inputs(rng_for(case.name, "jac", n), n)
    Y = layer.forward(X)
    G = rng_for(case.name, "jacG", n).standard_normal(Y.shape)
    jacobian = layer.gradient()
    k, d = Y[0].size, X[0].size
    flat_G = G.reshape(n, k)
    if jacobian.ndim == 2:  # the convolution's, the same for every observation
        assert jacobian.shape == (k, d)
        contracted = flat_G @ jacobian
    else:
        assert jacobian.shape == (n, k, d)
        contracted = np.einsum("nk,nkd->nd", flat_G, jacobian)
    np.testing.assert_allclose(contracted.reshape(X.shape), layer.backward(G), rtol=1e-12, atol=1e-13)
    # and against central differences of the forward itself, one observation's column at a time
    numeric = np.stack([numerical_gradient(lambda: float(layer.forward(X)[0].ravel()[i]), X)[0].ravel()
                        for i in range(k)])
    first = jacobian if jacobian.ndim == 2 else jacobian[0]
    assert relative_error(first, numeric) < 1e-8


@CASES
def test_no_argument_is_written_to(case):
    layer = case.make()
    (X,) = case.make_inputs(rng_for(case.name, "mut"), 3)
    X_before = X.copy()
    Y = layer.forward(X)
    G = np.ones_like(Y)
    G_before = G.copy()
    layer.backward(G)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(G, G_before)


@CASES
@SIZES
def test_float32_in_float32_out(case, n):
    layer = (case.make_float32 or case.make)()
    (X,) = case.make_inputs(rng_for(case.name, "f32", n), n)
    Y = layer.forward(X.astype(np.float32))
    assert Y.dtype == np.float32
    G = rng_for(case.name, "f32G", n).standard_normal(Y.shape).astype(np.float32)
    dX = layer.backward(G)
    assert dX.dtype == np.float32
    for parameter in layer.parameters():
        assert parameter.grad.dtype == np.float32
    reference = case.make()
    np.testing.assert_allclose(Y, reference.forward(X.astype(np.float32).astype(np.float64)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dX, reference.backward(G.astype(np.float64)), rtol=1e-4, atol=1e-5)


@CASES
def test_integer_input_is_accepted_as_float(case):
    (X,) = case.make_inputs(rng_for(case.name, "int"), 3)
    integers = np.rint(X * 2).astype(np.int64)
    out = case.make().forward(integers)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, case.make().forward(integers.astype(np.float64)))


@CASES
def test_backward_before_forward_says_so(case):
    layer = case.make()
    with pytest.raises(ValueError, match=f"{type(layer).__name__}.*backward called before forward"):
        layer.backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="gradient called before forward"):
        layer.gradient()


@CASES
def test_a_gradient_of_another_shape_is_refused(case):
    layer = case.make()
    (X,) = case.make_inputs(rng_for(case.name, "gshape"), 3)
    Y = layer.forward(X)
    with pytest.raises(ValueError, match=r"gradIn \(shaped like the output\) must be "
                       + " x ".join(map(str, Y.shape))):
        layer.backward(np.ones((3,) + tuple(s + 1 for s in Y.shape[1:])))


# --- bad inputs -------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: gn.ConvolutionalLayer(1, 2, 3), lambda: gn.MaxPoolLayer(2)],
                         ids=["conv", "pool"])
def test_an_image_without_its_channel_axis_gets_the_hint_to_add_it(make):
    layer = make()
    with pytest.raises(ValueError) as info:
        layer.forward(np.zeros((5, 8, 8)))
    message = str(info.value)
    assert layer.describe() in message
    assert "must be a 4-D N x C x H x W array, got 3-D shape (5, 8, 8)" in message
    assert "x.reshape(N, 1, H, W)" in message and "x[:, None]" in message


@pytest.mark.parametrize("bad", [np.zeros((4, 64)), np.zeros(64), np.zeros((1, 1, 1, 8, 8))],
                         ids=["2-D", "1-D", "5-D"])
def test_other_ranks_are_refused_by_the_image_layers(bad):
    for layer in (gn.ConvolutionalLayer(1, 2, 3), gn.MaxPoolLayer(2)):
        with pytest.raises(ValueError, match=f"{layer.describe()}: input must be a 4-D N x C x H x W array, "
                           f"got {bad.ndim}-D"):
            layer.forward(bad)


def test_flattening_refuses_a_single_vector_with_a_reshape_hint():
    with pytest.raises(ValueError, match=r"FlatteningLayer: input must be a 2-D N x D array, or one "
                       r"of higher rank with the batch first .*got 1-D shape \(6,\).*reshape\(1, -1\)"):
        gn.FlatteningLayer().forward(np.zeros(6))


def test_the_wrong_number_of_channels_is_refused():
    layer = gn.ConvolutionalLayer(3, 2, 3)
    with pytest.raises(ValueError) as info:
        layer.forward(np.zeros((4, 1, 8, 8)))
    assert str(info.value) == ("ConvolutionalLayer 3->2 3x3: input must have 3 channels "
                               "(N x 3 x H x W), got 4 x 1 x 8 x 8")


def test_an_image_smaller_than_the_kernel_is_refused():
    layer = gn.ConvolutionalLayer(1, 2, (5, 3), padding=1)
    with pytest.raises(ValueError) as info:
        layer.forward(np.zeros((2, 1, 2, 6)))
    assert str(info.value) == ("ConvolutionalLayer 1->2 5x3 padding 1: input images of 2 x 6 pixels, "
                               "padded to 4 x 8, are smaller than the 5 x 3 kernel (got 2 x 1 x 2 x 6)")
    gn.ConvolutionalLayer(1, 2, (5, 3), padding=(1, 0)).forward(np.zeros((2, 1, 3, 3)))  # just fits


def test_an_image_smaller_than_the_pooling_window_is_refused():
    with pytest.raises(ValueError) as info:
        gn.MaxPoolLayer((2, 3)).forward(np.zeros((1, 1, 4, 2)))
    assert str(info.value) == ("MaxPoolLayer 2x3: input images of 4 x 2 pixels are smaller than "
                               "the 2 x 3 window (got 1 x 1 x 4 x 2)")


@pytest.mark.parametrize("arguments, message", [
    ((0, 2, 3), "ConvolutionalLayer: in_channels must be a positive integer, got 0"),
    ((1, 2.0, 3), "ConvolutionalLayer: out_channels must be a positive integer, got 2.0"),
    ((1, 2, 0), r"ConvolutionalLayer: kernel_size must be a positive integer or a pair of them \(rows, columns\), got 0"),
    ((1, 2, (3, 3, 3)), r"kernel_size must be a positive integer or a pair of them \(rows, columns\), got \(3, 3, 3\)"),
    ((1, 2, 3, 0), r"stride must be a positive integer or a pair of them \(rows, columns\), got 0"),
    ((1, 2, 3, 1, -1), r"padding must be an integer >= 0 or a pair of them \(rows, columns\), got -1"),
    ((1, 2, 3, 1, (1, True)), r"padding must be an integer >= 0 or a pair of them"),
])
def test_bad_convolution_arguments_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        gn.ConvolutionalLayer(*arguments)


def test_bad_convolution_options_are_refused():
    with pytest.raises(ValueError, match="ConvolutionalLayer: dtype must be a floating type, got int64"):
        gn.ConvolutionalLayer(1, 2, 3, dtype=np.int64)
    with pytest.raises(ValueError, match="ConvolutionalLayer: give either seed or rng, not both"):
        gn.ConvolutionalLayer(1, 2, 3, seed=0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="ConvolutionalLayer: rng must be a numpy Generator.*pass seed=5"):
        gn.ConvolutionalLayer(1, 2, 3, rng=5)
    with pytest.raises(ValueError, match="ConvolutionalLayer: seed must be an integer >= 0, got -1"):
        gn.ConvolutionalLayer(1, 2, 3, seed=-1)


@pytest.mark.parametrize("arguments, message", [
    ((0,), r"MaxPoolLayer: size must be a positive integer or a pair of them \(rows, columns\), got 0"),
    (((2, 0),), r"MaxPoolLayer: size must be a positive integer or a pair of them"),
    ((2, 0), r"MaxPoolLayer: stride must be a positive integer or a pair of them \(rows, columns\), got 0"),
    (("2",), r"MaxPoolLayer: size must be a positive integer or a pair of them \(rows, columns\), got '2'"),
])
def test_bad_pooling_arguments_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        gn.MaxPoolLayer(*arguments)


# --- the convolution's parameters -------------------------------------------------------------

def test_constructor_stores_pairs_and_draws_torch_like_parameters():
    layer = gn.ConvolutionalLayer(2, 4, (3, 5), stride=2, padding=(1, 2), seed=7)
    assert (layer.in_channels, layer.out_channels) == (2, 4)
    assert (layer.kernel_size, layer.stride, layer.padding) == ((3, 5), (2, 2), (1, 2))
    assert layer.weights.shape == (4, 2, 3, 5) and layer.biases.shape == (4,)
    assert layer.parameters() == (layer.weights, layer.biases)
    bound = 1 / np.sqrt(2 * 3 * 5)
    for array in (layer.getWeights(), layer.getBiases()):
        assert np.abs(array).max() <= bound and np.abs(array).max() > bound / 2
    np.testing.assert_array_equal(layer.getWeights(), gn.ConvolutionalLayer(2, 4, (3, 5), seed=7).getWeights())
    same = gn.ConvolutionalLayer(2, 4, (3, 5), rng=np.random.default_rng(7))
    np.testing.assert_array_equal(layer.getWeights(), same.getWeights())
    assert gn.ConvolutionalLayer(1, 1, 2, dtype=np.float32).getWeights().dtype == np.float32


@pytest.mark.parametrize("layer, text", [
    (gn.ConvolutionalLayer(1, 8, 3), "ConvolutionalLayer 1->8 3x3"),
    (gn.ConvolutionalLayer(1, 8, 3, padding=1), "ConvolutionalLayer 1->8 3x3 padding 1"),
    (gn.ConvolutionalLayer(3, 2, (3, 1), stride=(2, 1), padding=(0, 1)),
     "ConvolutionalLayer 3->2 3x1 stride 2x1 padding 0x1"),
    (gn.MaxPoolLayer(2), "MaxPoolLayer 2x2"),
    (gn.MaxPoolLayer(3, stride=1), "MaxPoolLayer 3x3 stride 1"),
    (gn.MaxPoolLayer((2, 3), stride=(2, 3)), "MaxPoolLayer 2x3"),
    (gn.FlatteningLayer(), "FlatteningLayer"),
], ids=str)
def test_describe(layer, text):
    assert layer.describe() == text
    assert repr(layer) == f"<{text}>"


def test_short_names_and_ranks():
    assert (gn.ConvolutionalLayer.short_name, gn.MaxPoolLayer.short_name, gn.FlatteningLayer.short_name) \
        == ("conv", "pool", "flat")
    assert (gn.ConvolutionalLayer.input_ndim, gn.MaxPoolLayer.input_ndim, gn.FlatteningLayer.input_ndim) \
        == (4, 4, None)
    assert gn.MaxPoolLayer(2).stride == (2, 2) and gn.MaxPoolLayer((2, 3), 1).stride == (1, 1)


def test_set_weights_and_biases_are_checked_and_keep_the_dtype():
    layer = gn.ConvolutionalLayer(2, 3, 2, dtype=np.float32)
    kernels = np.arange(24, dtype=np.float64).reshape(3, 2, 2, 2)
    layer.setWeights(kernels)
    assert layer.getWeights().dtype == np.float32 and layer.getWeights() is not kernels
    np.testing.assert_array_equal(layer.getWeights(), kernels)
    layer.setBiases([1, 2, 3])
    np.testing.assert_array_equal(layer.getBiases(), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"ConvolutionalLayer 2->3 2x2: weights must be 3 x 2 x 2 x 2, "
                       r"got 3 x 2 x 2"):
        layer.setWeights(np.zeros((3, 2, 2)))
    with pytest.raises(ValueError, match=r"biases must be 3, got 1 x 3"):
        layer.setBiases(np.zeros((1, 3)))
    bad = np.zeros((3, 2, 2, 2))
    bad[1, 0, 1, 1] = np.nan
    with pytest.raises(ValueError, match=r"weights \(3 x 2 x 2 x 2\) holds 1 NaN or inf entries, the "
                       r"first at index \(1, 0, 1, 1\)"):
        layer.setWeights(bad)
    with pytest.raises(ValueError, match="weights must be numeric, got dtype <U1"):
        layer.setWeights(np.full((3, 2, 2, 2), "a"))


def test_parameter_gradients_accumulate_and_zero_grad_resets_them():
    layer = gn.ConvolutionalLayer(1, 2, 3, seed=0)
    X = rng_for("acc").standard_normal((4, 1, 5, 5))
    G = np.ones_like(layer.forward(X))
    layer.zero_grad()
    layer.backward(G)
    once = layer.weights.grad.copy()
    layer.backward(G)
    np.testing.assert_allclose(layer.weights.grad, 2 * once)
    np.testing.assert_allclose(layer.biases.grad, [18.0, 18.0])  # 3 x 3 ones per image, mean over N: 9, twice
    layer.zero_grad()
    assert not layer.weights.grad.any() and not layer.biases.grad.any()


def test_backward_parameters_adds_the_same_gradients_without_the_input_gradient():
    layer = gn.ConvolutionalLayer(2, 3, (2, 3), stride=(1, 2), padding=1, seed=0)
    X = rng_for("bp").standard_normal((3, 2, 6, 5))
    G = rng_for("bpG").standard_normal(layer.forward(X).shape)
    layer.zero_grad()
    layer.backward(G)
    expected = [p.grad.copy() for p in layer.parameters()]
    layer.zero_grad()
    assert layer.backward_parameters(G) is G
    for parameter, grad in zip(layer.parameters(), expected):
        np.testing.assert_array_equal(parameter.grad, grad)


# --- gradient() for large inputs --------------------------------------------------------------

@pytest.mark.parametrize("layer, shape, words", [
    (gn.ConvolutionalLayer(3, 16, 3, padding=1), (1, 3, 32, 32), "G's full cross-correlation with the flipped kernels"),
    (gn.MaxPoolLayer(2), (64, 8, 32, 32), "the gradient of each window, sent to its maximum,"),
    (gn.FlatteningLayer(), (64, 8, 16, 16), "G reshaped to the input's shape"),
], ids=["conv", "pool", "flat"])
def test_gradient_of_a_large_input_says_why_not_and_what_backward_does(layer, shape, words):
    layer.forward(np.zeros(shape))
    with pytest.raises(ValueError) as info:
        layer.gradient()
    message = str(info.value)
    assert message.startswith(f"{layer.describe()}: gradient() would be ")
    assert f"more than {JACOBIAN_LIMIT:,}" in message and f"backward(G) computes {words} without it" in message


# --- the window helpers -----------------------------------------------------------------------

@settings(max_examples=50)
@given(kh=st.integers(1, 3), kw=st.integers(1, 3), sh=st.integers(1, 3), sw=st.integers(1, 3),
       height=st.integers(3, 7), width=st.integers(3, 7))
def test_add_windows_is_the_adjoint_of_windows(kh, kw, sh, sw, height, width):
    rng = np.random.default_rng([kh, kw, sh, sw, height, width])
    X = rng.standard_normal((2, 2, height, width))
    view = windows(X, (kh, kw), (sh, sw))
    assert view.shape[2:4] == output_size(height, width, (kh, kw), (sh, sw))
    V = rng.standard_normal(view.shape).transpose(0, 1, 4, 5, 2, 3)  # N C kh kw H' W'
    back = add_windows(np.zeros_like(X), V, (sh, sw))
    # <windows(X), V> = <X, add_windows(V)>
    np.testing.assert_allclose(np.sum(view.transpose(0, 1, 4, 5, 2, 3) * V), np.sum(X * back), rtol=1e-12)


def test_pair():
    assert pair(3, 1, "L", "k") == (3, 3) and pair((2, 5), 1, "L", "k") == (2, 5)
    assert pair([0, 1], 0, "L", "p") == (0, 1) and pair(np.int64(2), 1, "L", "k") == (2, 2)


# --- the local rules and the kernels' picture -------------------------------------------------

def test_the_image_layers_have_their_local_rules():
    words, symbols = rule_of(gn.ConvolutionalLayer(1, 2, 3))
    assert "flipped kernel" in words and symbols == "G *full* flip(K);  dK = X * G / N;  db = sum(G) / N"
    assert rule_of(gn.MaxPoolLayer(2)) == RULES[gn.MaxPoolLayer]
    assert "first, on a tie" in rule_of(gn.MaxPoolLayer(2))[0]
    assert rule_of(gn.FlatteningLayer())[1] == "reshape(g, C x H x W)"
    assert rule_of(gn.ConvolutionalLayer(1, 2, 3), PARAMETERS_STEP)[1] == "dK = X * G / N;  db = sum(G) / N"
    assert rule_of(gn.FullyConnectedLayer(2, 1), PARAMETERS_STEP) == PARAMETERS_RULE


def test_plot_kernels_draws_a_grid_on_one_scale_centred_at_zero(tmp_path):
    layer = gn.ConvolutionalLayer(2, 3, 3, seed=0)
    figure = gn.plot_kernels(layer, tmp_path / "kernels.png")
    images = [ax.images[0] for ax in figure.axes if ax.images]
    assert len(images) == 6
    limit = np.abs(layer.getWeights()).max()
    assert all(image.get_clim() == (-limit, limit) for image in images)
    np.testing.assert_array_equal(images[1].get_array(), layer.getWeights()[0, 1])  # out 0, in 1
    assert figure.get_suptitle() == "ConvolutionalLayer 2->3 3x3"
    assert [ax.get_title() for ax in figure.axes[:2]] == ["in 0", "in 1"]
    assert figure.axes[0].get_ylabel() == "out 0" and figure.axes[2].get_ylabel() == "out 1"
    assert (tmp_path / "kernels.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(figure.axes[0].texts) == 9  # a 3 x 3 kernel shows its numbers


def test_plot_kernels_wraps_one_input_channel_and_takes_arrays(tmp_path):
    figure = gn.plot_kernels(gn.ConvolutionalLayer(1, 10, 5, seed=0))
    drawn = [ax for ax in figure.axes if ax.images]
    assert len(drawn) == 10 and [ax.get_title() for ax in drawn[:2]] == ["out 0", "out 1"]
    assert not drawn[0].texts  # 5 x 5 kernels: no numbers
    stripes = np.array([[1.0, 0.0, -1.0]] * 3)
    figure = gn.plot_kernels(stripes, tmp_path / "k.svg", title="vertical")
    assert figure.get_suptitle() == "vertical" and (tmp_path / "k.svg").read_text().startswith("<?xml")
    from matplotlib.figure import Figure

    outer = Figure()
    before, after = outer.subfigures(1, 2)
    assert gn.plot_kernels(stripes, figure=before, title="before") is before
    assert gn.plot_kernels(-stripes, figure=after, title="after") is after


def test_plot_kernels_refuses_what_it_cannot_draw(tmp_path):
    with pytest.raises(ValueError, match=r"plot_kernels: kernels must be out x in x kh x kw .* got shape \(3,\)"):
        gn.plot_kernels(np.zeros(3))
    with pytest.raises(ValueError, match="plot_kernels: cannot tell the format of .*kernels.pdf"):
        gn.plot_kernels(gn.ConvolutionalLayer(1, 1, 2), tmp_path / "kernels.pdf")
