"""Registries of every layer and objective, for the shared contract suites.

``tests/test_layer_contract.py`` runs ``graphnn.grading.checks.check_layer`` (the contract, kept in
one place) on every entry of ``LAYER_CASES``, and ``tests/test_objectives.py`` runs
``check_objective`` on every entry of ``OBJECTIVE_CASES``. A new layer gets the whole
contract suite by being registered here (and ``test_every_layer_is_registered`` fails until it
is), rather than by copying tests.

A layer case gives:

- ``make()``: a fresh layer, ready for ``forward``;
- ``input_widths``: one width per input (``len(input_widths) == layer.n_inputs``);
- ``make_inputs(rng, n)``: a tuple of float64 inputs, one per input, each ``n x width``, well
  scaled (so that central differences are accurate) and away from any kink;
- ``make_float32()`` (optional): the same layer with float32 parameters/statistics, used for the
  "float32 in -> float32 out" check of layers that own arrays of their own dtype; ``None``
  means ``make`` is used.

Multi-input layers (``n_inputs > 1``) take ``forward(*inputs)`` and return a tuple with one
gradient per input from ``backward``. Their ``gradient()`` gives either a tuple with one Jacobian
per input (ConcatLayer) or a single Jacobian shared by every input (AddLayer).
"""
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np

from graphnn import (
    AddLayer, ConcatLayer, CrossEntropy, FullyConnectedLayer, InputLayer, LinearLayer,
    LogisticSigmoidLayer, LogLoss, MultiplyLayer, OneMinusLayer, SliceLayer, InitialStateLayer,
    DropoutLayer, BatchNormLayer, ConvolutionalLayer, FlatteningLayer, MaxPoolLayer,
    ReLULayer, SoftmaxLayer, SquaredError, TanhLayer,
)
from graphnn.grading.checks import away_from_zero_inputs, distribution_pair


@dataclass(frozen=True)
class LayerCase:
    name: str
    make: Callable[[], object]
    input_widths: Tuple[int, ...]
    make_inputs: Callable[[np.random.Generator, int], tuple]
    make_float32: Optional[Callable[[], object]] = None

    @property
    def n_inputs(self):
        return len(self.input_widths)


def standard_normal_inputs(*widths):
    """``make_inputs`` drawing each input from a standard normal."""
    def make_inputs(rng, n):
        return tuple(rng.standard_normal((n, width)) for width in widths)
    return make_inputs


# --- InputLayer: statistics from a fixed 20 x 4 matrix; column 2 is constant (std = 0). ---
_INPUT_DATA = np.random.default_rng(1234).normal(
    loc=[3.0, -1.0, 0.0, 10.0], scale=[2.0, 0.5, 1.0, 4.0], size=(20, 4))
_INPUT_DATA[:, 2] = 7.0


def make_input_layer():
    return InputLayer(_INPUT_DATA)


def make_input_layer_float32():
    return InputLayer(_INPUT_DATA.astype(np.float32))


# --- FullyConnectedLayer 4 -> 3, with O(1) weights so its gradients are well scaled. ---
_FC_WEIGHTS = np.array([[0.5, -1.2, 0.8],
                        [1.1, 0.3, -0.7],
                        [-0.4, 0.9, 1.3],
                        [0.2, -0.6, 0.45]])
_FC_BIASES = np.array([[0.1, -0.3, 0.25]])


def make_fc(dtype=np.float64):
    layer = FullyConnectedLayer(4, 3, seed=0, dtype=dtype)
    layer.setWeights(_FC_WEIGHTS)
    layer.setBiases(_FC_BIASES)
    return layer


def make_initial_state(dtype=np.float64):
    layer = InitialStateLayer(3, dtype=dtype)
    layer.state.value = np.array([[0.5, -1.0, 0.25]], dtype=dtype)  # not zeros: a real check
    return layer


def make_dropout(training=True):
    """p = 0.5, the mask kept for inputs of one shape: central differences run forward often."""
    layer = DropoutLayer(0.5, seed=0)
    layer.keep_mask = True
    layer.training = training
    return layer


def make_batch_norm(training=True, dtype=np.float64):
    """Width 3, with a scale and shift that are not ones and zeros, and running statistics
    that are not zeros and ones (inference reads them)."""
    layer = BatchNormLayer(3, dtype=dtype)
    layer.scale.value = np.array([[1.5, -0.5, 2.0]], dtype=dtype)
    layer.shift.value = np.array([[0.1, -0.2, 0.3]], dtype=dtype)
    layer.running_mean = np.array([[0.2, -0.1, 0.5]], dtype=dtype)
    layer.running_var = np.array([[1.2, 0.8, 2.5]], dtype=dtype)
    layer.training = training
    return layer


LAYER_CASES = [
    LayerCase("InputLayer", make_input_layer, (4,), standard_normal_inputs(4),
              make_float32=make_input_layer_float32),
    LayerCase("FullyConnectedLayer", make_fc, (4,), standard_normal_inputs(4),
              make_float32=lambda: make_fc(np.float32)),
    LayerCase("LinearLayer", LinearLayer, (3,), standard_normal_inputs(3)),
    LayerCase("ReLULayer", ReLULayer, (3,), away_from_zero_inputs(3)),
    LayerCase("LogisticSigmoidLayer", LogisticSigmoidLayer, (3,), standard_normal_inputs(3)),
    LayerCase("TanhLayer", TanhLayer, (3,), standard_normal_inputs(3)),
    LayerCase("SoftmaxLayer", SoftmaxLayer, (4,), standard_normal_inputs(4)),
    LayerCase("AddLayer", AddLayer, (3, 3), standard_normal_inputs(3, 3)),
    LayerCase("AddLayer-3-inputs", lambda: AddLayer(3), (2, 2, 2), standard_normal_inputs(2, 2, 2)),
    LayerCase("ConcatLayer", ConcatLayer, (2, 3), standard_normal_inputs(2, 3)),
    LayerCase("ConcatLayer-3-inputs", lambda: ConcatLayer(3), (1, 3, 2),
              standard_normal_inputs(1, 3, 2)),
    LayerCase("MultiplyLayer", MultiplyLayer, (3, 3), standard_normal_inputs(3, 3)),
    LayerCase("OneMinusLayer", OneMinusLayer, (3,), standard_normal_inputs(3)),
    LayerCase("SliceLayer", lambda: SliceLayer(1, 3), (4,), standard_normal_inputs(4)),
    LayerCase("InitialStateLayer", make_initial_state, (2,), standard_normal_inputs(2),
              make_float32=lambda: make_initial_state(np.float32)),
    LayerCase("DropoutLayer", make_dropout, (3,), standard_normal_inputs(3)),
    LayerCase("DropoutLayer-inference", lambda: make_dropout(training=False), (3,), standard_normal_inputs(3)),
    LayerCase("BatchNormLayer", make_batch_norm, (3,), standard_normal_inputs(3),
              make_float32=lambda: make_batch_norm(dtype=np.float32)),
    LayerCase("BatchNormLayer-inference", lambda: make_batch_norm(training=False), (3,),
              standard_normal_inputs(3),
              make_float32=lambda: make_batch_norm(training=False, dtype=np.float32)),
]


# --- Image layers: N x C x H x W inputs ----------------------------------------------------
# Not in LAYER_CASES (their inputs are N x C x H x W): tests/test_conv_layers.py runs the
# contract on them (shapes for N = 1 and 7, rows independent, central differences, gradient()
# against backward, parameter gradients of the mean, dtypes, messages), tests/test_layer_contract.py
# runs check_layer (the grading kit) on them with their input shapes, and
# test_every_concrete_layer_is_registered counts them.
# FlatteningLayer is here too: it takes any rank by design. tests/test_layer_contract.py also
# runs check_layer (the grading kit) on each of these, with their input shapes.

@dataclass(frozen=True)
class ImageLayerCase:
    name: str
    make: Callable[[], object]
    input_shape: Tuple[int, int, int]  # C x H x W of one observation
    make_float32: Optional[Callable[[], object]] = None

    def make_inputs(self, rng, n):
        """One ``n x C x H x W`` float64 input, standard normal (ties have probability 0)."""
        return (rng.standard_normal((n,) + self.input_shape),)


def make_conv(dtype=np.float64, **options):
    """2 -> 3 channels, a 3 x 2 kernel, stride (2, 1), padding (1, 0): every argument a pair
    whose two numbers differ, so a swapped axis shows."""
    options = {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0), **options}
    return ConvolutionalLayer(2, 3, seed=0, dtype=dtype, **options)


IMAGE_LAYER_CASES = [
    ImageLayerCase("ConvolutionalLayer", make_conv, (2, 5, 4),
                   make_float32=lambda: make_conv(np.float32)),
    ImageLayerCase("ConvolutionalLayer-3x3-pad1", lambda: ConvolutionalLayer(1, 2, 3, padding=1, seed=1),
                   (1, 4, 4),
                   make_float32=lambda: ConvolutionalLayer(1, 2, 3, padding=1, seed=1, dtype=np.float32)),
    ImageLayerCase("MaxPoolLayer", lambda: MaxPoolLayer(2), (2, 4, 5)),
    ImageLayerCase("MaxPoolLayer-overlapping", lambda: MaxPoolLayer((3, 2), stride=1), (2, 4, 4)),
    ImageLayerCase("FlatteningLayer-4d", FlatteningLayer, (2, 3, 2)),
]


# --- Objectives ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ObjectiveCase:
    name: str
    make: Callable[[], object]
    make_pair: Callable[[np.random.Generator, int, int], tuple]  # (rng, N, K) -> (Y, Yhat)


def squared_error_pair(rng, n, k):
    return rng.standard_normal((n, k)), rng.standard_normal((n, k))


def log_loss_pair(rng, n, k):
    """Y in {0, 1} (both values present when there is room), Yhat in (0.05, 0.95)."""
    Y = rng.integers(0, 2, size=(n, k)).astype(np.float64)
    if Y.size > 1:
        Y.flat[0], Y.flat[1] = 0.0, 1.0
    return Y, rng.uniform(0.05, 0.95, size=(n, k))


#: Y one-hot rows and distributions, Yhat a softmax (graphnn.grading.checks's default pair)
cross_entropy_pair = distribution_pair


OBJECTIVE_CASES = [
    ObjectiveCase("SquaredError", SquaredError, squared_error_pair),
    ObjectiveCase("LogLoss", LogLoss, log_loss_pair),
    ObjectiveCase("CrossEntropy", CrossEntropy, cross_entropy_pair),
]
