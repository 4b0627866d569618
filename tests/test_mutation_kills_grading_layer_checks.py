"""check_layer's rows (layer_checks, layer_advice) on student classes the other tests do not
write: what each row says, its numbers and key words, for a class holding one mistake. The
classes are written as students write them (they inherit nothing from graphnn)."""
import numpy as np
import pytest

from graphnn.grading import layer_advice, layer_checks
from graphnn.grading.layer_context import LayerContext
from graphnn.grading.report import CheckFailure


# ----------------------------------------------------------------------------- student classes
class FullyConnected:
    """The seed's fully connected layer (``D x K`` weights), refusing misshapen inputs by name;
    its backward, ``gradIn @ gradient()``, needs only the weights, so it runs before forward."""

    def __init__(self, sizeIn, sizeOut):
        rng = np.random.default_rng(3)
        self.weights = rng.uniform(-1, 1, (sizeIn, sizeOut))
        self.biases = rng.uniform(-1, 1, (1, sizeOut))
        self.prevIn = None

    def forward(self, dataIn):
        if np.ndim(dataIn) != 2:
            raise ValueError(f"{type(self).__name__}: input must be 2-D, got shape {np.shape(dataIn)}")
        self.prevIn = dataIn
        return dataIn @ self.weights + self.biases

    def gradient(self):
        return self.weights.T

    def backward(self, gradIn):
        return gradIn @ self.gradient()


class TanhLayer:
    """Right, with an ``N x D`` gradient."""

    def forward(self, dataIn):
        self.prevOut = np.tanh(dataIn)
        return self.prevOut

    def gradient(self):
        return 1 - self.prevOut ** 2

    def backward(self, gradIn):
        return gradIn * (1 - self.prevOut ** 2)


class GradientStub(TanhLayer):
    """Its ``gradient()`` is still the seed's stub: it returns ``None``."""

    def gradient(self):
        pass


def coupled(scale, coupling):
    """A layer ``scale * x`` plus ``coupling`` times each row's sum: a Jacobian ``scale`` on the
    diagonal (plus ``coupling``) and ``coupling`` off it; its ``gradient()`` gives the diagonal
    only, as ``N x D``."""
    class Coupled:
        def forward(self, dataIn):
            self.prevIn = dataIn
            return scale * dataIn + coupling * dataIn.sum(axis=1, keepdims=True)

        def gradient(self):
            return np.full(self.prevIn.shape, scale + coupling)

        def backward(self, gradIn):
            return scale * gradIn + coupling * gradIn.sum(axis=1, keepdims=True)

    return Coupled


def raises(check, context):
    """The ``CheckFailure`` that ``check(context)`` raises."""
    with np.errstate(all="ignore"), pytest.raises(CheckFailure) as info:
        check(context)
    return info.value


# --------------------------------------------------------------------------------- layer_checks
def test_off_diagonal_terms_are_measured_against_the_jacobians_size_at_least_1():
    """An ``N x D`` gradient is refused as "not diagonal" when the Jacobians' off-diagonal
    terms exceed 1e-6 of their largest entry, or of 1 when that is smaller: 2e-6 off a
    diagonal of 10 is within it (the gradient is judged by its values, right here), 1.5e-6
    off a diagonal of 1 is not."""
    numbers = layer_checks._check_gradient_tensor(LayerContext(coupled(10.0, 2e-6)))
    assert numbers.startswith("N x D, N = 1, 7: worst relative error ")
    failure = raises(layer_checks._check_gradient_tensor, LayerContext(coupled(1.0, 1.5e-6)))
    assert "Jacobians are not diagonal" in failure.numbers
    assert failure.hint == "return the N x D x D tensor"


# --------------------------------------------------------------------------------- layer_advice
def test_backward_before_forward_is_called_with_a_gradient_of_the_outputs_width():
    """The call before any forward gives a ``gradIn`` as wide as the default output (3): a
    fully connected layer of 3 outputs multiplies it by its weights without complaint, and
    the row says no error was raised (not a matmul error of the kit's own making)."""
    failure = raises(layer_advice.check_wrong_shapes, LayerContext(FullyConnected))
    assert failure.numbers == "backward before forward: no error raised"
    assert failure.hint == "refuse it with a ValueError that names the class and the shapes"


def test_extremes_call_a_gradient_of_none_not_finite():
    """A ``gradient()`` that returns ``None`` (a stub) is no finite Jacobian: the row fails
    naming ``gradient()``, rather than crashing on ``None``."""
    failure = raises(layer_advice.check_extremes, LayerContext(GradientStub))
    assert failure.numbers == "|x| = 10000: gradient() gives NaN or inf"
    assert layer_advice.check_extremes(LayerContext(TanhLayer)) == \
        "|x| = 10000: forward, backward, gradient finite, no warnings"


def test_extreme_inputs_of_one_entry_are_tried():
    """A layer of width 1: the extremes are 7 rows of one entry each, the first +1e4 and the
    second -1e4 (set across rows, not within one), and the row passes for tanh."""
    import graphnn as gn
    from graphnn.grading.checks import check_layer

    row = check_layer(gn.TanhLayer, input_width=1)["extreme inputs"]
    assert row.passed, row.numbers
    assert row.numbers.startswith("|x| = 10000: ")
