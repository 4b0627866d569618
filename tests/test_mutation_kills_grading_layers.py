"""check_layer's rows one by one (layer_checks, layer_context, layer_advice): what each row
says for a right class and for a class holding one mistake, its numbers, hint and failing
input, and the conventions it records. The classes are written as students write them
(they inherit nothing from graphnn). The right answers (layer_answers) are in
tests/test_mutation_kills_layer_answers.py."""
import re
import time

import numpy as np
import pytest

import graphnn as gn
from graphnn.grading import layer_advice, layer_checks
from graphnn.grading.checks import check_layer
from graphnn.grading.layer_context import LayerContext
from graphnn.grading.report import CheckFailure


# ----------------------------------------------------------------------------- student classes
class Layer:
    """The seed's base class, as a student copies it."""

    def __init__(self):
        self.prevIn, self.prevOut = None, None

    def setPrevIn(self, dataIn):
        self.prevIn = dataIn

    def setPrevOut(self, out):
        self.prevOut = out

    def backward(self, gradIn):
        return gradIn * self.gradient()


class TanhLayer(Layer):
    """Right, with an ``N x D`` gradient."""

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(np.tanh(dataIn))
        return self.prevOut

    def gradient(self):
        return 1 - self.prevOut ** 2


class TanhTensor(TanhLayer):
    """Right, with an ``N x K x D`` gradient."""

    def gradient(self):
        return np.array([np.diag(row) for row in 1 - self.prevOut ** 2])

    def backward(self, gradIn):
        return np.einsum("nk,nkd->nd", gradIn, self.gradient())


class Softmax(Layer):
    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        e = np.exp(dataIn - dataIn.max(axis=1, keepdims=True))
        self.setPrevOut(e / e.sum(axis=1, keepdims=True))
        return self.prevOut

    def gradient(self):
        return np.array([np.diag(s) - np.outer(s, s) for s in self.prevOut])

    def backward(self, gradIn):
        return np.einsum("nk,nkd->nd", gradIn, self.gradient())


def raises(check, context):
    """The ``CheckFailure`` that ``check(context)`` raises."""
    with np.errstate(all="ignore"), pytest.raises(CheckFailure) as info:
        check(context)
    return info.value


def number_of(text):
    """The float that ends ``text``."""
    return float(text.rsplit(" ", 1)[1])


def number(text, after):
    """The float printed after ``after`` in ``text``."""
    return float(re.search(re.escape(after) + r" ([-+0-9.e]+)", text).group(1))


class FullyConnected(Layer):
    """HW3's fully connected layer (``D x K`` weights, gradients as means); ``mistake`` breaks it."""

    def __init__(self, sizeIn, sizeOut, mistake=None):
        super().__init__()
        rng = np.random.default_rng(3)
        self.mistake = mistake
        self.weights = rng.uniform(-1, 1, (sizeIn, sizeOut))
        self.biases = rng.uniform(-1, 1, (1, sizeOut))
        if mistake == "integers":
            self.weights = rng.integers(-3, 3, (sizeIn, sizeOut))

    def getWeights(self):
        return self.weights

    def setWeights(self, weights):
        self.weights = weights

    def getBiases(self):
        return self.biases

    def setBiases(self, biases):
        self.biases = biases

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(dataIn @ self.weights + self.biases)
        return self.prevOut

    def gradient(self):
        return self.weights.T

    def backward(self, gradIn):
        return gradIn @ self.gradient()

    def updateWeights(self, gradIn, eta=0.0001):
        n = gradIn.shape[0]
        dW = self.prevIn.T @ gradIn / n
        db = gradIn.sum(axis=0) / n
        if self.mistake == "sums":
            dW, db = dW * n, db * n
        if self.mistake == "summed weights":
            dW = dW * n
        if self.mistake == "twice divided":
            dW, db = dW / n, db / n
        self.weights = self.weights - eta * dW
        self.biases = self.biases - eta * db


class FullyConnectedKxD(FullyConnected):
    """Weights stored ``K x D`` (``X W^T + b``)."""

    def __init__(self, sizeIn, sizeOut):
        super().__init__(sizeIn, sizeOut)
        self.weights = self.weights.T.copy()

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(dataIn @ self.weights.T + self.biases)
        return self.prevOut

    def gradient(self):
        return self.weights

    def updateWeights(self, gradIn, eta=0.0001):
        n = gradIn.shape[0]
        self.weights = self.weights - eta * (gradIn.T @ self.prevIn) / n
        self.biases = self.biases - eta * gradIn.sum(axis=0) / n


# --------------------------------------------------------------------------------- layer_checks
def test_forward_shapes_name_each_size_and_each_input():
    assert layer_checks._check_forward_shapes(LayerContext(TanhLayer)) == "1 x 3 -> 1 x 3, 7 x 3 -> 7 x 3"
    assert layer_checks._check_forward_shapes(LayerContext(gn.AddLayer, input_width=(2, 2))) == \
        "1 x 2 + 1 x 2 -> 1 x 2, 7 x 2 + 7 x 2 -> 7 x 2"
    assert layer_checks._check_forward_shapes(LayerContext(FullyConnected)) == "1 x 4 -> 1 x 3, 7 x 4 -> 7 x 3"


class OneRowTooMany(TanhLayer):
    def forward(self, dataIn):
        return np.tanh(np.vstack([dataIn, dataIn[:1]]))


class NaNForward(TanhLayer):
    def forward(self, dataIn):
        out = np.tanh(dataIn)
        out[-1, -1] = np.nan
        return out


class WidthGrowsWithN(TanhLayer):
    def forward(self, dataIn):
        return np.tanh(np.hstack([dataIn] + [dataIn[:, :1]] * (len(dataIn) > 1)))


def test_forward_shapes_fail_on_rows_nan_and_widths_that_change():
    context = LayerContext(OneRowTooMany)
    failure = raises(layer_checks._check_forward_shapes, context)
    assert failure.numbers == "N = 1: output has 2 rows"
    assert failure.hint == "one output row per observation"
    assert failure.failing_input.startswith("[[") and failure.failing_input.count("[") == 2  # N = 1
    failure = raises(layer_checks._check_forward_shapes, LayerContext(NaNForward))
    assert (failure.numbers, failure.hint) == ("N = 1: output holds NaN or inf", "")
    assert failure.failing_input.startswith("[[")
    failure = raises(layer_checks._check_forward_shapes, LayerContext(WidthGrowsWithN))
    assert failure.numbers == "output shapes ['3', '4'] differ between N = 1, 7"


def test_shape_joins_dimensions():
    assert layer_checks._shape((7, 2, 3)) == "7 x 2 x 3"
    assert layer_checks._shape((3,)) == "3"


class MeanOverBatch(TanhLayer):
    """Mixes rows in forward (subtracts the batch mean)."""

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(np.tanh(dataIn - dataIn.mean(axis=0)))
        return self.prevOut


class BatchScaledBackward(TanhLayer):
    """Right forward; its backward scales by the batch size."""

    def backward(self, gradIn):
        return gradIn * self.gradient() * len(gradIn)


class SaysWhy(TanhLayer):
    batch_dependence = "normalises each batch by design"


def test_rows_alone_numbers_and_failures():
    assert layer_checks._check_rows_alone(LayerContext(TanhLayer)) == "N = 7: worst relative difference 0.0e+00"
    assert layer_checks._check_rows_alone(LayerContext(gn.InputLayer)) == \
        "N = 7: forward, worst relative difference 0.0e+00"
    assert layer_checks._check_rows_alone(LayerContext(SaysWhy)) == \
        "not checked: SaysWhy normalises each batch by design"
    failure = raises(layer_checks._check_rows_alone, LayerContext(MeanOverBatch))
    assert failure.numbers.startswith("forward of 7 rows vs each row alone: relative error ")
    assert number(failure.numbers, "relative error") > 1e-3
    assert failure.hint == "observations must not interact: does forward mix rows (a mean over axis 0)?"
    failure = raises(layer_checks._check_rows_alone, LayerContext(BatchScaledBackward))
    assert failure.numbers.startswith("backward of 7 rows vs each row alone: relative error ")
    assert failure.hint == "observations must not interact in backward"


class Product:
    """Two inputs, right: ``a * b``."""
    n_inputs = 2

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def gradient(self):
        return self.b, self.a

    def backward(self, gradIn):
        return gradIn * self.b, gradIn * self.a


class SecondTwice(Product):
    def gradient(self):
        return self.b, 2 * self.a


class SecondInputMixed(Product):
    """Two inputs; the gradient of the second mixes rows."""

    def backward(self, gradIn):
        return gradIn * self.b, gradIn * self.a * len(gradIn)


def test_rows_alone_names_the_input_of_a_layer_of_two():
    failure = raises(layer_checks._check_rows_alone, LayerContext(SecondInputMixed, input_width=(2, 2)))
    assert failure.numbers.startswith("backward of 7 rows vs each row alone: input 1, relative error ")


def test_gradient_tensor_reads_each_form_and_reports_the_worst_error():
    for cls, form in ((TanhLayer, "N x D"), (TanhTensor, "N x K x D"), (FullyConnected, "K x D")):
        context = LayerContext(cls)
        numbers = layer_checks._check_gradient_tensor(context)
        assert numbers.startswith(f"{form}, N = 1, 7: worst relative error ")
        assert 1e-13 < number_of(numbers) < 1e-8
        assert context.conventions == {"gradient()": form}
    assert layer_checks._check_gradient_tensor(LayerContext(gn.InputLayer)) == \
        "not checked: an input layer needs no gradient (the assignment asks none)"


class SoftmaxDiagonal(Softmax):
    """Gives only the diagonal of softmax's Jacobians, as ``N x D``."""

    def gradient(self):
        return self.prevOut * (1 - self.prevOut)


class SharedFromFirstRow(TanhLayer):
    """A ``K x D`` gradient taken from the first row only."""

    def gradient(self):
        return np.diag(1 - self.prevOut[0] ** 2)


class TwiceTanh(TanhTensor):
    def gradient(self):
        return 2 * super().gradient()


def test_gradient_tensor_failures_name_the_form_row_and_input():
    failure = raises(layer_checks._check_gradient_tensor, LayerContext(SoftmaxDiagonal))
    assert failure.numbers == ("N = 1: gradient() is N x D (one derivative per entry), but this layer's "
                               "Jacobians are not diagonal")
    assert failure.hint == "return the N x D x D tensor"
    assert failure.failing_input.startswith("[[")
    failure = raises(layer_checks._check_gradient_tensor, LayerContext(SharedFromFirstRow))
    assert failure.numbers.startswith("N = 7, row 1: gradient() (K x D, shared): relative error ")
    assert failure.hint.startswith("gradient() / the finite differences varies from ")
    failure = raises(layer_checks._check_gradient_tensor, LayerContext(TwiceTanh))
    assert failure.numbers.startswith("N = 1, gradient() (N x K x D): relative error ")
    assert failure.hint == ("gradient() is about 2 times the finite differences everywhere: is a factor of the "
                            "local derivative missing?")
    assert failure.failing_input.startswith("[[")
    failure = raises(layer_checks._check_gradient_tensor, LayerContext(SecondTwice, input_width=(2, 2)))
    assert failure.numbers.startswith("N = 1, input 1, gradient() (N x D): relative error ")


def test_a_small_derivative_off_the_diagonal_is_not_a_diagonal_one():
    """The off-diagonal tolerance is 1e-6 of the Jacobian's size, at least of 1: a softmax of
    inputs scaled by 1e-9 has off-diagonal terms far below it, so its N x D gradient is judged
    by its values (wrong here), not called non-diagonal."""
    class Tiny(SoftmaxDiagonal):
        def forward(self, dataIn):
            return super().forward(dataIn * 1e-9)

    failure = raises(layer_checks._check_gradient_tensor, LayerContext(Tiny))
    assert "Jacobians are not diagonal" not in failure.numbers


def test_backward_contraction_numbers_and_failure():
    for cls in (TanhLayer, TanhTensor, FullyConnected):
        assert layer_checks._check_backward_is_contraction(LayerContext(cls)) == \
            "N = 1, 7: worst relative difference 0.0e+00"
    assert layer_checks._check_backward_is_contraction(LayerContext(gn.InputLayer)) == \
        "not checked: an input layer needs no gradient (the assignment asks none)"
    failure = raises(layer_checks._check_backward_is_contraction, LayerContext(BatchScaledBackward))
    assert failure.numbers.startswith("N = 7, backward(G) vs G x gradient(): relative error ")
    assert failure.hint == ("backward is about 7 times G x gradient() everywhere: is a factor of the local "
                            "derivative missing?")
    assert failure.failing_input.startswith("7 x 3, first row [[")
    failure = raises(layer_checks._check_backward_is_contraction, LayerContext(SecondInputMixed, input_width=(2, 2)))
    assert failure.numbers.startswith("N = 7, input 1, backward(G) vs G x gradient(): relative error ")

    class Mixes(TanhLayer):
        mixes_rows = True

    assert layer_checks._check_backward_is_contraction(LayerContext(Mixes)) == (
        "not checked: Mixes's backward carries gradients between rows, which no per-observation Jacobian holds "
        "(backward is checked against central differences)")


class SoftmaxDiagonalBackward(Softmax):
    def backward(self, gradIn):
        return gradIn * self.prevOut * (1 - self.prevOut)


class GradInBack(TanhLayer):
    def backward(self, gradIn):
        return gradIn


def test_backward_numerically_numbers_and_hints():
    numbers = layer_checks._check_backward_numerically(LayerContext(TanhLayer))
    assert numbers.startswith("N = 1, 7: worst relative error ") and 1e-13 < number_of(numbers) < 1e-8
    assert layer_checks._check_backward_numerically(LayerContext(gn.InputLayer)) == \
        "not checked: an input layer needs no gradient (the assignment asks none)"
    failure = raises(layer_checks._check_backward_numerically, LayerContext(SoftmaxDiagonalBackward))
    assert failure.numbers.startswith("N = 1, backward(G) vs central differences: relative error ")
    assert failure.hint == ("backward uses only the diagonal of the Jacobian: the off-diagonal terms "
                            "(softmax: -s_i s_j) are missing")
    assert failure.failing_input.startswith("[[")
    failure = raises(layer_checks._check_backward_numerically, LayerContext(GradInBack))
    assert failure.hint == "backward returns gradIn unchanged: is the factor of the local derivative missing?"
    failure = raises(layer_checks._check_backward_numerically, LayerContext(SecondInputMixed, input_width=(2, 2)))
    assert failure.numbers.startswith("N = 7, input 1, backward(G) vs central differences: relative error ")


def test_backward_numerically_of_a_layer_changing_width_has_no_diagonal_hint():
    class FCDiagonal(FullyConnected):
        def backward(self, gradIn):
            return gradIn[:, :1] * np.ones((1, 4))

    failure = raises(layer_checks._check_backward_numerically, LayerContext(FCDiagonal))
    assert "diagonal" not in failure.hint


def test_perturbed_gradient_is_a_central_difference_and_restores_the_value():
    class P:
        name = "weights"

        def __init__(self):
            self.value = np.array([[1.0, 2.0], [3.0, -1.0]])

        def get(self):
            return self.value.copy()

        def put(self, value):
            self.value = np.array(value)

    p = P()
    grad = layer_checks._perturbed_gradient(lambda: float(np.sum(p.value ** 3)), p)
    np.testing.assert_allclose(grad, 3 * np.array([[1.0, 2.0], [3.0, -1.0]]) ** 2, rtol=1e-8)
    assert np.array_equal(p.value, [[1.0, 2.0], [3.0, -1.0]])
    grad = layer_checks._perturbed_gradient(lambda: float(np.sum(np.abs(p.value - 1.0))), p, eps=0.5)
    np.testing.assert_allclose(grad, [[0.0, 1.0], [1.0, -1.0]])  # |x - 1| at its kink: 0


# ------------------------------------------------------------------------------- image layers
class PoolWithoutGradient(gn.MaxPoolLayer):
    def gradient(self):
        raise NotImplementedError("the assignment asks only backward")


class PoolGradientList(gn.MaxPoolLayer):
    def gradient(self):
        return [1.0, 2.0]


class PoolTwiceBackward(gn.MaxPoolLayer):
    def backward(self, gradIn):
        return 2 * super().backward(gradIn)


def test_image_layers_rows_are_compared_flattened():
    context = LayerContext(gn.MaxPoolLayer)
    assert context.image and context.sizes_tried == (1, 3)
    assert layer_checks._check_rows_alone(context) == "N = 3: worst relative difference 0.0e+00"
    assert layer_checks._check_backward_is_contraction(context) == "N = 1, 3: worst relative difference 0.0e+00"
    numbers = layer_checks._check_gradient_tensor(context)
    assert numbers.startswith("N x K x D, N = 1, 3: worst relative error ") and number_of(numbers) < 1e-8
    failure = raises(layer_checks._check_backward_is_contraction, LayerContext(PoolTwiceBackward))
    assert failure.numbers.startswith("N = 1, backward(G) vs G x gradient(): relative error ")
    assert "2 times G x gradient()" in failure.hint


def test_an_image_layer_without_a_readable_gradient_is_said_so_in_each_row():
    raised = ("not checked: PoolWithoutGradient.gradient() raised NotImplementedError, not a Jacobian of one "
              "observation's flattened output; an image layer's backward is checked against central differences "
              "instead")
    context = LayerContext(PoolWithoutGradient)
    assert layer_checks._check_gradient_tensor(context) == raised
    assert layer_checks._check_backward_is_contraction(context) == raised
    assert context.unread_gradient(context.layer(), 1, 18) == raised
    context = LayerContext(PoolGradientList)
    assert layer_checks._check_gradient_tensor(context) == raised.replace(
        "PoolWithoutGradient.gradient() raised NotImplementedError", "PoolGradientList.gradient() gave a list")
    layer = LayerContext(gn.MaxPoolLayer)
    probe = layer.layer()
    layer.forward(probe, layer.inputs(1))
    assert layer.unread_gradient(probe, 1, 18) is None
    assert LayerContext(TanhLayer).unread_gradient(SoftmaxDiagonal(), 1, 3) is None  # not an image layer
    numbers = layer_checks._check_backward_numerically(LayerContext(PoolWithoutGradient))
    assert numbers.startswith("N = 1, 3: worst relative error ")
    assert layer_advice.check_arguments_unchanged(LayerContext(PoolWithoutGradient)) == \
        "inputs and gradIn identical after forward, backward (N = 1, 3)"
    assert layer_advice.check_extremes(LayerContext(PoolWithoutGradient)) == \
        "|x| = 10000: forward, backward finite, no warnings"


# ----------------------------------------------------------------------------- parameter rows
def where(kind="getWeights/setWeights", biases="getBiases/setBiases"):
    return f"weights ({kind}), biases ({biases})"


def test_parameter_gradients_as_means_and_as_sums():
    context = LayerContext(FullyConnected)
    numbers = layer_checks._check_parameter_gradients(context)
    assert numbers.startswith(f"{where()} (gradients as means, updateWeights(gradIn, eta)), N = 1, 7: "
                              "worst relative error ")
    assert 0 < number_of(numbers) < 1e-6
    assert context.conventions == {"weights": "D x K", "parameter gradients": "mean"}
    context = LayerContext(lambda: FullyConnected(4, 3, "sums"))
    numbers = layer_checks._check_parameter_gradients(context)
    assert numbers.startswith(f"{where()} (gradients as sums, updateWeights(gradIn, eta)), N = 1, 7")
    assert 0 < number_of(numbers) < 1e-6
    assert context.conventions == {"weights": "D x K", "parameter gradients": "sum"}
    context = LayerContext(FullyConnectedKxD)
    assert layer_checks._check_parameter_gradients(context).startswith(f"{where()} (gradients as means")
    assert context.conventions == {"weights": "K x D", "parameter gradients": "mean"}


def test_a_pinned_convention_fails_the_parameter_row():
    context = LayerContext(FullyConnected, conventions={"weights": "K x D"})
    failure = raises(layer_checks._check_parameter_gradients, context)
    assert failure.numbers == "weights: the class follows 'D x K'; the teacher asks for 'K x D'"
    context = LayerContext(lambda: FullyConnected(4, 3, "sums"), conventions={"parameter gradients": "mean"})
    failure = raises(layer_checks._check_parameter_gradients, context)
    assert failure.numbers == "parameter gradients: the class follows 'sum' for weights; the teacher asks for 'mean'"


def test_parameter_gradients_one_summed_one_averaged():
    context = LayerContext(lambda: FullyConnected(4, 3, "summed weights"))
    failure = raises(layer_checks._check_parameter_gradients, context)
    assert failure.numbers == ("N = 7: the gradient of weights (getWeights/setWeights) is the sum over the N "
                               "observations (7 times the mean's), that of biases the mean: is the 1/N missing from "
                               "weights?")
    assert failure.hint == ("divide the gradient of weights by N, as that of biases is: both are gradients of the "
                            "mean objective")
    assert failure.explained


def test_parameter_gradients_divided_twice_is_named_at_n_7():
    context = LayerContext(lambda: FullyConnected(4, 3, "twice divided"))
    failure = raises(layer_checks._check_parameter_gradients, context)
    assert failure.numbers.startswith("N = 7, weights from updateWeights: relative error ")
    assert failure.hint == "1/N = 1/7 of the gradient of the mean: divided by N twice?"
    assert failure.failing_input.startswith("7 x 4, first row [[")


def test_parameter_gradients_off_by_two_at_n_1():
    class Doubled(FullyConnected):
        def updateWeights(self, gradIn, eta=0.0001):
            super().updateWeights(gradIn, 2 * eta)

    failure = raises(layer_checks._check_parameter_gradients, LayerContext(Doubled))
    assert failure.numbers.startswith("N = 1, weights from updateWeights: relative error ")
    assert failure.hint == ("the gradient of weights is about 2 times the finite differences everywhere: is a "
                            "factor of the local derivative missing?")


def test_biases_not_summed_over_the_observations_fail_on_their_shape():
    class Unsummed(FullyConnected):
        def updateWeights(self, gradIn, eta=0.0001):
            n = gradIn.shape[0]
            self.weights = self.weights - eta * self.prevIn.T @ gradIn / n
            self.biases = self.biases - eta * gradIn / n

    failure = raises(layer_checks._check_parameter_gradients, LayerContext(Unsummed))
    assert failure.numbers == "N = 7, biases from updateWeights: shape (7, 3), expected (1, 3)"


def test_parameter_rows_not_checked():
    assert layer_checks._check_parameter_gradients(LayerContext(TanhLayer)) == \
        "not checked: no parameters (no weights or biases found)"
    assert layer_checks._check_parameter_gradients(LayerContext(gn.TanhLayer)) == "not checked: no parameters"

    class NoUpdate(FullyConnected):
        updateWeights = None

    context = LayerContext(NoUpdate)
    assert layer_checks._check_parameter_gradients(context) == (
        f"not checked: {where()}, but no updateWeights to read their gradients from (HW3 asks for it)")
    assert context.conventions == {"weights": "D x K"}

    class ThreeArguments(FullyConnected):
        def updateWeights(self, gradIn, eta, momentum):
            pass

    assert layer_checks._check_parameter_gradients(LayerContext(ThreeArguments)) == (
        f"not checked: {where()}; updateWeights(gradIn, eta, momentum): the kit calls updateWeights(gradIn, eta) "
        "or updateWeights(eta)")

    class EtaOnly(FullyConnected):
        def backward(self, gradIn):
            self.kept = gradIn
            return super().backward(gradIn)

        def updateWeights(self, eta):
            super().updateWeights(self.kept, eta)

    assert layer_checks._check_parameter_gradients(LayerContext(EtaOnly)).startswith(
        f"{where()} (gradients as means, updateWeights(eta)), N = 1, 7: worst relative error ")


def test_integer_weights_are_named():
    failure = raises(layer_checks._check_parameter_gradients, LayerContext(lambda: FullyConnected(4, 3, "integers")))
    assert failure.numbers == ("weights (getWeights/setWeights) are int64 (integers): an update weights -= eta * "
                               "gradient cannot be stored in them")
    assert failure.hint == ("initialise weights and biases as floats (rng.normal(size=...), np.zeros(shape)), not "
                            "with integers (randint, dtype=int)")
    assert failure.explained


def test_an_image_layers_kernels_have_no_orientation():
    context = LayerContext(gn.ConvolutionalLayer)
    numbers = layer_checks._check_parameter_gradients(context)
    assert numbers.startswith("weights, biases (gradients of the mean), N = 1, 3: worst relative error ")
    assert "weights" not in context.conventions


def test_graphnn_parameters_numbers_and_failures():
    numbers = layer_checks._check_parameter_gradients(LayerContext(gn.FullyConnectedLayer))
    assert numbers.startswith("weights, biases (gradients of the mean), N = 1, 7: worst relative error ")
    assert 0 < number_of(numbers) < 1e-6

    class Float32(gn.FullyConnectedLayer):
        def __init__(self, sizeIn, sizeOut):
            super().__init__(sizeIn, sizeOut)
            self.weights.value = self.weights.value.astype(np.float32)

    failure = raises(layer_checks._check_parameter_gradients, LayerContext(Float32))
    assert failure.numbers == "weights is float32; the checks compare in float64"
    assert failure.hint == "check the layer built in float64: central differences need float64's digits"
    assert failure.explained

    class SummedGrad(gn.FullyConnectedLayer):
        def backward(self, gradIn):
            out = super().backward(gradIn)
            self.weights.grad = self.weights.grad * len(gradIn)
            return out

    failure = raises(layer_checks._check_parameter_gradients, LayerContext(SummedGrad))
    assert failure.numbers.startswith("N = 7, d(mean)/dweights: relative error ")
    assert failure.hint == "off by a factor N = 7: is the 1/N of the mean objective missing?"


# --------------------------------------------------------------------------------- layer_advice
class InPlaceForward(TanhLayer):
    def forward(self, dataIn):
        np.tanh(dataIn, out=dataIn)
        self.setPrevOut(dataIn)
        return dataIn


class InPlaceBackward(TanhLayer):
    def backward(self, gradIn):
        gradIn *= self.gradient()
        return gradIn


class InPlaceGradient(TanhLayer):
    def gradient(self):
        self.prevIn *= 0.5
        return 1 - self.prevOut ** 2

    def backward(self, gradIn):
        return gradIn * (1 - self.prevOut ** 2)


class InPlaceSecondInput(Product):
    def forward(self, a, b):
        self.a, self.b = a, b.copy()
        np.multiply(a, b, out=b)
        return b


def test_arguments_unchanged_numbers():
    assert layer_advice.check_arguments_unchanged(LayerContext(TanhLayer)) == \
        "inputs and gradIn identical after forward, backward, gradient (N = 1, 7)"
    assert layer_advice.check_arguments_unchanged(LayerContext(gn.InputLayer)) == \
        "inputs identical after forward (N = 1, 7)"
    assert layer_advice.check_arguments_unchanged(LayerContext(gn.MaxPoolLayer)) == \
        "inputs and gradIn identical after forward, backward, gradient (N = 1, 3)"


def test_arguments_changed_are_named_with_the_step():
    copy_hint = "work on a copy (x = x.copy()) or out of place (x = x * 2, not x *= 2)"
    failure = raises(layer_advice.check_arguments_unchanged, LayerContext(InPlaceForward))
    assert (failure.numbers, failure.hint) == ("N = 1: forward changed its input", copy_hint)
    failure = raises(layer_advice.check_arguments_unchanged, LayerContext(InPlaceGradient))
    assert (failure.numbers, failure.hint) == ("N = 1: gradient changed its input", copy_hint)
    failure = raises(layer_advice.check_arguments_unchanged, LayerContext(InPlaceSecondInput, input_width=(2, 2)))
    assert (failure.numbers, failure.hint) == ("N = 1: forward changed input 1", copy_hint)
    failure = raises(layer_advice.check_arguments_unchanged, LayerContext(InPlaceBackward))
    assert failure.numbers == "N = 1: backward changed gradIn"
    assert failure.hint == "backward must not write into gradIn (use G * f', not G *= f')"


class Recorder(TanhLayer):
    """Keeps what it is given."""
    seen = []

    def forward(self, dataIn):
        Recorder.seen.append(dataIn.copy())
        return super().forward(dataIn)

    def backward(self, gradIn):
        Recorder.seen.append(gradIn.copy())
        return super().backward(gradIn)


def test_extreme_inputs_are_plus_and_minus_1e4_and_seeded():
    Recorder.seen.clear()
    assert layer_advice.check_extremes(LayerContext(Recorder)) == \
        "|x| = 10000: forward, backward, gradient finite, no warnings"
    rng = np.random.default_rng([7, 17])
    signs = rng.choice([-1.0, 1.0], size=(7, 3))
    signs.flat[0], signs.flat[1] = 1.0, -1.0
    x, G = Recorder.seen
    assert np.array_equal(x, 1e4 * signs)
    assert np.array_equal(G, rng.standard_normal((7, 3)))
    assert layer_advice.check_extremes(LayerContext(gn.InputLayer)) == "|x| = 10000: forward finite, no warnings"


class NaiveSoftmax(Softmax):
    def forward(self, dataIn):
        e = np.exp(dataIn)
        self.setPrevOut(e / e.sum(axis=1, keepdims=True))
        return self.prevOut


class Exponential(TanhLayer):
    def forward(self, dataIn):
        self.setPrevOut(np.exp(dataIn))
        return self.prevOut


def test_extreme_inputs_failures():
    with np.errstate(all="ignore"):
        failure = raises(layer_advice.check_extremes, LayerContext(Exponential))
    rng = np.random.default_rng([7, 17])
    signs = rng.choice([-1.0, 1.0], size=(7, 3))
    signs.flat[0], signs.flat[1] = 1.0, -1.0
    assert failure.numbers == f"|x| = 10000: forward gives {int((signs > 0).sum())} NaN or inf entries"
    assert failure.hint == "use a stable formula (sigmoid: exp of -|x| only; softmax: subtract the row max)"
    assert raises(layer_advice.check_extremes, LayerContext(NaiveSoftmax)).numbers.startswith(
        "|x| = 10000: forward gives ")

    class BadBackward(TanhLayer):
        def backward(self, gradIn):
            return gradIn * np.inf

    failure = raises(layer_advice.check_extremes, LayerContext(BadBackward))
    assert (failure.numbers, failure.hint) == ("|x| = 10000: backward gives NaN or inf", "")

    class BadSecondBackward(Product):
        def backward(self, gradIn):
            return gradIn * self.b, gradIn * np.nan

    failure = raises(layer_advice.check_extremes, LayerContext(BadSecondBackward, input_width=(2, 2)))
    assert failure.numbers == "|x| = 10000: input 1, backward gives NaN or inf"

    class BadGradient(TanhLayer):
        def gradient(self):
            return super().gradient() / 0.0

        def backward(self, gradIn):
            return gradIn * (1 - self.prevOut ** 2)

    failure = raises(layer_advice.check_extremes, LayerContext(BadGradient))
    assert (failure.numbers, failure.hint) == ("|x| = 10000: gradient() gives NaN or inf", "")

    class BadSecondGradient(Product):
        def gradient(self):
            return self.b, self.a * np.inf

    failure = raises(layer_advice.check_extremes, LayerContext(BadSecondGradient, input_width=(2, 2)))
    assert failure.numbers == "|x| = 10000: gradient() gives NaN or inf"


def test_a_scalar_gradient_is_finite():
    class Linear(TanhLayer):
        def forward(self, dataIn):
            return dataIn.copy()

        def gradient(self):
            return 1.0

        def backward(self, gradIn):
            return gradIn.copy()

    assert layer_advice.check_extremes(LayerContext(Linear)) == \
        "|x| = 10000: forward, backward, gradient finite, no warnings"


def test_shape_forms_spell_a_shape_three_ways():
    assert layer_advice.shape_forms((2, 3)) == ("2 x 3", "(2, 3)", "2x3")
    assert layer_advice.shape_forms(np.array([4, 1, 5])) == ("4 x 1 x 5", "(4, 1, 5)", "4x1x5")


def test_require_refusals_verdicts():
    def refuse(exc):
        def call():
            raise exc
        return call

    hint = "check shapes first and raise ValueError(f'{type(self).__name__}: ...') naming them"
    with pytest.raises(CheckFailure) as info:
        layer_advice.require_refusals("Foo", [("first", refuse(ValueError("Foo: (2, 3)")), ()),
                                              ("second", lambda: None, ())])
    assert (info.value.numbers, info.value.hint) == (
        "second: no error raised", "refuse it with a ValueError that names the class and the shapes")
    with pytest.raises(CheckFailure) as info:
        layer_advice.require_refusals("Foo", [("call", refuse(RuntimeError("boom")), ())])
    assert (info.value.numbers, info.value.hint) == ("call: raised RuntimeError: boom, not a ValueError", hint)
    with pytest.raises(CheckFailure) as info:
        layer_advice.require_refusals("Foo", [("call", refuse(ValueError("bad")), (("2 x 3", "(2, 3)"), "4"))])
    assert info.value.numbers == "call: message 'ValueError: bad' does not name Foo, 2 x 3, 4"
    assert info.value.hint == hint
    with pytest.raises(CheckFailure) as info:
        layer_advice.require_refusals("Foo", [("call", refuse(TypeError("Foo: got (2, 3)")),
                                               (("2 x 3", "(2, 3)"), "4"))])
    assert info.value.numbers == "call: message 'TypeError: Foo: got (2, 3)' does not name 4"
    assert layer_advice.require_refusals("Foo", [("a", refuse(TypeError("Foo: 2x3")), (("2 x 3", "2x3"),)),
                                                 ("b", refuse(ValueError("Foo")), ())]) == \
        "2 wrong calls, each a ValueError naming Foo (and the shapes)"


def test_wrong_shapes_refused_by_graphnn_layers():
    for make, count in ((gn.TanhLayer, 4), (gn.FullyConnectedLayer, 5), (gn.InputLayer, 2), (gn.FlatteningLayer, 3),
                        (gn.ConvolutionalLayer, 4), (gn.MaxPoolLayer, 4)):
        assert layer_advice.check_wrong_shapes(LayerContext(make)) == \
            f"{count} wrong calls, each a ValueError naming {make.__name__} (and the shapes)"


class Picky(TanhLayer):
    """Refuses misshapen inputs naming itself and the shape; ``gradIn`` without the shapes."""
    input_ndim = 2

    def forward(self, dataIn):
        if dataIn.ndim != self.input_ndim:
            raise ValueError(f"{type(self).__name__}: input must be {self.input_ndim}-D, got shape {dataIn.shape}")
        return super().forward(dataIn)

    def backward(self, gradIn):
        if self.prevOut is None:
            raise ValueError(f"{type(self).__name__}: backward before forward")
        if gradIn.shape != self.prevOut.shape:
            raise ValueError(f"{type(self).__name__}: gradIn of the wrong shape")
        return super().backward(gradIn)


def test_wrong_shapes_labels():
    failure = raises(layer_advice.check_wrong_shapes, LayerContext(Picky))
    assert failure.numbers == ("backward with gradIn 3 x 4 after a 3 x 3 output: message 'ValueError: Picky: gradIn "
                               "of the wrong shape' does not name 3 x 3, 3 x 4")
    failure = raises(layer_advice.check_wrong_shapes, LayerContext(TanhLayer))
    assert failure.numbers == "forward with a 1-D input: no error raised"

    class NoForwardCheck(Picky):
        def backward(self, gradIn):
            return gradIn * self.gradient()

    failure = raises(layer_advice.check_wrong_shapes, LayerContext(NoForwardCheck))
    assert failure.numbers.startswith('backward before forward: message "TypeError: unsupported operand')

    class AnyRank(Picky):
        input_ndim = None

        def forward(self, dataIn):
            if dataIn.ndim < 2:
                raise ValueError(f"AnyRank: input must be 2-D at least, got shape {dataIn.shape}")
            return TanhLayer.forward(self, dataIn)

        def backward(self, gradIn):
            raise ValueError(f"AnyRank: gradIn {gradIn.shape}, output {np.shape(self.prevOut)}")

    assert layer_advice.check_wrong_shapes(LayerContext(AnyRank)) == \
        "4 wrong calls, each a ValueError naming AnyRank (and the shapes)"
    failure = raises(layer_advice.check_wrong_shapes, LayerContext(type("TwoInputs", (Product,), {})))
    assert failure.numbers == "forward with a 1-D input 0: no error raised"


def test_an_image_layer_without_its_channel_axis():
    class Pool(gn.MaxPoolLayer):
        def forward(self, dataIn):
            if dataIn.ndim != 4:
                raise ValueError(f"Pool: images are N x C x H x W, got shape {dataIn.shape}")
            return super().forward(dataIn)

        def backward(self, gradIn):
            raise ValueError("Pool: gradIn")

    failure = raises(layer_advice.check_wrong_shapes, LayerContext(Pool))
    assert failure.numbers.startswith("backward with gradIn 3 x 3 x 3 x 3 after a 3 x 2 x 3 x 3 output: ")


# -------------------------------------------------------------------------------- layer_context
def test_what_the_context_finds_about_plain_and_weights_layers():
    context = LayerContext(TanhLayer)
    assert (context.name, context.n_inputs, context.kind, context.built_from_data) == ("TanhLayer", 1, "plain", False)
    assert (context.shapes, context.widths, context.image, context.sizes_tried) == (((3,),), (3,), False, (1, 7))
    assert context.reference is gn.TanhLayer and context.make is TanhLayer
    assert context.sizes() == "N = 1, 7" and context.slot(0) == "" and context.flat_size(0) == 3
    assert context.data.shape == (20, 3) and context.notes == []
    context = LayerContext(FullyConnected)
    assert (context.kind, context.widths, context.reference) == ("weights", (4,), None)
    assert len(LayerContext._parameters(context.layer())) == 2
    own = LayerContext._parameters(gn.FullyConnectedLayer(2, 3))
    assert [p.name for p in own] == ["weights", "biases"] and all(isinstance(p, gn.Parameter) for p in own)
    context = LayerContext(Product, input_width=[2, 5])
    assert (context.n_inputs, context.widths, context.slot(1), context.flat_size(1)) == (2, (2, 5), "input 1, ", 5)
    assert [x.shape for x in context.inputs(7)] == [(7, 2), (7, 5)]


def test_input_widths_given_and_refused():
    context = LayerContext(TanhLayer, input_width=5)
    assert context.widths == (5,) and context.data.shape == (20, 5)
    assert LayerContext(TanhLayer, input_width=(6,)).data.shape == (20, 6)
    assert LayerContext(Product, input_width=4).widths == (4, 4)
    with pytest.raises(ValueError) as info:
        LayerContext(Product, input_width=(3,))
    assert str(info.value) == "check_layer: Product takes 2 inputs, got widths (3,)"
    for bad, problem in ((0, "input_width is 0: a width is a positive integer"),
                         (2.0, "input_width is 2.0, a float: a width is an integer (int(...)); 2 was used"),
                         ((3, "3"), "input_width is '3' (str), not a width (a positive integer)")):
        with pytest.raises(ValueError) as info:
            LayerContext(TanhLayer, input_width=bad)
        assert str(info.value) == (f"check_layer: {problem}; give a positive integer D (a tuple of them for a layer "
                                   "of several inputs)")


class WithSizeIn(TanhLayer):
    sizeIn = 3.0


def test_notes_on_sizes_that_are_no_widths():
    context = LayerContext(WithSizeIn)
    assert context.widths == (3,)
    assert context.notes == ["sizeIn is 3.0, a float: a width is an integer (int(...)); 3 was used"]
    context = LayerContext(type("Odd", (TanhLayer,), {"sizeIn": "5"}))
    assert context.widths == (3,)
    assert context.notes == ["sizeIn is '5' (str), not a width (a positive integer); the width 3 was tried"]

    class OddFullyConnected(FullyConnected):
        sizeIn = -2

    context = LayerContext(OddFullyConnected)
    assert context.widths == (4,)
    assert context.notes == ["sizeIn is -2: a width is a positive integer; the width 4 was read from the weights"]
    context = LayerContext(type("Two", (Product,), {"n_inputs": "2"}), input_width=3)
    assert context.n_inputs == 1
    assert context.notes == ["n_inputs is '2' (str), not a width (a positive integer); the layer was checked with 1 "
                             "input"]
    context = LayerContext(type("Two", (Product,), {"n_inputs": 2.0}), input_width=3)
    assert context.n_inputs == 2
    assert context.notes == ["n_inputs is 2.0, a float: a width is an integer (int(...)); 2 was used"]


def test_a_width_read_from_the_weights_tries_the_kits_size_in_first():
    class Transposed(FullyConnected):
        def __init__(self, sizeIn, sizeOut):
            super().__init__(sizeIn, sizeOut)
            self.weights = np.ones((5, sizeIn))

        def forward(self, dataIn):
            return dataIn @ self.weights.T

    assert LayerContext(Transposed).widths == (4,)

    class Broken(FullyConnected):
        def forward(self, dataIn):
            raise ValueError("not today")

    with pytest.raises(ValueError) as info:
        LayerContext(lambda: Broken(3, 4))
    assert str(info.value) == (
        "check_layer: cannot tell Broken's input width: it has no sizeIn attribute, and forward failed on the widths "
        "its weights suggest (4 and 3; ValueError: not today). Give the class a sizeIn attribute, or pass "
        "check_layer(Broken, input_width=D)")

    class Short(FullyConnected):
        sizeIn = 0

        def forward(self, dataIn):
            return dataIn[:1] @ self.weights

    with pytest.raises(ValueError) as info:
        LayerContext(Short)
    assert str(info.value).startswith("check_layer: cannot tell Short's input width: sizeIn is 0: a width is a "
                                      "positive integer, and forward failed on the widths its weights suggest "
                                      "(4 and 3). Give the class")


def test_an_input_layer_gets_inputs_like_its_data():
    context = LayerContext(gn.InputLayer)
    assert (context.kind, context.built_from_data, context.widths) == ("input", True, (3,))
    (x,) = context.inputs(7)
    z = np.random.default_rng([7, 0, 15]).standard_normal((7, 3))
    np.testing.assert_allclose(x, context.data.mean(axis=0) + context.data.std(axis=0) * z)
    assert LayerContext(lambda: gn.InputLayer(np.ones((5, 3)) + np.arange(3))).built_from_data is False
    assert LayerContext(type("InputLayer", (TanhLayer,), {})).kind == "input"


def test_inputs_and_grad_in_are_seeded_by_size_and_salt():
    from graphnn.grading.inputs import away_from_zero_inputs
    context = LayerContext(TanhLayer)
    for n, salt in ((1, 0), (7, 0), (7, 3)):
        (x,) = context.inputs(n, salt)
        (expected,) = away_from_zero_inputs(3)(np.random.default_rng([n, salt, 15]), n)
        assert np.array_equal(x, expected)
    assert np.array_equal(LayerContext.gradIn((7, 3)), np.random.default_rng([7, 1, 16]).standard_normal((7, 3)))
    assert np.array_equal(LayerContext.gradIn((2, 3), 5), np.random.default_rng([2, 5, 16]).standard_normal((2, 3)))


def test_make_inputs_decide_the_shapes():
    context = LayerContext(TanhLayer, make_inputs=lambda rng, n: [rng.integers(-3, 3, (n, 5))])
    assert context.shapes == ((5,),) and context.widths == (5,) and not context.image
    (x,) = context.inputs(2)
    assert x.dtype == np.float64 and x.shape == (2, 5) and np.array_equal(x, np.round(x))
    context = LayerContext(TanhLayer, make_inputs=lambda rng, n: rng.standard_normal((n, 2, 4)))
    assert context.shapes == ((2, 4),) and context.widths == ((2, 4),) and context.image
    assert context.sizes_tried == (1, 3)
    context = LayerContext(gn.MaxPoolLayer, input_shape=(1, 4, 4))
    assert context.shapes == ((1, 4, 4),) and context.widths == ((1, 4, 4),) and context.flat_size(0) == 16
    assert LayerContext(gn.MaxPoolLayer).shapes == ((2, 6, 6),)


def test_forward_refuses_what_is_no_batch():
    class Flat(TanhLayer):
        def forward(self, dataIn):
            return np.tanh(dataIn).ravel()

    with pytest.raises(CheckFailure) as info:
        LayerContext(TanhLayer).forward(Flat(), (np.ones((2, 3)),))
    assert info.value.numbers == "forward returned an array of shape (6,), not a 2-D N x K array"
    assert info.value.hint == "every value is 2-D: one row per observation, also for N = 1"
    with pytest.raises(CheckFailure) as info:
        LayerContext(gn.MaxPoolLayer).forward(type("L", (), {"forward": lambda self, x: [1.0]})(), (np.ones((1, 2)),))
    assert info.value.numbers == "forward returned a list, not an N x K array"
    assert info.value.hint == "the first axis is the observations, also for N = 1"
    context = LayerContext(gn.MaxPoolLayer)
    out = context.forward(context.layer(), context.inputs(1))
    assert out.shape == (1, 2, 3, 3)


def test_forward_and_backward_work_on_copies_unless_told():
    context = LayerContext(InPlaceBackward)
    x, G = np.full((2, 3), 0.5), np.ones((2, 3))
    layer = InPlaceBackward()
    context.forward(layer, (x,))
    (back,) = context.backward(layer, G)
    assert np.array_equal(G, np.ones((2, 3))) and back.dtype == np.float64
    context.backward(layer, G, copy=False)
    assert not np.array_equal(G, np.ones((2, 3)))
    context.forward(InPlaceForward(), (x,))
    assert np.array_equal(x, np.full((2, 3), 0.5))
    context.forward(InPlaceForward(), (x,), copy=False)
    assert np.array_equal(x, np.tanh(np.full((2, 3), 0.5)))


def test_backward_and_gradient_of_a_layer_of_two_inputs():
    context = LayerContext(Product, input_width=(2, 2))
    layer = Product()
    context.forward(layer, (np.ones((1, 2)), np.full((1, 2), 3)))
    grads = context.backward(layer, np.ones((1, 2)))
    assert [g.tolist() for g in grads] == [[[3.0, 3.0]], [[1.0, 1.0]]]
    assert [form for _, form, _ in context.jacobians(layer, 1, 2)] == ["N x D", "N x D"]

    class OneGradient(Product):
        def backward(self, gradIn):
            return gradIn * self.b

        def gradient(self):
            return [self.b]

    layer = OneGradient()
    context.forward(layer, (np.ones((1, 2)), np.ones((1, 2))))
    with pytest.raises(CheckFailure) as info:
        context.backward(layer, np.ones((1, 2)))
    assert info.value.numbers == "backward returned an array of shape (1, 2), not 2 gradients (one per input)"
    with pytest.raises(CheckFailure) as info:
        context.jacobians(layer, 1, 2)
    assert info.value.numbers == "gradient() returned a list: one Jacobian per input, or a shared one"

    class Shared(Product):
        def gradient(self):
            return np.ones((1, 2))

    layer = Shared()
    context.forward(layer, (np.ones((1, 2)), np.ones((1, 2))))
    assert len(context.jacobians(layer, 1, 2)) == 2


def test_a_square_gradient_is_shared_only_for_a_layer_with_weights():
    context = LayerContext(TanhLayer, input_width=7)
    layer = TanhLayer()
    context.forward(layer, context.inputs(7))
    ((tensor, form, raw),) = context.jacobians(layer, 7, 7)
    assert form == "N x D" and tensor.shape == (7, 7, 7) and raw.shape == (7, 7)
    context = LayerContext(lambda: FullyConnected(7, 7))
    layer = context.layer()
    context.forward(layer, context.inputs(7))
    assert context.jacobians(layer, 7, 7)[0][1] == "K x D"
    assert context.conventions == {"gradient()": "K x D"}


def test_a_float32_layer_is_noted_and_explained():
    class Float32(TanhLayer):
        def forward(self, dataIn):
            self.setPrevOut(np.tanh(dataIn).astype(np.float32))
            return self.prevOut

    context = LayerContext(Float32)
    layer = Float32()
    context.forward(layer, context.inputs(1))
    assert context.notes[0].startswith("forward returns float32; the checks compare in float64")
    explained = context.explain(CheckFailure("N = 1: wrong", "a hint", "[[1.]]"))
    assert explained.numbers == "forward returns float32: N = 1: wrong" and explained.explained
    assert explained.failing_input == "[[1.]]"
    (back,) = context.backward(layer, np.ones((1, 3), dtype=np.float32))
    assert context.notes[0].startswith("forward and backward return float32") and back.dtype == np.float64
    two = LayerContext(Product, input_width=(2, 2))
    product = Product()
    two.forward(product, (np.ones((1, 2), dtype=np.float32), np.ones((1, 2), dtype=np.float32)), copy=False)
    assert [g.dtype for g in two.backward(product, np.ones((1, 2), dtype=np.float32))] == [np.float64] * 2


# ---------------------------------------------------------------------------------- check_layer
def test_check_layer_passes_each_argument_on():
    assert check_layer(TanhLayer, 5)["forward shapes"].numbers == "1 x 5 -> 1 x 5, 7 x 5 -> 7 x 5"
    assert check_layer(gn.MaxPoolLayer, input_shape=(1, 4, 4))["forward shapes"].numbers == \
        "1 x 1 x 4 x 4 -> 1 x 1 x 2 x 2, 3 x 1 x 4 x 4 -> 3 x 1 x 2 x 2"
    report = check_layer(TanhLayer, make_inputs=lambda rng, n: (rng.uniform(1, 2, (n, 2)),))
    assert report["forward shapes"].numbers == "1 x 2 -> 1 x 2, 7 x 2 -> 7 x 2"
    report = check_layer(TanhLayer, conventions={"gradient()": "N x K x D"})
    assert report["gradient() vs central differences"].numbers == \
        "gradient(): the class follows 'N x D'; the teacher asks for 'N x K x D'"
    assert check_layer(TanhLayer, reference=None)["same values as graphnn"].numbers.startswith(
        "not checked: graphnn has no class named TanhLayer")
    assert check_layer(TanhLayer, reference=gn.LogisticSigmoidLayer)["same values as graphnn"].numbers.startswith(
        "N = 1: forward vs graphnn's LogisticSigmoidLayer")


def test_advice_decides_only_when_strict():
    report = check_layer(TanhLayer)
    assert report.passed and report.advice == ["wrong shapes refused"] and not report.strict
    assert report.conventions == {"gradient()": "N x D"}
    report = check_layer(TanhLayer, strict=True)
    assert not report.passed and report.failed == ["wrong shapes refused"] and report.strict
    with pytest.raises(AssertionError) as info:
        check_layer(TanhLayer, raise_on_failure=True, strict=True)
    assert "FAILED 1 of 11: TanhLayer" in str(info.value)
    assert [name for name, _ in layer_checks.LAYER_CHECKS][-3:] == list(layer_checks.LAYER_ADVICE)


class SlowOnce(TanhLayer):
    """Its first gradient() takes 1.5 s."""
    slept = False

    def gradient(self):
        if not SlowOnce.slept:
            SlowOnce.slept = True
            time.sleep(1.5)
        return super().gradient()


def test_each_check_has_the_time_limit():
    SlowOnce.slept = False
    report = check_layer(SlowOnce, timeout=0.6)
    assert report.failed[0] == "rows independent" and "timed out" in report["rows independent"].numbers
    assert report["parameter gradients"].numbers == "not run: 'rows independent' timed out"
    SlowOnce.slept = False
    assert not check_layer(SlowOnce, timeout=None, time_limit=0.6).passed
    SlowOnce.slept = False
    assert check_layer(SlowOnce, timeout=0.6, time_limit=5).passed


def test_building_a_class_has_the_time_limit():
    class SlowToBuild(TanhLayer):
        def __init__(self):
            super().__init__()
            time.sleep(1.0)

    report = check_layer(SlowToBuild, timeout=0.4)
    assert report.subject == "SlowToBuild" and report.strict is False
    numbers = report["forward shapes"].numbers
    assert numbers.startswith("SlowToBuild") and "timed out after" in numbers
    assert numbers.endswith("(while building the class, before the checks)")
    assert check_layer(SlowToBuild, timeout=0.4, strict=True).strict is True
    assert report["extreme inputs"].numbers == "not run: building the class timed out"
    with pytest.raises(AssertionError):
        check_layer(SlowToBuild, timeout=0.4, strict=True, raise_on_failure=True)


class FlatteningLayer(TanhLayer):
    """A student's flattening, without any check of its input."""

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        return dataIn.reshape(len(dataIn), -1)

    def backward(self, gradIn):
        return gradIn.reshape(self.prevIn.shape)


def test_a_flattening_of_images_is_not_refused_other_ranks():
    failure = raises(layer_advice.check_wrong_shapes, LayerContext(FlatteningLayer, input_shape=(2, 3, 3)))
    assert failure.numbers.startswith("backward before forward: raised AttributeError")


def test_an_image_input_layer_is_only_called_forward():
    class InputLayer:
        """Scales pixels; no gradient, no backward (an input layer needs none)."""

        def __init__(self, dataIn):
            self.top = float(np.max(dataIn))

        def forward(self, dataIn):
            return dataIn / self.top

    context = LayerContext(InputLayer, make_inputs=lambda rng, n: rng.uniform(0, 255, (n, 1, 4, 4)))
    assert context.kind == "input" and context.image
    assert layer_advice.check_arguments_unchanged(context) == "inputs identical after forward (N = 1, 3)"


def test_extremes_of_image_layers_reach_their_gradient():
    for make in (gn.MaxPoolLayer, gn.ConvolutionalLayer):
        assert layer_advice.check_extremes(LayerContext(make)) == \
            "|x| = 10000: forward, backward, gradient finite, no warnings"


def test_a_graphnn_style_parameter_gradient_off_by_two_is_named():
    class Doubled(gn.FullyConnectedLayer):
        def backward(self, gradIn):
            out = super().backward(gradIn)
            self.weights.grad = 2 * self.weights.grad
            return out

    failure = raises(layer_checks._check_parameter_gradients, LayerContext(Doubled))
    assert failure.numbers.startswith("N = 1, d(mean)/dweights: relative error ")
    assert failure.hint == ("the gradient of weights is about 2 times the finite differences everywhere: is a "
                            "factor of the local derivative missing?")


def test_a_shared_gradient_that_is_wrong_is_named_with_its_input():
    class FullyConnectedTwice(FullyConnected):
        def gradient(self):
            return 2 * self.weights.T

    failure = raises(layer_checks._check_gradient_tensor, LayerContext(FullyConnectedTwice))
    assert failure.numbers.startswith("N = 1, gradient() (K x D): relative error ")
    assert failure.hint == ("gradient() is about 2 times the finite differences everywhere: is a factor of the "
                            "local derivative missing?")
    assert failure.failing_input.startswith("[[")

    class WeightedSum(Product):
        """a + 2 b, with the Jacobian of the first input given as shared for both."""

        def forward(self, a, b):
            return a + 2 * b

        def gradient(self):
            return np.eye(3)

    failure = raises(layer_checks._check_gradient_tensor, LayerContext(WeightedSum, input_width=(3, 3)))
    assert failure.numbers.startswith("N = 1, input 1, gradient() (K x D): relative error ")


def test_backward_returning_grad_in_is_named_against_the_contraction():
    failure = raises(layer_checks._check_backward_is_contraction, LayerContext(GradInBack))
    assert failure.numbers.startswith("N = 1, backward(G) vs G x gradient(): relative error ")
    assert failure.hint == "backward returns gradIn unchanged: is the factor of the local derivative missing?"


def test_biases_that_become_a_row_are_read_in_their_own_shape():
    class RowBiases(FullyConnected):
        def __init__(self, sizeIn, sizeOut):
            super().__init__(sizeIn, sizeOut)
            self.biases = self.biases.ravel()  # K, until the first update makes it 1 x K

        def updateWeights(self, gradIn, eta=0.0001):
            n = gradIn.shape[0]
            self.weights = self.weights - eta * self.prevIn.T @ gradIn / n
            self.biases = self.biases - eta * np.sum(gradIn, axis=0, keepdims=True) / n

    assert layer_checks._check_parameter_gradients(LayerContext(RowBiases)).startswith(
        f"{where()} (gradients as means, updateWeights(gradIn, eta)), N = 1, 7: worst relative error ")


class Concat:
    """Two inputs of widths 2 and 3 side by side; gradient() one shared K x D per input."""
    n_inputs = 2

    def forward(self, a, b):
        return np.hstack([a, b])

    def gradient(self):
        return np.eye(5)[:, :2], np.eye(5)[:, 2:]

    def backward(self, gradIn):
        return gradIn[:, :2], gradIn[:, 2:]


def test_extremes_read_a_gradient_per_input():
    assert layer_advice.check_extremes(LayerContext(Concat, input_width=(2, 3))) == \
        "|x| = 10000: forward, backward, gradient finite, no warnings"


class Strict(TanhLayer):
    """Refuses every misshapen call by name and shapes (no input_ndim attribute)."""

    def forward(self, dataIn):
        if dataIn.ndim != 2:
            raise ValueError(f"{type(self).__name__}: input must be 2-D, got shape {dataIn.shape}")
        return super().forward(dataIn)

    def backward(self, gradIn):
        if self.prevOut is None or gradIn.shape != self.prevOut.shape:
            raise ValueError(f"{type(self).__name__}: gradIn {gradIn.shape}, output {np.shape(self.prevOut)}")
        return super().backward(gradIn)


def test_wrong_shapes_labels_of_each_case():
    assert layer_advice.check_wrong_shapes(LayerContext(Strict)) == \
        "5 wrong calls, each a ValueError naming Strict (and the shapes)"

    class TakesThreeAxes(Strict):
        def forward(self, dataIn):
            return TanhLayer.forward(self, dataIn) if dataIn.ndim == 3 else super().forward(dataIn)

    assert raises(layer_advice.check_wrong_shapes, LayerContext(TakesThreeAxes)).numbers == \
        "forward with a 3-D input: no error raised"

    class AnyRankTakesOne(Strict):
        input_ndim = None

        def forward(self, dataIn):
            return TanhLayer.forward(self, dataIn)

    assert raises(layer_advice.check_wrong_shapes, LayerContext(AnyRankTakesOne)).numbers == \
        "forward with a 1-D input: no error raised"

    class WidthOnly(Strict):
        def backward(self, gradIn):
            if self.prevOut is None or gradIn.shape[1] != self.prevOut.shape[1]:
                raise ValueError(f"WidthOnly: gradIn {gradIn.shape}, output {np.shape(self.prevOut)}")
            return gradIn[:len(self.prevOut)] * (1 - self.prevOut ** 2)

    assert raises(layer_advice.check_wrong_shapes, LayerContext(WidthOnly)).numbers == \
        "backward with gradIn 4 x 3 after a 3 x 3 output: no error raised"


def test_more_context_details():
    assert LayerContext(FullyConnected, input_width=2).layer().weights.shape == (2, 3)

    class BiasesOnly(TanhLayer):
        def __init__(self):
            super().__init__()
            self.biases = np.zeros((1, 3))

    with pytest.raises(ValueError) as info:
        LayerContext(BiasesOnly)
    assert "its weights suggest (none). Give the class" in str(info.value)

    class Loud(FullyConnected):
        def forward(self, dataIn):
            raise ValueError("x" * 100)

    with pytest.raises(ValueError) as info:
        LayerContext(lambda: Loud(3, 4))
    assert f"(4 and 3; ValueError: {'x' * 80}). Give" in str(info.value)

    class SizedInput:
        def __init__(self, dataIn):
            self.sizeIn, self.mean = dataIn.shape[1], dataIn.mean(axis=0)

        def forward(self, dataIn):
            return dataIn - self.mean

    context = LayerContext(lambda: type("InputLayer", (SizedInput,), {})(np.ones((4, 5))))
    assert (context.kind, context.built_from_data, context.widths) == ("input", False, (5,))

    class AsList(TanhLayer):
        def gradient(self):
            return super().gradient().tolist()

    context = LayerContext(AsList)
    layer = AsList()
    context.forward(layer, context.inputs(7))
    assert context.jacobians(layer, 7, 3)[0][1] == "N x D"

    class OneOfTwo(Product):
        def backward(self, gradIn):
            return (gradIn * self.b,)

    context = LayerContext(OneOfTwo, input_width=(2, 2))
    layer = OneOfTwo()
    context.forward(layer, context.inputs(1))
    with pytest.raises(CheckFailure) as info:
        context.backward(layer, np.ones((1, 2)))
    assert info.value.numbers == "backward returned a tuple, not 2 gradients (one per input)"


def test_a_float32_gradient_is_noted_by_name():
    class Float32(TanhLayer):
        def gradient(self):
            return super().gradient().astype(np.float32)

    context = LayerContext(Float32)
    layer = Float32()
    context.forward(layer, context.inputs(1))
    context.jacobians(layer, 1, 3)
    assert context.notes[0].startswith("gradient() returns float32; the checks compare in float64")
