"""The grading kit on image layers (``grading/images.py``), value by value: the shapes it
tries, the hyperparameters it reads, graphnn's layer it builds to compare with, the mistakes it
names (a flipped kernel, Fortran-order flattening, the gradient sent to every tied maximum) and
the numbers of its rows. Students' classes from tests/students/image_corpus.py and small ones
written here as students write them."""
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import graphnn as gn
from graphnn.grading import images
from graphnn.grading.checks import check_layer
from graphnn.grading.report import CheckFailure

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("image_corpus_kills", HERE / "students" / "image_corpus.py")
corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus)

SINGLE = corpus.IMAGE_CORPUS[0][0]    # one 2-D kernel over N x H x W images
CHANNELS = corpus.IMAGE_CORPUS[1][0]  # N x C x H x W, kernels O x C x kh x kw, a stride


def context(name, make=None, shapes=((2, 6, 4),), reference=None):
    return SimpleNamespace(name=name, make=make, shapes=shapes, reference=reference)


def test_the_kind_of_an_image_layer_is_read_from_its_name():
    assert images._kind("ConvolutionalLayer") == "conv"
    assert images._kind("MyMaxPOOL") == "pool"
    assert images._kind("Flattening") == "flatten"
    assert images._kind("PoolConv") == "pool"  # the first word found
    assert images._kind("Dense") is None


def test_an_image_layer_is_known_by_input_ndim_name_or_kernel():
    assert images.is_image_layer(SimpleNamespace(input_ndim=4), "Anything")
    assert images.is_image_layer(object(), "MaxPoolLayer")
    assert not images.is_image_layer(object(), "Dense")
    assert not images.is_image_layer(SimpleNamespace(input_ndim=2), "Dense")
    assert images.is_image_layer(SimpleNamespace(weights=np.ones((3, 2, 3, 3))), "Filter")
    assert not images.is_image_layer(SimpleNamespace(weights=np.ones((2, 3))), "Filter")
    assert not images.is_image_layer(SimpleNamespace(biases=np.ones((3, 2, 3))), "Filter")
    assert not images.is_image_layer(SimpleNamespace(weights=np.ones((2, 3, 3))), "Filter")


def test_checked_shape():
    assert images.checked_shape([2, 6, 4]) == (2, 6, 4)
    assert images.checked_shape((np.int64(6), 1)) == (6, 1)
    assert type(images.checked_shape((np.int64(6), 1))[0]) is int
    for bad in ((), (2, 0, 4), (2, -1), (True, 3), (2.0, 3), "264", None, 6, (2, None)):
        with pytest.raises(ValueError) as err:
            images.checked_shape(bad)
        assert str(err.value) == (f"check_layer: input_shape is {bad!r}; give one observation's shape, (C, H, W) or "
                                  "(H, W), in positive integers")


def test_hyperparameters_are_read_as_pairs():
    names = ("size", "pool_size", "p")
    assert images.hyperparameter(SimpleNamespace(size=3), names) == (3, 3)
    assert images.hyperparameter(SimpleNamespace(size=(2, 3)), names) == (2, 3)
    assert images.hyperparameter(SimpleNamespace(size=[np.int64(2), 1]), names) == (2, 1)
    assert type(images.hyperparameter(SimpleNamespace(size=[np.int64(2), 1]), names)[0]) is int
    assert images.hyperparameter(SimpleNamespace(size=np.array([4, 5])), names) == (4, 5)
    assert images.hyperparameter(SimpleNamespace(size=np.int32(2)), names) == (2, 2)
    assert images.hyperparameter(SimpleNamespace(size=np.array(2)), names) == (2, 2)  # 0-d: no len()
    assert images.hyperparameter(SimpleNamespace(size=np.array(2.0), p=3), names) == (3, 3)
    # what is no int or pair of ints is passed over for the next name
    assert images.hyperparameter(SimpleNamespace(size=True, p=2), names) == (2, 2)
    assert images.hyperparameter(SimpleNamespace(size=2.0, p=3), names) == (3, 3)
    assert images.hyperparameter(SimpleNamespace(size=(2, 3, 4), pool_size=(1, 2)), names) == (1, 2)
    assert images.hyperparameter(SimpleNamespace(size=(2.0, 3), p=5), names) == (5, 5)
    assert images.hyperparameter(SimpleNamespace(size="22"), names) is None
    assert images.hyperparameter(SimpleNamespace(), names, (1, 1)) == (1, 1)
    assert images.hyperparameter(SimpleNamespace(stride=None), ("stride",), (7, 7)) == (7, 7)


def test_the_observation_shape_fits_the_kernel_the_window_and_the_channels():
    assert images.observation_shape(SINGLE(3), context("ConvolutionalLayer", lambda: SINGLE(3))) == (6, 5)
    assert images.observation_shape(SINGLE(2), context("ConvolutionalLayer", lambda: SINGLE(2))) == (6, 4)
    assert images.observation_shape(CHANNELS(2, 3, 3), context("ConvolutionalLayer", lambda: CHANNELS(2, 3, 3))) == \
        (2, 6, 5)
    strided = lambda: CHANNELS(3, 3, 3, 2)  # noqa: E731
    assert images.observation_shape(strided(), context("ConvolutionalLayer", strided)) == (3, 7, 7)

    class PoolLayer(corpus.PoolingBase):
        def route(self, grad, window, g):
            grad[np.unravel_index(np.argmax(window), window.shape)] += g

    assert images.observation_shape(PoolLayer(3, 3), context("MaxPoolLayer", lambda: PoolLayer(3, 3))) == (2, 9, 9)
    assert images.observation_shape(PoolLayer(2, 1), context("MaxPoolLayer", lambda: PoolLayer(2, 1))) == (2, 6, 4)
    assert images.observation_shape(PoolLayer(1, 3), context("MaxPoolLayer", lambda: PoolLayer(1, 3))) == (2, 7, 7)
    # a window read only for a pooling layer: elsewhere 2 x 2
    assert images.observation_shape(PoolLayer(3, 1), context("Flattening", lambda: PoolLayer(3, 1))) == (2, 6, 4)


def test_the_observation_shape_takes_the_channels_a_layer_names():
    class Flat:
        def __init__(self, **given):
            self.__dict__.update(given)

        def forward(self, x):
            if x.ndim == 4 and x.shape[1] != getattr(self, "wanted", x.shape[1]):
                raise ValueError("wrong channels")
            return x.reshape(len(x), -1)

    for given, channels in (({"in_channels": 5}, 5), ({"channels": 1}, 1), ({"C_in": 3, "channels": 1}, 3),
                            ({"in_channels": 0}, 2), ({"in_channels": 2.0}, 2), ({}, 2),
                            ({"in_channels": np.array(4)}, 4), ({"in_channels": True, "channels": 3}, 3)):
        make = lambda given=given: Flat(**given)  # noqa: E731
        assert images.observation_shape(make(), context("Flattening", make)) == (channels, 6, 4)


def test_the_observation_shape_falls_back_to_single_channel_images():
    class Single:
        def forward(self, x):
            if x.ndim != 3:
                raise ValueError("N x H x W only")
            return x.reshape(len(x), -1)

    assert images.observation_shape(Single(), context("FlatteningLayer", Single)) == (6, 4)

    class OneKernelWithAxis:
        kernel = np.ones((2, 2))

        def forward(self, x):
            if x.ndim != 4:
                raise ValueError("N x 1 x H x W only")
            return x[:, :, 1:, 1:]

    assert images.observation_shape(OneKernelWithAxis(), context("ConvLayer", OneKernelWithAxis)) == (1, 6, 4)

    class Batchless:
        def forward(self, x):
            return x[:1]

    with pytest.raises(ValueError) as err:
        images.observation_shape(Batchless(), context("FlatteningLayer", Batchless))
    assert str(err.value) == ("check_layer: FlatteningLayer took neither images N x C x H x W nor N x H x W (2 x 2 x 6 "
                              "x 4: forward returned (1, 2, 6, 4); 2 x 6 x 4: forward returned (1, 6, 4)); pass "
                              "check_layer(..., input_shape=(C, H, W))")

    class Vector:
        def forward(self, x):
            return np.ones(2)

    with pytest.raises(ValueError, match=r"\(2 x 2 x 6 x 4: forward returned \(2,\); 2 x 6 x 4: forward returned \(2,\)\)"):
        images.observation_shape(Vector(), context("FlatteningLayer", Vector))

    class Listed:
        def forward(self, x):
            return [[1.0]] * 2

    with pytest.raises(ValueError, match=r"\(2 x 2 x 6 x 4: forward returned list; 2 x 6 x 4: forward returned list\)"):
        images.observation_shape(Listed(), context("FlatteningLayer", Listed))

    class Refuses:
        def forward(self, x):
            raise TypeError("no " + "x" * 100)

    with pytest.raises(ValueError) as err:
        images.observation_shape(Refuses(), context("FlatteningLayer", Refuses))
    words = "TypeError: no " + "x" * 77
    assert f"(2 x 2 x 6 x 4: {words}; 2 x 6 x 4: {words})" in str(err.value)


def test_the_reference_layer_takes_the_students_kernels_biases_stride_and_padding():
    student = CHANNELS(2, 3, 3, 2)
    student.padding = 1
    reference = images.reference_layer(context("ConvolutionalLayer", reference=gn.ConvolutionalLayer), student)
    assert isinstance(reference, gn.ConvolutionalLayer)
    assert np.array_equal(reference.getWeights(), student.weights)
    assert np.array_equal(reference.getBiases().reshape(-1), student.biases)
    x = np.random.default_rng(0).standard_normal((2, 2, 7, 7))
    expected = gn.ConvolutionalLayer(2, 3, 3, stride=2, padding=1)
    expected.setWeights(student.weights)
    expected.setBiases(student.biases)
    assert np.allclose(reference.forward(x), expected.forward(x))
    assert reference.forward(x).shape == (2, 3, 4, 4)


def test_the_reference_layer_of_one_kernel_and_one_bias():
    class Conv:
        def __init__(self, kernel, bias=None):
            self.kernel = kernel
            if bias is not None:
                self.bias = bias

    x = np.random.default_rng(1).standard_normal((1, 1, 5, 5))
    one = images.reference_layer(context("Conv", shapes=((5, 5),), reference=gn.ConvolutionalLayer),
                                 Conv(np.arange(4.0).reshape(2, 2), np.array([0.5])))
    assert one.getWeights().shape == (1, 1, 2, 2) and np.allclose(one.getBiases(), 0.5)
    three = images.reference_layer(context("Conv", shapes=((5, 5),), reference=gn.ConvolutionalLayer),
                                   Conv(np.ones((3, 2, 2)), np.array([[2.0]])))
    assert three.getWeights().shape == (3, 1, 2, 2) and np.allclose(three.getBiases(), [2.0, 2.0, 2.0])
    assert np.allclose(three.forward(x)[0, 2], x[0, 0, :-1, :-1] + x[0, 0, 1:, :-1] + x[0, 0, :-1, 1:] + x[0, 0, 1:, 1:]
                       + 2.0)
    zero_d = images.reference_layer(context("Conv", shapes=((5, 5),), reference=gn.ConvolutionalLayer),
                                    Conv(np.ones((2, 2)), np.array(2.0)))  # a 0-D bias is no bias
    assert np.array_equal(zero_d.getBiases().reshape(-1), [0.0])
    no_bias = images.reference_layer(context("Conv", shapes=((1, 5, 5),), reference=gn.ConvolutionalLayer),
                                     Conv(np.ones((2, 1, 3, 3))))
    assert np.array_equal(no_bias.getBiases().reshape(-1), [0.0, 0.0])
    with pytest.raises(CheckFailure) as err:
        images.reference_layer(context("Conv", shapes=((2, 5, 5),), reference=gn.ConvolutionalLayer),
                               Conv(np.ones((3, 2, 2))))
    assert err.value.numbers == ("kernels shaped (3, 2, 2): the kit reads O x C x kh x kw (or kh x kw for one kernel "
                                 "over single-channel images)")
    with pytest.raises(CheckFailure) as err:
        images.reference_layer(context("Conv", shapes=((2, 5, 5),), reference=gn.ConvolutionalLayer),
                               Conv(np.ones((3, 1, 2, 2))))
    assert err.value.numbers.startswith("kernels shaped (3, 1, 2, 2): ")
    with pytest.raises(CheckFailure) as err:
        images.reference_layer(context("Conv", shapes=((5, 5),), reference=gn.ConvolutionalLayer),
                               Conv(np.ones((3, 2, 2, 2))))
    assert err.value.numbers.startswith("kernels shaped (3, 2, 2, 2): ")
    with pytest.raises(CheckFailure) as err:
        images.reference_layer(context("Conv", reference=gn.ConvolutionalLayer), object())
    assert err.value.numbers == "no kernels found (getWeights/getKernel, or an attribute weights, kernel, K)"


def test_the_reference_layer_of_a_pooling_and_a_flattening():
    class Pool:
        def __init__(self, **given):
            self.__dict__.update(given)

    pool = images.reference_layer(context("MaxPool", reference=gn.MaxPoolLayer), Pool(pool_size=3))
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    assert np.array_equal(pool.forward(x), gn.MaxPoolLayer(3).forward(x))
    strided = images.reference_layer(context("MaxPool", reference=gn.MaxPoolLayer), Pool(size=(2, 2), stride=1))
    assert strided.forward(x).shape == (1, 1, 5, 5)
    with pytest.raises(CheckFailure) as err:
        images.reference_layer(context("MaxPool", reference=gn.MaxPoolLayer), Pool(width=2))
    assert err.value.numbers == "no pooling size found (an attribute size, pool_size, poolSize, kernel_size)"
    assert isinstance(images.reference_layer(context("Flatten", reference=gn.FlatteningLayer), Pool()),
                      gn.FlatteningLayer)
    made = images.reference_layer(context("Conv", reference=lambda: "made"), Pool())
    assert made == "made"


def test_channels_are_added_and_dropped_for_single_channel_images():
    single, channels = context("Conv", shapes=((6, 4),)), context("Conv", shapes=((2, 6, 4),))
    x = np.zeros((3, 6, 4))
    assert images._as_images(single, x).shape == (3, 1, 6, 4)
    assert images._as_images(channels, x) is x
    y = np.zeros((3, 1, 4, 2))
    assert images._from_images(single, y, np.zeros((3, 4, 2))).shape == (3, 4, 2)
    assert images._from_images(single, y, np.zeros((3, 1, 4, 2))) is y
    assert images._from_images(channels, y, np.zeros((3, 4, 2))) is y
    flat = np.zeros((3, 8))
    assert images._from_images(single, flat, np.zeros((3, 4, 2))) is flat


def test_the_flattening_hints():
    x = np.random.default_rng(2).standard_normal((3, 2, 6, 4))
    fortran = x.reshape(3, -1, order="F")
    assert images._forward_hint(context("FlatteningLayer"), None, x, fortran, None) == (
        "forward flattens in Fortran (column-major) order: flatten in C order, X.reshape(N, -1), as graphnn's "
        "FlatteningLayer, PyTorch's flatten and the next layer's weights expect")
    assert images._forward_hint(context("FlatteningLayer"), None, x, x.reshape(3, -1), None) == ""
    assert images._forward_hint(context("FlatteningLayer"), None, x, fortran[:, :-1], None) == ""
    assert images._forward_hint(context("FlatteningLayer"), None, x, fortran.reshape(3, 2, -1), None) == ""
    assert images._forward_hint(context("MaxPoolLayer"), None, x, fortran, None) == ""
    assert images._forward_hint(context("Dense"), None, x, fortran, None) == ""


def test_the_flipped_kernel_hint():
    student = CHANNELS(2, 3, 3)
    ctx = context("ConvolutionalLayer", reference=gn.ConvolutionalLayer)
    reference = images.reference_layer(ctx, student)
    x = np.random.default_rng(3).standard_normal((2, 2, 6, 5))
    flipped = gn.ConvolutionalLayer(2, 3, 3)
    flipped.setWeights(student.weights[:, :, ::-1, ::-1].copy())
    flipped.setBiases(student.biases)
    assert images._forward_hint(ctx, student, x, flipped.forward(x), reference).startswith(
        "forward is a convolution (the kernel flipped): ")
    assert images._forward_hint(ctx, student, x, flipped.forward(x) + 1e-6, reference) == ""
    assert images._forward_hint(ctx, student, x, reference.forward(x) * 2, reference) == ""
    assert images._forward_hint(ctx, student, x, flipped.forward(x)[:, :2], reference) == ""
    assert images._forward_hint(ctx, student, x, flipped.forward(x), object()) == ""
    single = SINGLE(2)
    single.kernel = np.array([[1.0, 2.0], [3.0, 5.0]])
    ctx1 = context("ConvolutionalLayer", shapes=((6, 4),), reference=gn.ConvolutionalLayer)
    x1 = np.random.default_rng(4).standard_normal((2, 6, 4))
    expected = np.array([corpus.cross_correlate(image, single.kernel[::-1, ::-1]) for image in x1])
    assert images._forward_hint(ctx1, single, x1, expected, images.reference_layer(ctx1, single)).startswith(
        "forward is a convolution (the kernel flipped): ")


FLIPPED = ("forward is a convolution (the kernel flipped): the layer computes the cross-correlation Y[i, j] = sum over "
           "a, b of K[a, b] X[i + a, j + b], with the kernel as it is (PyTorch's conv2d, graphnn's ConvolutionalLayer); "
           "drop the flip (np.flip, [::-1, ::-1])")


def by_tag(name, tag):
    return next(make for make, t, _ in corpus.IMAGE_CORPUS if make.__name__ == name and t == tag)


def test_a_flipped_kernel_is_named_with_its_input():
    row = check_layer(by_tag("ConvolutionalLayer", "same values as graphnn"))["same values as graphnn"]
    assert (row.passed, row.numbers, row.hint) == (False, "N = 1: forward differs from graphnn's ConvolutionalLayer",
                                                   FLIPPED)
    assert row.failing_input.startswith("1 x 2 x 6 x 5, first image first channel [[")


def test_fortran_flattening_is_named_with_its_input():
    row = check_layer(by_tag("FlatteningLayer", "same values as graphnn"))["same values as graphnn"]
    assert (row.passed, row.numbers) == (False, "N = 1: forward differs from graphnn's FlatteningLayer")
    assert row.hint.startswith("forward flattens in Fortran (column-major) order: ")
    assert row.failing_input.startswith("1 x 2 x 6 x 4, first image first channel [[")


def test_a_wrong_image_layer_without_a_named_mistake_gets_the_comparison():
    class FlatteningLayer(corpus.IMAGE_CORPUS[-2][0]):
        def forward(self, dataIn):
            return super().forward(dataIn) * 2

    row = check_layer(FlatteningLayer)["same values as graphnn"]
    assert not row.passed
    assert row.numbers.startswith("N = 1: forward vs graphnn's FlatteningLayer: relative error 5.00e-01 > 1e-08; ")
    assert row.failing_input.startswith("1 x 2 x 6 x 4, first image first channel [[")

    class Backward(corpus.IMAGE_CORPUS[-2][0]):
        __name__ = "FlatteningLayer"

        def backward(self, gradIn):
            return super().backward(gradIn) * 3

    Backward.__name__ = "FlatteningLayer"
    row = check_layer(Backward)["same values as graphnn"]
    assert row.numbers.startswith("N = 1: backward vs graphnn's FlatteningLayer: relative error 6.67e-01 > 1e-08; ")
    assert row.hint == ("backward is about 3 times graphnn's FlatteningLayer everywhere: is a factor of the local "
                        "derivative missing?")


def test_a_tiny_difference_passes_within_the_image_tolerance():
    assert images.IMAGE_TOLERANCE == 1e-8 and images.IMAGE_SIZES == (1, 3) and images.IMAGE_SHAPE == (2, 6, 4)

    class FlatteningLayer(corpus.IMAGE_CORPUS[-2][0]):
        def forward(self, dataIn):
            return super().forward(dataIn) * (1 + 1e-10)

    row = check_layer(FlatteningLayer)["same values as graphnn"]
    assert row.passed, row
    assert row.numbers == "forward, backward vs graphnn's FlatteningLayer, N = 1, 3: worst relative error 1.0e-10"


# ---------------------------------------------------------------- max pooling at tied maxima


def test_tie_routes_of_one_window():
    x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])
    routes, tied = images.tie_routes(x, np.array([[[[2.0]]]]), (2, 2), (2, 2))
    assert tied == 1
    assert np.array_equal(routes["first"], [[[[0.0, 2.0], [0.0, 0.0]]]])
    assert np.array_equal(routes["last"], [[[[0.0, 0.0], [2.0, 0.0]]]])
    assert np.array_equal(routes["every"], [[[[0.0, 2.0], [2.0, 0.0]]]])


def test_tie_routes_count_every_tied_window_of_every_image_and_channel():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 2, size=(2, 3, 4, 6)).astype(float)
    G = rng.standard_normal((2, 3, 2, 3))
    routes, tied = images.tie_routes(x, G, (2, 2), (2, 2))
    windows = x.reshape(2, 3, 2, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 2, 3, 4)
    assert tied == int(((windows == windows.max(axis=-1, keepdims=True)).sum(axis=-1) > 1).sum())
    assert 1 < tied < 36
    reference = gn.MaxPoolLayer(2)
    reference.forward(x)
    assert np.allclose(routes["first"], reference.backward(G))
    for name in ("first", "last", "every"):
        assert routes[name].shape == x.shape
    # each window's gradient, summed over the window, is G (first, last) or G times its ties (every)
    assert np.allclose(routes["last"].reshape(2, 3, 2, 2, 3, 2).sum(axis=(3, 5)), G)
    top = windows == windows.max(axis=-1, keepdims=True)
    assert np.allclose(routes["every"].reshape(2, 3, 2, 2, 3, 2).sum(axis=(3, 5)), G * top.sum(axis=-1))


def test_tie_routes_with_overlapping_and_uneven_windows():
    x = np.array([[[[1.0, 1.0, 1.0]]]])
    routes, tied = images.tie_routes(x, np.array([[[[1.0, 10.0]]]]), (1, 2), (1, 1))
    assert tied == 2
    assert np.array_equal(routes["first"], [[[[1.0, 10.0, 0.0]]]])
    assert np.array_equal(routes["last"], [[[[0.0, 1.0, 10.0]]]])
    assert np.array_equal(routes["every"], [[[[1.0, 11.0, 10.0]]]])
    x = np.arange(10.0).reshape(1, 1, 2, 5)
    routes, tied = images.tie_routes(x, np.ones((1, 1, 1, 2)), (2, 2), (1, 3))
    assert tied == 0
    assert np.array_equal(routes["first"], [[[[0, 0, 0, 0, 0], [0, 1, 0, 0, 1]]]])


class Pooling(corpus.PoolingBase):
    """A max pooling of ``size`` 2 and ``stride`` 2 built without arguments."""

    def __init__(self):
        super().__init__(2, 2)


def pooling(route, name="MaxPoolLayer", base=Pooling):
    return type(name, (base,), {"route": route})


def to_first(self, grad, window, g):
    grad[np.unravel_index(np.argmax(window), window.shape)] += g


def to_last(self, grad, window, g):
    flat = window.reshape(-1)
    grad[np.unravel_index(len(flat) - 1 - np.argmax(flat[::-1]), window.shape)] += g


def to_every(self, grad, window, g):
    grad += (window == window.max()) * g


def split(self, grad, window, g):
    top = window == window.max()
    grad += top * g / top.sum()


TIED = 33  # windows that tie in the kit's 0-and-1 images (seed 26) of a 2 x 2 window, 2 x 2 x 6 x 4


def test_a_max_pooling_says_where_the_gradient_goes_at_tied_maxima():
    for route, which in ((to_first, "first"), (to_last, "last")):
        report = check_layer(pooling(route))
        assert report.passed, report
        assert report["same values as graphnn"].numbers == (
            "forward, backward vs graphnn's MaxPoolLayer, N = 1, 3: worst relative error 0.0e+00; at tied maxima "
            f"({TIED} windows) the gradient goes to the {which} one")


def test_the_kits_tied_images_are_zeros_and_ones_of_its_seed():
    x = np.random.default_rng(26).integers(0, 2, size=(2, 2, 6, 6)).astype(float)
    assert images.tie_routes(x, np.ones((2, 2, 3, 3)), (2, 2), (2, 2))[1] == TIED


def test_a_max_pooling_sending_the_gradient_to_every_tied_maximum_is_named():
    row = check_layer(pooling(to_every))["same values as graphnn"]
    assert (row.passed, row.numbers) == (
        False, f"at tied maxima ({TIED} of the windows tie): backward sends a window's gradient to every tied maximum")
    assert row.hint == ("send it to one entry of the window (the first, np.argmax, as PyTorch and graphnn do): the "
                        "forward took one value, and giving the gradient to every tied maximum counts it several times")
    x = np.random.default_rng(26).integers(0, 2, size=(2, 2, 6, 6)).astype(float)
    assert row.failing_input == ("2 x 2 x 6 x 6, first image first channel " +
                                 np.array2string(x[0, 0]).replace("\n", ""))


def test_a_max_pooling_splitting_the_gradient_between_ties_is_compared_with_one_maximum():
    row = check_layer(pooling(split))["same values as graphnn"]
    assert (row.passed, row.numbers) == (
        False, "at tied maxima: backward vs one maximum per window: relative error 6.89e-01 > 1e-10; worst at "
               "[1, 0, 4, 0]: -0.445915 vs -1.78366")
    assert row.hint == ("backward / the gradient sent to each window's first maximum varies from 0.25 to 1: the "
                        "derivative's formula is wrong, not only a factor")
    assert row.failing_input.startswith("2 x 2 x 6 x 6, first image first channel [[1. 0. 1. 0. 0. 0.] ")


def test_the_ties_are_checked_with_the_layers_stride():
    class Overlapping(corpus.PoolingBase):
        def __init__(self):
            super().__init__(2, 1)

    row = check_layer(pooling(to_first, base=Overlapping))["same values as graphnn"]
    x = np.random.default_rng(26).integers(0, 2, size=(2, 2, 6, 4)).astype(float)
    tied = images.tie_routes(x, np.ones((2, 2, 5, 3)), (2, 2), (1, 1))[1]
    assert tied == 42
    assert row.passed and row.numbers.endswith(f"; at tied maxima ({tied} windows) the gradient goes to the first one")

    # a pooling without a stride attribute: its windows do not overlap (the stride is the size)
    class Windowed(Pooling):
        def __init__(self):
            super().__init__()
            self.stride = None  # as the kit sees it: no stride

        def forward(self, X):
            self.stride = 2
            try:
                return super().forward(X)
            finally:
                self.stride = None

        def backward(self, gradIn):
            self.stride = 2
            try:
                return super().backward(gradIn)
            finally:
                self.stride = None

    row = check_layer(pooling(to_last, base=Windowed))["same values as graphnn"]
    x = np.random.default_rng(26).integers(0, 2, size=(2, 2, 6, 4)).astype(float)  # no stride: 6 x 4 images
    tied = images.tie_routes(x, np.ones((2, 2, 3, 2)), (2, 2), (2, 2))[1]
    assert tied == 16
    assert row.passed and row.numbers.endswith(f"; at tied maxima ({tied} windows) the gradient goes to the last one")


def test_a_pooling_whose_size_cannot_be_read_is_not_checked_at_ties():
    class Hidden(Pooling):
        def __init__(self):
            super().__init__()
            self._p, self._s = self.size, self.stride
            del self.size

        def forward(self, X):
            self.size = self._p
            try:
                return super().forward(X)
            finally:
                del self.size

        def backward(self, gradIn):
            self.size = self._p
            try:
                return super().backward(gradIn)
            finally:
                del self.size

    ctx = SimpleNamespace(layer=Hidden, name="MaxPoolLayer")
    assert images._check_ties(ctx) == ""


def test_a_single_channel_context_takes_kernels_with_their_channel_axis():
    class Conv:
        def __init__(self):
            self.kernel = np.arange(12.0).reshape(3, 1, 2, 2)
            self.bias = np.array([1.0, 2.0, 3.0]).reshape(3, 1, 1)

    reference = images.reference_layer(context("Conv", shapes=((5, 5),), reference=gn.ConvolutionalLayer), Conv())
    assert np.array_equal(reference.getWeights(), Conv().kernel)
    assert np.array_equal(reference.getBiases().reshape(-1), [1.0, 2.0, 3.0])


def test_a_reference_without_a_name_is_called_so():
    import functools

    row = check_layer(corpus.IMAGE_CORPUS[-2][0], reference=functools.partial(gn.FlatteningLayer))[
        "same values as graphnn"]
    assert row.passed and row.numbers == "forward, backward vs graphnn's reference, N = 1, 3: worst relative error " \
                                         "0.0e+00"


def test_a_forward_off_by_a_factor_is_named_against_graphnn():
    class FlatteningLayer(corpus.IMAGE_CORPUS[-2][0]):
        def forward(self, dataIn):
            return super().forward(dataIn) * 2

    row = check_layer(FlatteningLayer)["same values as graphnn"]
    assert row.hint == ("forward is about 2 times graphnn's FlatteningLayer everywhere: is a factor of the local "
                        "derivative missing?")


def test_a_backward_returning_gradIn_unchanged_is_named_against_graphnn():
    class ConvolutionalLayer(corpus.ChannelsConv):
        """1 x 1 kernels: the output is shaped like the input, and backward forgets the kernel."""

        def __init__(self):
            super().__init__(2, 2, 1)

        def backward(self, gradIn):
            return gradIn

    row = check_layer(ConvolutionalLayer)["same values as graphnn"]
    assert not row.passed and row.numbers.startswith("N = 1: backward vs graphnn's ConvolutionalLayer: ")
    assert row.hint == "backward returns gradIn unchanged: is the factor of the local derivative missing?"


@pytest.mark.parametrize("scale, asymmetry", [(1.0, 1e-9), (1e-6, 3e-12)])
def test_a_flipped_kernel_close_to_symmetric_is_still_named(scale, asymmetry):
    """Entry by entry (rtol 1e-8, atol 1e-12) the values differ, though by less than the
    tolerance of the comparison as a whole (the first case) or by little in absolute terms
    (kernels of 1e-6, the second): the flip is named all the same."""
    flipping = by_tag("ConvolutionalLayer", "same values as graphnn")

    class ConvolutionalLayer(flipping):
        def __init__(self):
            super().__init__(2, 3, 3)
            symmetric = (self.weights + self.weights[:, :, ::-1, ::-1]) / 2 * scale
            self.weights = symmetric + asymmetry * np.arange(symmetric.size).reshape(symmetric.shape) / symmetric.size
            self.biases = self.biases * scale

    row = check_layer(ConvolutionalLayer)["same values as graphnn"]
    assert (row.passed, row.numbers, row.hint) == (
        False, "N = 1: forward differs from graphnn's ConvolutionalLayer", FLIPPED)


def near_first(self, grad, window, g):
    """The first maximum, and 1e-11 everywhere else: off entry by entry, not as a whole."""
    to_first(self, grad, window, g)
    grad += 1e-11


def test_a_gradient_close_to_one_maximum_per_window_passes_without_naming_where_it_goes():
    row = check_layer(pooling(near_first))["same values as graphnn"]
    assert row.passed, row
    assert row.numbers == "forward, backward vs graphnn's MaxPoolLayer, N = 1, 3: worst relative error 6.9e-12"
