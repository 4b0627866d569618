"""The grading kit on image layers (``grading/images.py``), the behaviours the first kill tests
(tests/test_mutation_kills_grading_images.py) left unchecked: how close to a flipped kernel's
output a forward must be for the flip to be named; how close to one maximum per window, or to
every tied maximum, a max pooling's backward must be at tied maxima; the images' shape along
each axis; graphnn's biases for a convolution without any; single-channel pooling and
flattening; the input shown for a wrong backward. Students' classes from
tests/students/image_corpus.py and small ones written here as students write them."""
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import graphnn as gn
from graphnn.grading import images
from graphnn.grading.checks import check_layer
from graphnn.grading.layer_context import LayerContext
from graphnn.grading.report import CheckFailure

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("image_corpus_image_layers", HERE / "students" / "image_corpus.py")
corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus)

CHANNELS = corpus.IMAGE_CORPUS[1][0]  # N x C x H x W, kernels O x C x kh x kw, a stride
FLIP = "forward is a convolution (the kernel flipped): "


def context(name, make=None, shapes=((2, 6, 4),), reference=None):
    return SimpleNamespace(name=name, make=make, shapes=shapes, reference=reference)


def flipped_case(seed=3):
    """A student's convolution, the context, its images and the output a flipped kernel gives."""
    student = CHANNELS(2, 3, 3)
    ctx = context("ConvolutionalLayer", reference=gn.ConvolutionalLayer)
    x = np.random.default_rng(seed).standard_normal((2, 2, 6, 5))
    flipped = gn.ConvolutionalLayer(2, 3, 3)
    flipped.setWeights(student.weights[:, :, ::-1, ::-1].copy())
    flipped.setBiases(student.biases)
    return student, ctx, x, flipped.forward(x)


def test_a_flip_is_named_only_within_a_relative_1e8_of_the_flipped_output():
    """A forward a millionth off the flipped kernel's output, everywhere, is no flip: the hint
    asks the values to agree to a relative 1e-8, not numpy's default 1e-5."""
    student, ctx, x, flipped = flipped_case()
    reference = images.reference_layer(ctx, student)
    assert images._forward_hint(ctx, student, x, flipped, reference).startswith(FLIP)
    assert images._forward_hint(ctx, student, x, flipped * (1 + 1e-8 / 4), reference).startswith(FLIP)
    assert images._forward_hint(ctx, student, x, flipped * (1 + 1e-6), reference) == ""


def test_a_flip_is_named_only_within_an_absolute_1e10_of_the_flipped_output():
    """A forward a few 1e-9 off the flipped kernel's output, where that output is small (below
    0.4), is no flip: the hint's absolute tolerance is 1e-10, not numpy's default 1e-8."""
    student, ctx, x, flipped = flipped_case()
    assert np.abs(flipped).min() < 0.4
    reference = images.reference_layer(ctx, student)
    assert images._forward_hint(ctx, student, x, flipped + 5e-11, reference).startswith(FLIP)
    assert images._forward_hint(ctx, student, x, flipped + 5e-9, reference) == ""


# ---------------------------------------------------------------- max pooling at tied maxima


class Pooling(corpus.PoolingBase):
    """A max pooling of ``size`` 2 and ``stride`` 2 built without arguments; ``route`` sends
    each window's gradient."""

    def __init__(self):
        super().__init__(2, 2)


def pooling(route):
    return type("MaxPoolLayer", (Pooling,), {"route": route})


def first_index(window):
    return np.unravel_index(np.argmax(window), window.shape)


def first_times(factor):
    def route(self, grad, window, g):
        grad[first_index(window)] += g * factor
    return route


def every_then(scale=1.0, shift=0.0):
    def route(self, grad, window, g):
        grad += (window == window.max()) * g * scale + shift
    return route


def shared_at_first(self, grad, window, g):
    """Divides the gradient by the number of tied maxima, and gives that share to the first."""
    grad[first_index(window)] += g / (window == window.max()).sum()


def split(self, grad, window, g):
    top = window == window.max()
    grad += top * g / top.sum()


ONE_MAXIMUM = "at tied maxima: backward vs one maximum per window: relative error "


def test_at_tied_maxima_one_maximum_is_matched_to_a_relative_1e10():
    """A backward a relative 1e-9 off the first maximum (within the comparison with graphnn's
    layer, 1e-8) is reported at tied maxima, not said to send the gradient to the first one."""
    row = check_layer(pooling(first_times(1 + 1e-9)))["same values as graphnn"]
    assert not row.passed
    assert row.numbers.startswith(ONE_MAXIMUM + "1.00e-09 > 1e-10; ")


def test_a_share_of_the_gradient_at_the_first_maximum_is_no_first_route():
    """Giving the first tied maximum only its share of the gradient (G over the ties) is wrong
    at tied maxima, though right where no window ties (graphnn's comparison passes)."""
    row = check_layer(pooling(shared_at_first))["same values as graphnn"]
    assert not row.passed
    assert row.numbers.startswith(ONE_MAXIMUM)
    assert "goes to the first one" not in row.numbers


@pytest.mark.parametrize("scale, shift", [(1 + 1e-9, 0.0), (1.0, 1e-9)])
def test_every_tied_maximum_is_named_only_within_1e10(scale, shift):
    """A backward near every tied maximum's route (a relative 1e-9 off, or 1e-9 added to every
    entry) is compared with one maximum per window, not named the every-maximum mistake."""
    row = check_layer(pooling(every_then(scale, shift)))["same values as graphnn"]
    assert not row.passed
    assert row.numbers.startswith(ONE_MAXIMUM)
    assert "every" not in row.numbers


def test_a_split_gradient_is_not_taken_for_every_tied_maximum_however_small():
    """The tie check tells a gradient split between the ties from the whole gradient sent to
    each, also for a gradIn of small entries (a few thousandths)."""
    ctx = LayerContext(pooling(split))
    ctx.gradIn = lambda shape: 1e-3 * LayerContext.gradIn(shape)
    with pytest.raises(CheckFailure) as err:
        images._check_ties(ctx)
    assert err.value.numbers.startswith(ONE_MAXIMUM)


class SingleChannelPool:
    """The course's single-channel max pooling: ``N x H x W`` images only, windows of 2."""

    def __init__(self):
        self.size, self.stride = 2, 2

    def forward(self, X):
        if X.ndim != 3:
            raise ValueError("N x H x W images only")
        self.X = X
        return Pooling().forward(X[:, None])[:, 0]

    def gradient(self):
        raise NotImplementedError

    def backward(self, gradIn):
        pool = pooling(first_times(1.0))()
        pool.forward(self.X[:, None])
        return pool.backward(gradIn[:, None])[:, 0]


def test_a_single_channel_max_pooling_is_checked_at_tied_maxima():
    """A max pooling over ``N x H x W`` images passes, and the tie check says where its
    gradient goes: graphnn's routes have their channel axis dropped to compare."""
    cls = type("MaxPoolLayer", (SingleChannelPool,), {})
    report = check_layer(cls)
    assert report.passed, report
    x = np.random.default_rng(26).integers(0, 2, size=(2, 6, 6)).astype(float)[:, None]  # 6 x 6: room for 2 strides
    tied = images.tie_routes(x, np.ones((2, 1, 3, 3)), (2, 2), (2, 2))[1]
    assert tied == 17
    assert report["same values as graphnn"].numbers.endswith(
        f"; at tied maxima ({tied} windows) the gradient goes to the first one")


# ---------------------------------------------------------------- the images' shape


class Taking:
    """A layer taking any images (its forward flattens them), with the attributes given."""

    def __init__(self, **given):
        self.__dict__.update(given)

    def forward(self, x):
        return x.reshape(len(x), -1)


def shape_for(name, **given):
    make = lambda: Taking(**given)  # noqa: E731
    return images.observation_shape(make(), context(name, make))


def test_the_images_fit_two_strides_along_each_axis_with_that_axis_stride():
    """Rows fit the window and two row strides, columns two column strides: a stride of
    ``(1, 3)`` widens only the columns."""
    assert shape_for("MaxPoolLayer", size=2, stride=(1, 3)) == (2, 6, 8)
    assert shape_for("MaxPoolLayer", size=2, stride=(3, 1)) == (2, 8, 4)
    assert shape_for("MaxPoolLayer", size=(3, 1), stride=(2, 1)) == (2, 7, 4)


def test_without_a_window_or_kernel_read_the_images_fit_a_2_by_2_one():
    """A pooling whose window the kit cannot read (an attribute ``k``) and a flattening are
    sized for a 2 x 2 window and their stride."""
    assert shape_for("MaxPoolLayer", k=4, stride=3) == (2, 8, 8)
    assert shape_for("FlatteningLayer", stride=2) == (2, 6, 6)


# ---------------------------------------------------------------- graphnn's layer to compare with


class Conv:
    """A convolution holding its kernels (and its biases when given) as attributes."""

    def __init__(self, kernel, bias=None):
        self.kernel = kernel
        if bias is not None:
            self.bias = bias


def test_a_convolution_without_biases_is_compared_with_zero_biases_one_per_kernel():
    """Three kernels over two channels and no biases: graphnn's layer gets three zero biases."""
    kernels = np.arange(24.0).reshape(3, 2, 2, 2)
    reference = images.reference_layer(context("Conv", shapes=((2, 5, 5),), reference=gn.ConvolutionalLayer),
                                       Conv(kernels))
    assert np.array_equal(reference.getWeights(), kernels)
    assert np.array_equal(reference.getBiases().reshape(-1), [0.0, 0.0, 0.0])


# ---------------------------------------------------------------- the comparison with graphnn


class SingleChannelFlattening:
    """The course's flattening of single-channel ``N x H x W`` images only."""

    def forward(self, X):
        if X.ndim != 3:
            raise ValueError("N x H x W images only")
        self.shape = X.shape
        return X.reshape(len(X), -1)

    def gradient(self):
        raise NotImplementedError

    def backward(self, gradIn):
        return gradIn.reshape(self.shape)


def test_a_single_channel_flattening_is_compared_with_graphnn():
    """A flattening of ``N x H x W`` images passes the comparison with graphnn's layer (fed
    ``N x 1 x H x W``, and ``gradIn`` as the student gets it, ``N x HW``)."""
    cls = type("FlatteningLayer", (SingleChannelFlattening,), {})
    row = check_layer(cls)["same values as graphnn"]
    assert row.passed, row
    assert row.numbers == "forward, backward vs graphnn's FlatteningLayer, N = 1, 3: worst relative error 0.0e+00"


def test_a_wrong_backward_is_reported_with_its_input():
    """A backward off graphnn's is reported with the images it was fed (their shape and first
    channel), as a wrong forward is."""
    base = corpus.IMAGE_CORPUS[-2][0]

    class FlatteningLayer(base):
        def backward(self, gradIn):
            return base.backward(self, gradIn) * 3

    row = check_layer(FlatteningLayer)["same values as graphnn"]
    assert row.numbers.startswith("N = 1: backward vs graphnn's FlatteningLayer: relative error ")
    x = LayerContext(FlatteningLayer).inputs(1)[0]
    assert row.failing_input == images.show_input(x)
    assert row.failing_input.startswith("1 x 2 x 6 x 4, first image first channel [[")
