"""What mutation testing found unchecked in the layers (docs/reliability.md, "Mutation
testing"): a layer written from scratch with the decorators of ``graphnn.layers.Layer`` (as
docs/architecture.md shows) gets the checks and the quiet IEEE context, and the Jacobians keep
the input's dtype."""
import warnings

import numpy as np
import pytest

from graphnn import (AddLayer, BatchNormLayer, InputLayer, ConcatLayer, ConvolutionalLayer, DropoutLayer,
                     FlatteningLayer, FullyConnectedLayer, InitialStateLayer, MaxPoolLayer,
                     MultiplyLayer, SliceLayer)
from graphnn.layers.Layer import Layer, checked_backward, checked_forward
from graphnn.objectives.Objective import Objective, checked_pair


def make_scale_layer():
    """A layer like the ScaleLayer of docs/architecture.md, whose math divides by zero on
    purpose; defined when the test runs, so that the decorators are applied by the code under
    test then, not once at import."""

    class ScaleLayer(Layer):
        @checked_forward
        def forward(self, dataIn):
            self.setPrevIn(dataIn)
            out = 2.0 * dataIn / dataIn  # 0/0 gives NaN: quiet inside the checked context
            self.setPrevOut(out)
            return out

        def gradient(self):
            return None

        @checked_backward
        def backward(self, gradIn):
            return gradIn / 0.0

    return ScaleLayer()


def test_a_layer_with_the_decorators_runs_its_math_quietly_and_says_so():
    layer = make_scale_layer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning (0/0, x/0) would fail the test
        out = layer.forward([[0.0, 1.0]])  # a list: converted by the checks
        assert np.isnan(out[0, 0]) and out[0, 1] == 2.0
        assert np.isinf(layer.backward(np.ones((1, 2)))).all()
    assert type(layer).forward.graphnn_checks is True   # what a Graph's fast path looks for
    assert type(layer).backward.graphnn_checks is True
    assert type(layer).forward.__wrapped__.__name__ == "forward"


def test_a_layer_with_the_decorators_refuses_bad_calls_by_name():
    layer = make_scale_layer()
    with pytest.raises(ValueError, match="ScaleLayer: backward called before forward"):
        layer.backward(np.ones((1, 2)))
    with pytest.raises(TypeError, match="ScaleLayer: forward takes one input array, got 2"):
        layer.forward(np.ones((1, 2)), np.ones((1, 2)))


def test_an_objective_with_checked_pair_runs_its_math_quietly():
    class Ratio(Objective):
        @checked_pair
        def eval(self, Y, Yhat):
            return float(np.sum(Y / Yhat))

        @checked_pair
        def gradient(self, Y, Yhat):
            return -Y / Yhat ** 2

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Ratio().eval([[1.0]], [[0.0]]) == np.inf
    assert Ratio.eval.graphnn_checks is True and Ratio.gradient.graphnn_checks is True
    with pytest.raises(ValueError, match="Ratio: Y .targets. and Yhat .estimates. must have one shape"):
        Ratio().gradient(np.ones((2, 1)), np.ones((1, 2)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jacobians_keep_the_inputs_dtype(dtype):
    X = np.arange(6, dtype=dtype).reshape(2, 3)
    state = InitialStateLayer(2, dtype=dtype)
    state.forward(X)
    assert state.gradient().dtype == dtype and state.gradient().shape == (2, 2, 3)
    piece = SliceLayer(1, 3)
    piece.forward(X)
    jacobian = piece.gradient()
    assert jacobian.dtype == dtype
    np.testing.assert_array_equal(jacobian[1], [[0, 1, 0], [0, 0, 1]])



# --- constructors: the smallest arguments work, bad ones are refused by layer and name -------

@pytest.mark.parametrize("make, message", [
    (lambda: BatchNormLayer(0), "BatchNormLayer: width must be a positive integer, got 0"),
    (lambda: BatchNormLayer(2, momentum=1.5), "BatchNormLayer: momentum must be a number in [0, 1]"),
    (lambda: BatchNormLayer(2, momentum=True), "BatchNormLayer: momentum must be a number in [0, 1]"),
    (lambda: BatchNormLayer(2, eps=True), "BatchNormLayer: eps must be a positive number, got True"),
    (lambda: InitialStateLayer(0), "InitialStateLayer: width must be a positive integer, got 0"),
    (lambda: BatchNormLayer(2, dtype=np.int64), "BatchNormLayer: dtype must be a floating type, got int64"),
    (lambda: InitialStateLayer(2, dtype=np.int64),
     "InitialStateLayer: dtype must be a floating type, got int64"),
    (lambda: DropoutLayer(0.5, seed=-1), "DropoutLayer: seed must be an integer >= 0, got -1"),
    (lambda: ConcatLayer(1), "ConcatLayer: n_inputs must be an integer >= 2, got 1"),
    (lambda: AddLayer(1), "AddLayer: n_inputs must be an integer >= 2, got 1"),
    (lambda: SliceLayer(2, 2), "SliceLayer: stop must be an integer >= 3, got 2"),
    (lambda: SliceLayer(-1, 2), "SliceLayer: start must be an integer >= 0, got -1"),
    (lambda: FullyConnectedLayer(0, 1), "FullyConnectedLayer: sizeIn must be a positive integer"),
    (lambda: ConvolutionalLayer(1, 1, 3, stride=0), "ConvolutionalLayer: stride"),
    (lambda: ConvolutionalLayer(1, 1, 3, padding=-1), "ConvolutionalLayer: padding"),
])
def test_bad_constructor_arguments_are_named(make, message):
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value).startswith(message)


def test_the_smallest_arguments_are_accepted():
    assert BatchNormLayer(1, momentum=0).momentum == 0.0   # momentum 0: the running stats stay
    assert BatchNormLayer(1, momentum=1).momentum == 1.0
    assert InitialStateLayer(1).width == 1
    assert DropoutLayer(0.0, seed=0).seed == 0
    assert ConcatLayer(2).n_inputs == 2 and SliceLayer(0, 1).stop == 1
    assert SliceLayer(3, 4).stop == 4


def test_parameters_are_named_as_saved_files_name_them():
    assert [p.name for p in InitialStateLayer(3).parameters()] == ["state"]
    assert [p.name for p in BatchNormLayer(3).parameters()] == ["scale", "shift"]
    assert [p.name for p in FullyConnectedLayer(2, 3).parameters()] == ["weights", "biases"]


def test_a_convolutions_parameters_are_named_as_saved_files_name_them():
    assert [p.name for p in ConvolutionalLayer(1, 2, 3).parameters()] == ["weights", "biases"]


def test_a_convolution_draws_its_parameters_on_both_sides_of_zero():
    layer = ConvolutionalLayer(2, 8, 3, seed=0)
    for values in (layer.getWeights(), layer.getBiases()):
        assert (values < 0).any() and (values > 0).any() and len(np.unique(values)) == values.size


def test_no_mode_has_run_before_the_first_forward():
    assert DropoutLayer(0.5).ran_in is None and BatchNormLayer(2).ran_in is None
    assert DropoutLayer(0.5).keep_mask is False  # a new mask at every forward, by default


def test_batch_norm_refuses_an_input_of_another_width_by_name():
    with pytest.raises(ValueError, match="BatchNormLayer 3: input must have 3 columns, got 4 x 2"):
        BatchNormLayer(3).forward(np.ones((4, 2)))


def test_multiply_layer_names_itself_and_its_second_input():
    layer = MultiplyLayer()
    assert layer.describe() == "MultiplyLayer"
    with pytest.raises(ValueError) as info:
        layer.forward(np.ones((2, 3)), np.ones((2, 2)))
    assert str(info.value).startswith("MultiplyLayer: input 1 (shaped like input 0) must be 2 x 3")


def test_slice_layer_says_how_many_columns_it_needs():
    with pytest.raises(ValueError) as info:
        SliceLayer(1, 4).forward(np.ones((5, 3)))
    assert str(info.value) == "SliceLayer [1:4]: input has 3 columns, needs at least 4 (got 5 x 3)"


def test_a_convolution_names_weights_it_cannot_read():
    layer = ConvolutionalLayer(1, 2, 3)
    with pytest.raises(ValueError) as info:
        layer.setWeights([[1.0], [1.0, 2.0]])  # ragged
    assert str(info.value).startswith(f"{layer.describe()}: weights could not be read as an array (")


def test_flattening_says_which_jacobian_is_too_big():
    layer = FlatteningLayer()
    layer.forward(np.zeros((1, 1, 60, 60)))  # D = 3600: 1 x 3600 x 3600 = 12,960,000 entries
    with pytest.raises(ValueError) as info:
        layer.gradient()
    assert str(info.value).startswith("FlatteningLayer: gradient() would be 1 x 3600 x 3600 = "
                                      "12,960,000 entries")


def test_batch_norm_keeps_its_arrays_in_its_dtype():
    layer = BatchNormLayer(2, dtype=np.float32)
    arrays = [layer.scale.value, layer.shift.value, layer.running_mean, layer.running_var]
    assert [a.dtype for a in arrays] == [np.float32] * 4
    np.testing.assert_array_equal(layer.scale.value, [[1, 1]])
    np.testing.assert_array_equal(layer.running_var, [[1, 1]])


def test_max_pool_describes_a_stride_that_is_not_its_size():
    assert MaxPoolLayer(2).describe() == "MaxPoolLayer 2x2"
    assert MaxPoolLayer(2, stride=1).describe() == "MaxPoolLayer 2x2 stride 1"
    assert MaxPoolLayer(2, stride=(1, 2)).describe() == "MaxPoolLayer 2x2 stride 1x2"


def test_max_pool_refuses_images_lower_or_narrower_than_its_window():
    for shape in [(1, 1, 2, 5), (1, 1, 5, 2)]:
        with pytest.raises(ValueError) as info:
            MaxPoolLayer(3).forward(np.ones(shape))
        assert str(info.value).startswith(
            f"MaxPoolLayer 3x3: input images of {shape[2]} x {shape[3]} pixels are smaller than "
            "the 3 x 3 window")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_jacobians_keep_the_dtype(dtype):
    layer = MaxPoolLayer(2)
    layer.forward(np.arange(16, dtype=dtype).reshape(1, 1, 4, 4))
    jacobian = layer.gradient()
    assert jacobian.dtype == dtype and jacobian.shape == (1, 4, 16)


def test_max_pool_says_which_jacobian_is_too_big():
    layer = MaxPoolLayer(2)
    layer.forward(np.zeros((1, 1, 120, 120)))  # 1 x 3600 x 14400 entries
    with pytest.raises(ValueError, match=r"^MaxPoolLayer 2x2: gradient\(\) would be 1 x 3600 x 14400 = "):
        layer.gradient()


def test_a_convolution_says_how_many_channels_it_wants():
    with pytest.raises(ValueError, match=r"input must have 1 channel \(N x 1 x H x W\), got 1 x 2 x 4 x 4"):
        ConvolutionalLayer(1, 1, 3).forward(np.ones((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"input must have 2 channels \(N x 2 x H x W\), got 1 x 1 x 4 x 4"):
        ConvolutionalLayer(2, 1, 3).forward(np.ones((1, 1, 4, 4)))


def test_a_convolution_refuses_images_narrower_than_its_kernel_once_padded():
    layer = ConvolutionalLayer(1, 1, 4, padding=1)
    with pytest.raises(ValueError, match="padded to 4 x 3, are smaller than the 4 x 4 kernel"):
        layer.forward(np.ones((1, 1, 2, 1)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_convolutions_jacobian_keeps_its_dtype(dtype):
    layer = ConvolutionalLayer(1, 2, 2, seed=0, dtype=dtype)
    layer.forward(np.ones((1, 1, 3, 3), dtype=dtype))
    jacobian = layer.gradient()
    assert jacobian.dtype == dtype and jacobian.shape == (8, 9)


def test_a_convolution_says_which_jacobian_is_too_big():
    layer = ConvolutionalLayer(1, 1, 1)
    layer.forward(np.zeros((1, 1, 60, 60)))  # 3600 outputs x 3600 inputs
    with pytest.raises(ValueError, match=r"gradient\(\) would be 3600 x 3600 = 12,960,000 entries"):
        layer.gradient()


def test_a_jacobian_of_exactly_the_limit_is_built():
    layer = FlatteningLayer()
    layer.forward(np.zeros((10, 1000)))  # 10 x 1000 x 1000 = JACOBIAN_LIMIT entries
    assert layer.gradient().shape == (10, 1000, 1000)


def test_input_layer_z_scores_three_d_data_channel_by_channel():
    X = np.array([[[0.0, 2.0]], [[2.0, 4.0]]])  # N x C x L = 2 x 1 x 2: one channel, 4 values
    layer = InputLayer(X)
    assert layer.describe() == "InputLayer 1 x 2"
    std = np.std([0.0, 2.0, 2.0, 4.0], ddof=1)
    np.testing.assert_allclose(layer.forward(X)[:, 0, :], [[-2 / std, 0.0], [0.0, 2 / std]])


@pytest.mark.parametrize("n", [5, 3000], ids=["1/N on G", "1/N on the results"])
def test_fully_connected_parameter_gradients_are_column_means_for_any_batch(n):
    # FullyConnectedLayer puts the 1/N where it costs less: on G for small batches, on the two
    # results for large ones (N sizeOut > (sizeIn + 1) sizeOut + 2048); both must be the means
    rng = np.random.default_rng(3)
    layer = FullyConnectedLayer(3, 2, seed=0)
    X, G = rng.normal(size=(n, 3)), rng.normal(size=(n, 2))
    layer.forward(X)
    layer.backward(G)
    assert layer.weights.grad.shape == (3, 2) and layer.biases.grad.shape == (1, 2)
    np.testing.assert_allclose(layer.weights.grad, X.T @ G / n, rtol=1e-12, atol=0)
    np.testing.assert_allclose(layer.biases.grad, G.mean(axis=0, keepdims=True), rtol=1e-12, atol=0)
    layer.backward(G)  # a second backward adds to the gradients
    np.testing.assert_allclose(layer.biases.grad, 2 * G.mean(axis=0, keepdims=True), rtol=1e-12, atol=0)
