"""The grading kit on image layers (issue 26, "Graded"): ``check_layer`` on a student's
``ConvolutionalLayer``, ``MaxPoolLayer`` and ``FlatteningLayer`` as students write them
(tests/students/image_corpus.py): ``N x C x H x W`` images, the course's single-channel
``N x H x W`` version with one 2-D kernel, kernels behind ``setKernel`` or in ``self.weights``,
``updateKernel``, a stride; every right one passes with the plain call, every wrong one fails
the check its tag names with the words its tag gives. graphnn's own image layers pass too,
and the kit's generic support for values of any rank is checked on small classes of its own."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import graphnn as gn
from graphnn.grading import images
from graphnn.grading.checks import check_layer
from graphnn.grading.images import IMAGE_SHAPE, tie_routes
from graphnn.grading.inputs import numeric_jacobians, show_input

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("image_corpus", HERE / "students" / "image_corpus.py")
corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus)

IDS = [f"{make.__mro__[1].__name__}-{tag}".replace(" ", "-") for make, tag, _ in corpus.IMAGE_CORPUS]


@pytest.mark.parametrize("make, tag, message", corpus.IMAGE_CORPUS, ids=IDS)
def test_each_student_image_layer_gets_its_verdict(make, tag, message):
    report = check_layer(make)
    if tag == "right":
        assert report.passed, str(report)
        assert report["same values as graphnn"].numbers.startswith("forward, backward vs graphnn's "), str(report)
    else:
        assert report.failed == [tag], str(report)
        row = report[tag]
        assert message in row.numbers + " " + row.hint, str(report)


def test_the_corpus_has_right_and_wrong_classes_of_each_kind():
    names = {(make.__name__, tag == "right") for make, tag, _ in corpus.IMAGE_CORPUS}
    for name in ("ConvolutionalLayer", "MaxPoolLayer", "FlatteningLayer"):
        assert (name, True) in names and (name, False) in names


def by_tag(name, tag):
    return next(make for make, t, _ in corpus.IMAGE_CORPUS if make.__name__ == name and t == tag)


def test_the_single_channel_version_is_checked_on_n_by_h_by_w_images_through_an_adapter():
    single = corpus.IMAGE_CORPUS[0][0]
    report = check_layer(single)
    assert report.passed, str(report)
    assert report["forward shapes"].numbers == "1 x 6 x 5 -> 1 x 4 x 3, 3 x 6 x 5 -> 3 x 4 x 3"
    assert report["same values as graphnn"].numbers.startswith("forward, backward vs graphnn's ConvolutionalLayer")
    assert report["parameter gradients"].numbers.startswith(
        "weights (getKernel/setKernel) (gradients as means, updateKernel(gradIn, eta))")
    assert report["gradient() vs central differences"].numbers == (
        "not checked: ConvolutionalLayer.gradient() raised NotImplementedError, not a Jacobian of one observation's "
        "flattened output; an image layer's backward is checked against central differences instead")


def test_one_2d_kernel_over_images_with_a_channel_axis_is_checked_as_such():
    single = corpus.IMAGE_CORPUS[0][0]

    class ConvolutionalLayer(single):
        def forward(self, dataIn):
            return super().forward(dataIn[:, 0])[:, None]

        def backward(self, gradIn):
            return super().backward(gradIn[:, 0])[:, None]

        def updateKernel(self, gradIn, eta):
            super().updateKernel(gradIn[:, 0], eta)

    report = check_layer(ConvolutionalLayer)
    assert report.passed, str(report)
    assert report["forward shapes"].numbers == "1 x 1 x 6 x 5 -> 1 x 1 x 4 x 3, 3 x 1 x 6 x 5 -> 3 x 1 x 4 x 3"


def test_the_flipped_kernel_is_named_with_the_rule_to_follow():
    report = check_layer(by_tag("ConvolutionalLayer", "same values as graphnn"))
    row = report["same values as graphnn"]
    assert row.numbers == "N = 1: forward differs from graphnn's ConvolutionalLayer"
    assert row.hint == ("forward is a convolution (the kernel flipped): the layer computes the cross-correlation "
                        "Y[i, j] = sum over a, b of K[a, b] X[i + a, j + b], with the kernel as it is (PyTorch's "
                        "conv2d, graphnn's ConvolutionalLayer); drop the flip (np.flip, [::-1, ::-1])")
    assert row.failing_input.startswith("1 x 2 x 6 x 5, first image first channel [[")
    # self-consistent: every gradient check passes, only the values show it
    assert report["backward vs central differences"].passed and report["parameter gradients"].passed


def test_a_kernel_gradient_summed_beside_averaged_biases_is_a_missing_one_over_n():
    report = check_layer(by_tag("ConvolutionalLayer", "parameter gradients"))
    assert report["parameter gradients"].numbers == (
        "N = 3: the gradient of weights (attribute weights) is the sum over the N observations (3 times the "
        "mean's), that of biases the mean: is the 1/N missing from weights?")


def test_pooling_that_feeds_every_tied_maximum_is_named():
    row = check_layer(by_tag("MaxPoolLayer", "same values as graphnn"))["same values as graphnn"]
    assert row.numbers.startswith("at tied maxima (") and row.numbers.endswith(
        "of the windows tie): backward sends a window's gradient to every tied maximum")
    assert row.hint.startswith("send it to one entry of the window (the first, np.argmax, as PyTorch and graphnn do)")


def test_the_right_pooling_says_where_tied_gradients_go():
    row = check_layer(by_tag("MaxPoolLayer", "right"))["same values as graphnn"]
    assert row.numbers.endswith("windows) the gradient goes to the first one")


def test_pooling_to_the_last_tied_maximum_is_accepted():
    class LastMax(corpus.PoolingBase):
        def route(self, grad, window, g):
            flat = window.reshape(-1)
            grad[np.unravel_index(flat.size - 1 - np.argmax(flat[::-1]), window.shape)] += g

    LastMax.__name__ = "MaxPoolLayer"
    report = check_layer(LastMax)
    assert report.passed, str(report)
    assert report["same values as graphnn"].numbers.endswith("windows) the gradient goes to the last one")


def test_pooling_that_keeps_its_size_as_a_0_d_array_is_checked():
    """``self.size = np.array(2)``, as a student who reads a config with numpy writes it:
    read as the window 2 x 2, not a ``TypeError`` out of the kit."""
    class ZeroDimensional(by_tag("MaxPoolLayer", "right")):
        def __init__(self, size, stride):
            super().__init__(np.array(size), np.array(stride))

    ZeroDimensional.__name__ = "MaxPoolLayer"
    report = check_layer(ZeroDimensional)
    assert report.passed, str(report)
    assert images.hyperparameter(ZeroDimensional(2, 2), ("size",)) == (2, 2)


def test_flattening_in_fortran_order_is_named():
    row = check_layer(by_tag("FlatteningLayer", "same values as graphnn"))["same values as graphnn"]
    assert row.hint == ("forward flattens in Fortran (column-major) order: flatten in C order, X.reshape(N, -1), as "
                        "graphnn's FlatteningLayer, PyTorch's flatten and the next layer's weights expect")


@pytest.mark.parametrize("make", [
    gn.ConvolutionalLayer, lambda: gn.ConvolutionalLayer(2, 3, (3, 2), stride=(2, 1), padding=(1, 0), seed=0),
    gn.MaxPoolLayer, lambda: gn.MaxPoolLayer((3, 2), stride=1), gn.FlatteningLayer,
], ids=["conv", "conv-stride-padding", "pool", "pool-overlapping", "flatten"])
def test_graphnns_image_layers_pass_even_strictly(make):
    report = check_layer(make, strict=True)
    assert report.passed, str(report)
    assert report["same values as graphnn"].numbers.startswith("forward, backward vs graphnn's ")


def test_graphnns_convolution_reads_its_channels_and_gradient():
    report = check_layer(lambda: gn.ConvolutionalLayer(3, 2, 3, seed=0))
    assert report["forward shapes"].numbers.startswith("1 x 3 x 6 x 5 -> 1 x 2 x 4 x 3")
    assert report.conventions == {"gradient()": "K x D"}


def test_a_student_flattening_with_a_flattened_identity_jacobian_is_read():
    class FlatteningLayer(corpus.IMAGE_CORPUS[-2][0]):
        def gradient(self):
            size = int(np.prod(self.shape[1:]))
            return np.broadcast_to(np.eye(size), (self.shape[0], size, size))

    report = check_layer(FlatteningLayer)
    assert report.passed and report.conventions == {"gradient()": "N x K x D"}, str(report)


def test_an_image_shape_can_be_given_and_is_checked():
    report = check_layer(gn.MaxPoolLayer, input_shape=(1, 4, 6))
    assert report["forward shapes"].numbers == "1 x 1 x 4 x 6 -> 1 x 1 x 2 x 3, 3 x 1 x 4 x 6 -> 3 x 1 x 2 x 3"
    for bad in ((0, 4, 4), "2x4x4", 3, (2.0, 4, 4)):
        with pytest.raises(ValueError, match=r"^check_layer: input_shape is .*give one observation's shape"):
            check_layer(gn.MaxPoolLayer, input_shape=bad)


def test_a_layer_taking_neither_image_shape_is_refused_saying_how_to_give_one():
    class ConvolutionalLayer:
        def forward(self, X):
            raise RuntimeError("not written yet")

        def gradient(self):
            return None

        def backward(self, gradIn):
            return gradIn

    with pytest.raises(ValueError, match=r"took neither images N x C x H x W nor N x H x W \(2 x 2 x 6 x 4: "
                                         r"RuntimeError: not written yet; 2 x 6 x 4: RuntimeError: not written yet\); "
                                         r"pass check_layer\(\.\.\., input_shape=\(C, H, W\)\)"):
        check_layer(ConvolutionalLayer)


def test_an_image_class_with_arguments_the_kit_cannot_guess_is_told_which():
    class ConvolutionalLayer(corpus.ChannelsConv):
        def __init__(self, in_channels, out_channels, kernel_size, activation):
            super().__init__(in_channels, out_channels, kernel_size)

    with pytest.raises(TypeError, match=r"cannot guess: activation \(it fills in_channels-, out_channels-, "
                                        r"kernel_size-, size-, stride- and padding-like names\)\. Pass a factory: "
                                        r"check_layer\(lambda: ConvolutionalLayer\(2, 3, 3, activation=\.\.\.\)\)"):
        check_layer(ConvolutionalLayer)


def test_an_image_layer_in_float32_is_told_its_dtype():
    class Flatten32(corpus.IMAGE_CORPUS[-2][0]):
        def forward(self, dataIn):
            return super().forward(dataIn).astype(np.float32)

    Flatten32.__name__ = "FlatteningLayer"
    report = check_layer(Flatten32)
    assert report.notes[0].startswith("forward returns float32; the checks compare in float64")


# ---------------------------------------------------------------- the generic pieces

def test_numeric_jacobians_of_images_are_flattened_per_observation():
    x = np.random.default_rng(0).normal(size=(2, 1, 2, 3))
    jac = numeric_jacobians(lambda v: 2 * v.reshape(len(v), -1), [x], 0)
    assert jac.shape == (2, 6, 6)
    assert np.allclose(jac, 2 * np.eye(6), atol=1e-8)


def test_tie_routes():
    x = np.array([[[[1.0, 1.0], [0.0, 1.0]]]])
    G = np.array([[[[3.0]]]])
    routes, tied = tie_routes(x, G, (2, 2), (2, 2))
    assert tied == 1
    assert routes["first"][0, 0].tolist() == [[3, 0], [0, 0]]
    assert routes["last"][0, 0].tolist() == [[0, 0], [0, 3]]
    assert routes["every"][0, 0].tolist() == [[3, 3], [0, 3]]


def test_show_input_of_an_image():
    x = np.arange(8.0).reshape(1, 2, 2, 2)
    assert show_input(x) == "1 x 2 x 2 x 2, first image first channel [[0. 1.] [2. 3.]]"
    assert show_input(x[:, 0]) == "1 x 2 x 2, first image [[0. 1.] [2. 3.]]"


def test_is_image_layer():
    assert images.is_image_layer(gn.MaxPoolLayer(2), "MaxPoolLayer")
    assert images.is_image_layer(object(), "MyConv")
    assert not images.is_image_layer(gn.TanhLayer(), "TanhLayer")
    assert IMAGE_SHAPE == (2, 6, 4)


def test_values_of_any_rank_from_make_inputs():
    class Square:
        """An element-wise layer on values of any rank."""

        def forward(self, X):
            self.X = X
            return X ** 2

        def gradient(self):
            return 2 * self.X.reshape(len(self.X), -1)

        def backward(self, gradIn):
            return gradIn * 2 * self.X

    report = check_layer(Square, make_inputs=lambda rng, n: rng.normal(size=(n, 2, 3)) + 3)
    assert report.passed, str(report)
    assert report["forward shapes"].numbers == "1 x 2 x 3 -> 1 x 2 x 3, 3 x 2 x 3 -> 3 x 2 x 3"
    assert report.conventions == {"gradient()": "N x D"}
