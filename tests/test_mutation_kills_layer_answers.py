"""check_layer's right answers (layer_answers): values against graphnn's class of the same
name, an input layer's z-scores and the hints for the usual ways of getting them wrong, the
orientation of the weights, and the seed's worked numbers (Part 1, questions 1 and 2). The
classes are written as students write them (they inherit nothing from graphnn)."""
import functools

import numpy as np
import pytest

import graphnn as gn
from graphnn.grading.layer_answers import check_against_reference, check_seed_numbers, weights_orientation
from graphnn.grading.layer_context import LayerContext
from graphnn.grading.report import CheckFailure
from graphnn.grading.student import student_parameters

H_SHOWN = "[[1. 2. 3.] [4. 5. 6.]]"


def raises(check, context):
    with np.errstate(all="ignore"), pytest.raises(CheckFailure) as info:
        check(context)
    return info.value


# --------------------------------------------------------------------------------- input layers
def z_scoring(name, statistics):
    """An input layer class named ``name`` whose forward is ``statistics(data, x)``."""
    def __init__(self, dataIn):
        self.data = dataIn.astype(float)

    def forward(self, dataIn):
        return statistics(self.data, dataIn)

    return type(name, (), {"__init__": __init__, "forward": forward, "gradient": lambda self: None})


COLUMNS_DDOF0 = z_scoring("InputLayer", lambda d, x: (x - d.mean(axis=0)) / d.std(axis=0))
COLUMNS_DDOF1 = z_scoring("InputLayer", lambda d, x: (x - d.mean(axis=0)) / d.std(axis=0, ddof=1))


def test_an_input_layer_z_scoring_each_column_either_way():
    for cls, ddof in ((COLUMNS_DDOF0, "ddof=0"), (COLUMNS_DDOF1, "ddof=1")):
        context = LayerContext(cls)
        assert context.kind == "input" and context.built_from_data
        assert check_against_reference(context) == \
            f"z-scores of graphnn's InputLayer (standard deviation {ddof}), N = 7"
        assert context.conventions == {"standard deviation": ddof}
    context = LayerContext(COLUMNS_DDOF0, conventions={"standard deviation": "ddof=1"})
    assert raises(check_against_reference, context).numbers == \
        "standard deviation: the class follows 'ddof=0'; the teacher asks for 'ddof=1'"


@pytest.mark.parametrize("ddof", [0, 1])
def test_one_mean_and_spread_for_all_entries_is_named(ddof):
    context = LayerContext(z_scoring("InputLayer", lambda d, x: (x - d.mean()) / d.std(ddof=ddof)))
    failure = raises(check_against_reference, context)
    assert failure.numbers.startswith("N = 7: forward vs graphnn's InputLayer (column z-scores): relative error ")
    assert float(failure.numbers.rsplit(" ", 1)[1]) > 0.1
    assert failure.hint == ("one mean and one standard deviation for all entries: z-score each column (feature) "
                            "with its own, np.mean(X, axis=0) and np.std(X, axis=0)")
    assert failure.failing_input.startswith("7 x 3, first row [[")


@pytest.mark.parametrize("ddof", [0, 1])
def test_the_batch_statistics_are_named(ddof):
    context = LayerContext(z_scoring("InputLayer", lambda d, x: (x - x.mean(axis=0)) / x.std(axis=0, ddof=ddof)))
    failure = raises(check_against_reference, context)
    assert failure.hint == ("the statistics of the batch given to forward: use those of the data the layer was "
                            "built with")


def test_other_input_layer_mistakes_get_the_general_hint():
    context = LayerContext(z_scoring("InputLayer", lambda d, x: x - d.mean(axis=0)))
    failure = raises(check_against_reference, context)
    assert failure.numbers.startswith("N = 7: forward vs graphnn's InputLayer (column z-scores): relative error ")
    assert failure.hint == ("z-score each column with the mean and standard deviation of the data the layer was "
                            "built with")
    assert failure.failing_input.startswith("7 x 3, first row [[")
    # one spread for the whole batch: neither of the named mistakes
    context = LayerContext(z_scoring("InputLayer", lambda d, x: (x - x.mean(axis=0)) / x.std()))
    assert raises(check_against_reference, context).hint.startswith("z-score each column with")
    context = LayerContext(z_scoring("InputLayer", lambda d, x: ((x - d.mean(axis=0)) / d.std(axis=0))[:, :2]))
    failure = raises(check_against_reference, context)
    assert failure.numbers == "N = 7: forward vs graphnn's InputLayer (column z-scores): shape (7, 2), expected (7, 3)"
    assert failure.hint.startswith("z-score each column with")


def test_an_input_layer_from_a_factory_is_not_compared():
    context = LayerContext(lambda: COLUMNS_DDOF1(np.ones((4, 3))))
    assert check_against_reference(context) == \
        "not checked: built by a factory, so the data it z-scores is unknown to the kit (pass the class)"


# --------------------------------------------------------------------------- activation layers
class TanhLayer:
    def forward(self, dataIn):
        self.out = np.tanh(dataIn)
        return self.out

    def gradient(self):
        return 1 - self.out ** 2

    def backward(self, gradIn):
        return gradIn * self.gradient()


class SigmoidNamedTanh(TanhLayer):
    def forward(self, dataIn):
        self.out = 1 / (1 + np.exp(-dataIn))
        return self.out

    def gradient(self):
        return self.out * (1 - self.out)


class TwiceBackward(TanhLayer):
    def backward(self, gradIn):
        return 2 * gradIn * self.gradient()


class TwiceGradient(TanhLayer):
    def gradient(self):
        return 2 * (1 - self.out ** 2)

    def backward(self, gradIn):
        return gradIn * (1 - self.out ** 2)


def test_values_against_graphnn():
    assert check_against_reference(LayerContext(TanhLayer)) == \
        "forward, backward, gradient() vs graphnn's TanhLayer: worst relative error 0.0e+00"
    assert check_against_reference(LayerContext(TanhLayer, reference=functools.partial(gn.TanhLayer))) == \
        "forward, backward, gradient() vs graphnn's reference: worst relative error 0.0e+00"
    assert check_against_reference(LayerContext(TanhLayer, reference=None)) == \
        "not checked: graphnn has no class named TanhLayer (check_layer(..., reference=...) names one)"
    assert check_against_reference(LayerContext(SigmoidNamedTanh, reference=gn.LogisticSigmoidLayer)) == \
        "forward, backward, gradient() vs graphnn's LogisticSigmoidLayer: worst relative error 0.0e+00"


def test_each_value_that_differs_from_graphnn_is_named():
    failure = raises(check_against_reference, LayerContext(SigmoidNamedTanh, reference=gn.TanhLayer))
    assert failure.numbers.startswith("N = 1: forward vs graphnn's TanhLayer: relative error ")
    assert failure.failing_input.startswith("[[") and failure.hint.startswith("forward")
    failure = raises(check_against_reference, LayerContext(TwiceBackward, reference=gn.TanhLayer))
    assert failure.numbers.startswith("N = 1: backward vs graphnn's TanhLayer: relative error ")
    assert failure.hint == ("backward is about 2 times graphnn's TanhLayer everywhere: is a factor of the local "
                            "derivative missing?")
    assert failure.failing_input.startswith("[[")
    failure = raises(check_against_reference, LayerContext(TwiceGradient, reference=gn.TanhLayer))
    assert failure.numbers.startswith("N = 1: gradient() vs graphnn's TanhLayer: relative error ")
    assert failure.hint == ("gradient() is about 2 times graphnn's TanhLayer everywhere: is a factor of the local "
                            "derivative missing?")


class Product:
    n_inputs = 2

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def gradient(self):
        return self.b, self.a

    def backward(self, gradIn):
        return gradIn * self.b, gradIn * self.a


def test_layers_of_two_inputs_and_image_layers():
    assert check_against_reference(LayerContext(Product, input_width=(2, 2), reference=gn.TanhLayer)) == \
        "not checked: the comparison takes layers of one input"
    assert check_against_reference(LayerContext(gn.FlatteningLayer)) == \
        "forward, backward vs graphnn's FlatteningLayer, N = 1, 3: worst relative error 0.0e+00"


# ------------------------------------------------------------------------------ weights layers
class FullyConnectedLayer:
    """D x K weights; ``biases=False`` leaves them out."""

    def __init__(self, sizeIn, sizeOut, biases=True):
        rng = np.random.default_rng(5)
        self.W = rng.uniform(-1, 1, (sizeIn, sizeOut))
        if biases:
            self.b = rng.uniform(-1, 1, (1, sizeOut))

    def forward(self, dataIn):
        self.x = dataIn
        return dataIn @ self.W + getattr(self, "b", 0)

    def gradient(self):
        return self.W.T

    def backward(self, gradIn):
        return gradIn @ self.gradient()


class FullyConnectedKxD(FullyConnectedLayer):
    def __init__(self, sizeIn, sizeOut):
        super().__init__(sizeIn, sizeOut)
        self.W = self.W.T.copy()

    def forward(self, dataIn):
        return dataIn @ self.W.T + self.b

    def gradient(self):
        return self.W


def test_weights_orientation_from_the_shape_or_from_forward():
    for make, orientation in ((lambda: FullyConnectedLayer(2, 3), "D x K"), (lambda: FullyConnectedKxD(2, 3), "K x D"),
                              (lambda: FullyConnectedLayer(3, 3), "D x K"), (lambda: FullyConnectedKxD(3, 3), "K x D")):
        layer = make()
        assert weights_orientation(layer, layer.W.shape[0 if orientation == "D x K" else 1],
                                   student_parameters(layer)) == orientation
    # square weights and no biases: the forward decides too
    layer = FullyConnectedLayer(3, 3, biases=False)
    assert weights_orientation(layer, 3, student_parameters(layer)) == "D x K"
    # a layer computing in float32, square weights: its forward is off by ~1e-7 either way,
    # and the closer orientation wins (a 1e-8 threshold called D x K weights K x D)
    for cls, orientation in ((FullyConnectedLayer, "D x K"), (FullyConnectedKxD, "K x D")):
        class Float32(cls):
            def forward(self, dataIn):
                return super().forward(np.asarray(dataIn, dtype=np.float32))

        layer = Float32(3, 3)
        layer.W, layer.b = layer.W.astype(np.float32), layer.b.astype(np.float32)
        assert weights_orientation(layer, 3, student_parameters(layer)) == orientation


def test_weights_of_neither_orientation_are_refused():
    class Wider(FullyConnectedLayer):
        def forward(self, dataIn):
            return dataIn @ self.W[:2] + self.b

    layer = Wider(4, 3)
    with pytest.raises(CheckFailure) as info:
        weights_orientation(layer, 2, student_parameters(layer))
    assert info.value.numbers == "weights are (4, 3); for 2 inputs and 3 outputs they are 2 x 3 or 3 x 2"


def test_a_fully_connected_layer_is_compared_with_its_own_weights():
    for cls in (FullyConnectedLayer, FullyConnectedKxD, lambda: FullyConnectedLayer(4, 3, biases=False)):
        numbers = check_against_reference(LayerContext(cls, reference=gn.FullyConnectedLayer))
        assert numbers.startswith("forward, backward, gradient() vs graphnn's FullyConnectedLayer: worst relative "
                                  "error ")
        assert float(numbers.rsplit(" ", 1)[1]) < 1e-14
    # seven square rows: the shared K x D is read as such
    numbers = check_against_reference(LayerContext(lambda: FullyConnectedLayer(7, 7), reference=gn.FullyConnectedLayer))
    assert float(numbers.rsplit(" ", 1)[1]) < 1e-14


# ---------------------------------------------------------------------------- the seed's numbers
def test_the_seeds_jacobians():
    assert check_seed_numbers(LayerContext(TanhLayer)) == \
        "Q1: the Jacobians at H = [[1, 2, 3], [4, 5, 6]] (N x D) are the seed's"
    failure = raises(check_seed_numbers, LayerContext(type("TanhLayer", (TwiceGradient,), {})))
    assert failure.numbers == ("Q1 at H: gradient() (N x D) differs from the seed's answer by up to 0.42; first "
                               "Jacobian [[0.8399 0.     0.    ] [0.     0.1413 0.    ] [0.     0.     0.0197]], "
                               "the seed's "
                               "[[0.42   0.     0.    ] [0.     0.0707 0.    ] [0.     0.     0.0099]]")
    assert (failure.hint, failure.failing_input) == ("", H_SHOWN)

    class Wide(TanhLayer):
        def forward(self, dataIn):
            return np.tanh(np.hstack([dataIn, dataIn]))

    failure = raises(check_seed_numbers, LayerContext(type("TanhLayer", (Wide,), {})))
    assert (failure.numbers, failure.hint, failure.failing_input) == ("forward(H) is (2, 6), H is 2 x 3", "", H_SHOWN)


def test_no_seed_numbers_for_other_layers():
    assert check_seed_numbers(LayerContext(COLUMNS_DDOF0)) == \
        "not checked: the seed has no worked number for an input layer"
    assert check_seed_numbers(LayerContext(TwiceBackward)) == \
        "not checked: the seed has no worked example for TwiceBackward"
    two = type("TanhLayer", (Product,), {})
    assert check_seed_numbers(LayerContext(two, input_width=(3, 3))) == \
        "not checked: the seed has no worked example for TanhLayer"


def test_the_seeds_fully_connected_layer():
    expected = "Q2: with the seed's W and b, forward(H) = H W + b and gradient() = W^T (K x D)"
    assert check_seed_numbers(LayerContext(FullyConnectedLayer)) == expected
    assert check_seed_numbers(LayerContext(type("FullyConnectedLayer", (FullyConnectedKxD,), {}))) == expected
    no_biases = type("FullyConnectedLayer", (FullyConnectedLayer,), {
        "__init__": lambda self, sizeIn, sizeOut: FullyConnectedLayer.__init__(self, sizeIn, sizeOut, False)})
    assert check_seed_numbers(LayerContext(no_biases)) == expected
    assert check_seed_numbers(LayerContext(lambda: FullyConnectedLayer(3, 2))) == \
        "not checked: built by a factory; the seed's Q2 needs a 3 -> 2 layer (pass the class)"


def test_one_dimensional_biases_get_the_seeds_biases_in_their_shape():
    class FullyConnectedLayer:
        def __init__(self, sizeIn, sizeOut):
            self.W, self.b = np.ones((sizeIn, sizeOut)), np.zeros(sizeOut)

        def forward(self, dataIn):
            return dataIn @ self.W + self.b[np.newaxis, :]

        def gradient(self):
            return self.W.T

    assert check_seed_numbers(LayerContext(FullyConnectedLayer)).startswith("Q2: with the seed's W and b")


def test_the_seeds_fully_connected_layer_wrong():
    class FullyConnectedLayer(FullyConnectedKxD.__mro__[1]):
        def forward(self, dataIn):
            return dataIn @ self.W

    failure = raises(check_seed_numbers, LayerContext(FullyConnectedLayer))
    assert failure.numbers == ("Q2: forward(H) = [[22.0, 28.0], [49.0, 64.0]] with the seed's W and b, H W + b = "
                               "[[21.0, 30.0], [48.0, 66.0]]")
    assert (failure.hint, failure.failing_input) == ("", H_SHOWN)

    class FullyConnectedLayer(FullyConnectedKxD.__mro__[1]):
        def gradient(self):
            return 2 * self.W.T

    failure = raises(check_seed_numbers, LayerContext(FullyConnectedLayer))
    assert failure.numbers == ("Q2: gradient() (K x D) is [[2.0, 6.0, 10.0], [4.0, 8.0, 12.0]], the seed's answer "
                               "W^T = [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]")
    assert failure.hint == "the Jacobian of X W + b with respect to X is W^T (K x D)"
    assert failure.failing_input == H_SHOWN

    class FullyConnectedLayer(FullyConnectedKxD.__mro__[1]):
        def gradient(self):  # right for the first observation only
            return np.array([self.W.T, 2 * self.W.T])

    failure = raises(check_seed_numbers, LayerContext(FullyConnectedLayer))
    assert failure.numbers.startswith("Q2: gradient() (N x K x D) is ")

    class FullyConnectedLayer(FullyConnectedKxD.__mro__[1]):
        def gradient(self):  # right for the second observation only
            return np.array([2 * self.W.T, self.W.T])

    assert raises(check_seed_numbers, LayerContext(FullyConnectedLayer)).numbers.startswith(
        "Q2: gradient() (N x K x D) is ")


def test_a_layer_with_weights_of_another_name_has_no_seed_example():
    class Dense(FullyConnectedLayer):
        pass

    assert check_seed_numbers(LayerContext(Dense)) == "not checked: the seed has no worked example for Dense"


def test_the_seeds_fully_connected_layer_not_checked():
    class FullyConnectedLayer:
        def __init__(self, sizeIn, sizeOut):
            self.b = np.zeros((1, sizeOut))

        def forward(self, dataIn):
            return dataIn[:, :3] + self.b[:, :1]

        def gradient(self):
            return np.ones_like(self.b)

    assert check_seed_numbers(LayerContext(FullyConnectedLayer, input_width=3)) == \
        "not checked: no weights found to set"

    class FullyConnectedLayer:
        def __init__(self, sizeIn, sizeOut):
            self.W = np.ones((sizeIn, sizeIn))

        def forward(self, dataIn):
            return dataIn @ self.W

        def gradient(self):
            return self.W.T

    assert check_seed_numbers(LayerContext(FullyConnectedLayer)) == \
        "not checked: built with sizeIn 3, sizeOut 2 its weights are (3, 3)"


def test_hints_of_values_that_differ_from_graphnn():
    failure = raises(check_against_reference, LayerContext(SigmoidNamedTanh, reference=gn.TanhLayer))
    assert failure.hint.startswith("forward / graphnn's TanhLayer varies from ")
    assert failure.hint.endswith(": the derivative's formula is wrong, not only a factor")

    class ReturnsGradIn(TanhLayer):
        def backward(self, gradIn):
            return gradIn

    failure = raises(check_against_reference, LayerContext(ReturnsGradIn, reference=gn.TanhLayer))
    assert failure.hint == "backward returns gradIn unchanged: is the factor of the local derivative missing?"
    failure = raises(check_against_reference, LayerContext(TwiceGradient, reference=gn.TanhLayer))
    assert failure.failing_input.startswith("[[")


def test_small_jacobian_entries_are_printed_as_decimals():
    class TanhLayer(TwiceGradient):
        def gradient(self):  # the derivative squared
            return (1 - self.out ** 2) ** 2

    failure = raises(check_seed_numbers, LayerContext(TanhLayer))
    assert "first Jacobian [[0.1764 0.     0.    ] [0.     0.005  0.    ] [0.     0.     0.0001]], the seed's" \
        in failure.numbers
    assert "e-0" not in failure.numbers


def test_a_forward_wrong_only_for_several_rows_is_named_at_n_7():
    class TanhLayer(TwiceGradient.__mro__[1]):
        def forward(self, dataIn):
            self.out = np.tanh(dataIn - dataIn.mean(axis=0) + dataIn)
            return self.out

    failure = raises(check_against_reference, LayerContext(TanhLayer))
    assert failure.numbers.startswith("N = 7: forward vs graphnn's TanhLayer: relative error ")
    assert failure.failing_input.startswith("7 x 3, first row [[")


def test_any_class_may_be_the_reference():
    assert raises(check_against_reference, LayerContext(TwiceBackward, reference=TanhLayer)).numbers.startswith(
        "N = 1: backward vs graphnn's TanhLayer")
    assert check_against_reference(LayerContext(SigmoidNamedTanh, reference=SigmoidNamedTanh)) == \
        "forward, backward, gradient() vs graphnn's SigmoidNamedTanh: worst relative error 0.0e+00"
