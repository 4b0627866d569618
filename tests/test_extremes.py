"""Numerical extremes (issue 8): huge inputs to the squashing layers, estimates of exactly 0
and 1 for the probabilistic objectives, and whole graphs driven into saturation.

Everything here must give finite outputs and gradients, and no ``RuntimeWarning`` (overflow,
division by zero, invalid value): every test runs with warnings turned into errors, here as
well as through setup.cfg, so the file means the same when run outside pytest's config.
"""
import warnings

import numpy as np
import pytest

from graphnn import (
    CrossEntropy, FullyConnectedLayer, Graph, LogisticSigmoidLayer, LogLoss, SoftmaxLayer,
    SquaredError, TanhLayer,
)
from graphnn.objectives.CrossEntropy import EPSILON as CE_EPSILON
from graphnn.objectives.LogLoss import EPSILON as LL_EPSILON

DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def magnitudes(dtype):
    """1e4 (the issue's), and the largest finite value of the dtype."""
    return (1e4, float(np.finfo(dtype).max))


def huge(dtype, m):
    """Rows mixing +m, -m, m/2, 0 and small values: saturated and unsaturated entries side by side."""
    return np.array([[m, -m, 0.5 * m, 0.0, 1.0],
                     [-m, -m, -m, -m, -m],
                     [m, m, m, m, m],
                     [-0.5 * m, 2.0, -3.0, m, -m]], dtype=dtype)


def check_layer(layer, X):
    out = layer.forward(X)
    assert out.dtype == X.dtype and np.isfinite(out).all()
    G = np.linspace(-1.0, 1.0, out.size, dtype=X.dtype).reshape(out.shape)
    back = layer.backward(G)
    assert back.dtype == X.dtype and np.isfinite(back).all()
    jacobians = layer.gradient()
    assert np.isfinite(jacobians).all()
    return out, back


# --- activations ----------------------------------------------------------------------------

@DTYPES
def test_sigmoid_saturates_to_1_and_to_the_smallest_normal_number_it_reaches(dtype):
    """The upper tail is exactly 1 with a zero derivative. The lower tail stops at
    ``1 / (1 + exp(cap))``, ``exp``'s argument being capped so that it cannot overflow and the
    result stays normal: about 9e-308 in float64, 4.5e-38 in float32, within 5 times the
    smallest normal number; the derivative there is the same tiny number."""
    tiny = np.finfo(dtype).tiny
    for m in magnitudes(dtype):
        X = huge(dtype, m)
        out, back = check_layer(LogisticSigmoidLayer(), X)
        assert (out >= 0).all() and (out <= 1).all()
        assert (out[X >= 1e4] == 1).all() and (back[X >= 1e4] == 0).all()
        low = out[X <= -1e4]
        assert ((low >= tiny) & (low < 5 * tiny)).all()  # normal, and as small as that allows
        assert (np.abs(back[X <= -1e4]) < 5 * tiny).all()
        np.testing.assert_allclose(out[0, 3:], [0.5, 1 / (1 + np.exp(-1.0))], rtol=1e-6)


@DTYPES
def test_tanh_saturates_to_exactly_plus_minus_1_with_zero_derivative(dtype):
    for m in magnitudes(dtype):
        X = huge(dtype, m)
        out, back = check_layer(TanhLayer(), X)
        assert (out[X >= 1e4] == 1).all() and (out[X <= -1e4] == -1).all()
        assert (back[np.abs(X) >= 1e4] == 0).all()


@DTYPES
def test_softmax_of_huge_inputs_is_a_distribution(dtype):
    for m in magnitudes(dtype):
        X = huge(dtype, m)
        out, back = check_layer(SoftmaxLayer(), X)
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
        np.testing.assert_array_equal(out[0], [1, 0, 0, 0, 0])  # m dominates m/2 and the rest
        np.testing.assert_allclose(out[1], 0.2, rtol=1e-6)       # all equal: uniform
        np.testing.assert_allclose(out[2], 0.2, rtol=1e-6)
        # A one-hot softmax is flat: every gradient through it is 0.
        np.testing.assert_array_equal(back[0], 0)


def test_softmax_of_a_spread_beyond_the_float_range():
    """max - min overflows to inf here (max - x = 3.6e308): exp must give 0, silently."""
    top = np.finfo(np.float64).max
    out, _ = check_layer(SoftmaxLayer(), np.array([[top, -top, 0.0]]))
    np.testing.assert_array_equal(out, [[1.0, 0.0, 0.0]])


# --- objectives at estimates of exactly 0 and 1 ----------------------------------------------

@DTYPES
def test_log_loss_at_estimates_of_exactly_0_and_1(dtype):
    Y = np.array([[0.0, 0.0, 1.0, 1.0, 0.5]], dtype=dtype)
    Yhat = np.array([[0.0, 1.0, 0.0, 1.0, 1.0]], dtype=dtype)
    objective = LogLoss()
    J = objective.eval(Y, Yhat)
    G = objective.gradient(Y, Yhat)
    assert np.isfinite(J) and np.isfinite(G).all() and G.dtype == dtype
    # right and sure: ~0 loss, gradient ~1; wrong and sure: -ln(1e-7) = 16.1 and ~1e7.
    # (Near 1 the clip is 1 - 1e-7 rounded to the dtype: float32 has 1 - 1.19e-7.)
    miss_at_0 = -np.log(LL_EPSILON)
    miss_at_1 = -np.log(1.0 - float(dtype(1.0 - LL_EPSILON)))
    per_entry = [0.0, miss_at_1, miss_at_0, 0.0, 0.5 * miss_at_1]
    assert J == pytest.approx(sum(per_entry), rel=1e-5, abs=1e-5)
    assert abs(G[0, 0]) == pytest.approx(1.0, rel=1e-5)
    assert G[0, 1] == pytest.approx(1 / LL_EPSILON, rel=0.5)  # 1e7 (float32: 8.4e6)
    assert G[0, 2] == pytest.approx(-1 / LL_EPSILON, rel=0.5)
    assert G[0, 3] == pytest.approx(-1.0, rel=1e-5)


@DTYPES
def test_log_loss_is_finite_for_every_label_and_every_extreme_estimate(dtype):
    estimates = np.array([0.0, np.nextafter(0, 1), 1e-300, 1e-7, 1 - 1e-12, 1.0])
    for y in (0.0, 1.0, 0.3):
        Y = np.full((1, estimates.size), y, dtype=dtype)
        Yhat = estimates.astype(dtype).reshape(1, -1)
        assert np.isfinite(LogLoss().eval(Y, Yhat))
        assert np.isfinite(LogLoss().gradient(Y, Yhat)).all()


@DTYPES
def test_cross_entropy_at_estimates_of_exactly_0_and_1(dtype):
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]], dtype=dtype)
    Yhat = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    objective = CrossEntropy()
    J = objective.eval(Y, Yhat)
    G = objective.gradient(Y, Yhat)
    assert np.isfinite(J) and np.isfinite(G).all() and G.dtype == dtype
    miss = -np.log(CE_EPSILON)
    assert J == pytest.approx((0.0 + miss + 0.5 * miss) / 3, rel=1e-5)
    assert G[0, 0] == -1.0 and G[1, 1] == pytest.approx(-1 / CE_EPSILON, rel=1e-5)
    assert (G[Y == 0] == 0).all()  # no target mass, no gradient (not 0 / 0)


# --- whole graphs driven into saturation ---------------------------------------------------

def saturated_graph(activation, objective, dtype, width, fuse=True):
    g = Graph(fuse=fuse)
    g.input("X", requires_grad=True)  # every gradient, down to the input, must be finite
    g.add(FullyConnectedLayer(width, width, seed=0, dtype=dtype), "X", name="fc")
    g.op("fc").setWeights(np.eye(width))
    g.op("fc").setBiases(np.zeros((1, width)))
    g.add(activation, "fc", name="act")
    g.add(objective, g.input("Y"), "act", name="loss")
    return g


CHAINS = {
    "sigmoid-logloss": (LogisticSigmoidLayer, LogLoss, lambda n, k: np.tile([[0.0], [1.0]], (n // 2, k))),
    "softmax-crossentropy": (SoftmaxLayer, CrossEntropy,
                             lambda n, k: np.eye(k)[np.arange(n) % k]),
    "tanh-squared-error": (TanhLayer, SquaredError, lambda n, k: np.zeros((n, k))),
}


@DTYPES
@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "unfused"])
@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_graph_at_logits_of_magnitude_1e4_is_finite_forward_and_backward(chain, fuse, dtype):
    activation, objective, targets = CHAINS[chain]
    n, k = 8, 3
    signs = np.where(np.arange(n * k).reshape(n, k) % 3 == 0, 1.0, -1.0)
    X = (1e4 * signs).astype(dtype)
    g = saturated_graph(activation(), objective(), dtype, k, fuse)
    J = g.forward(X=X, Y=targets(n, k).astype(dtype), check_finite=True)  # raises on NaN/inf
    g.backward(check_finite=True)
    assert np.isfinite(J)
    assert g.value("act").dtype == dtype
    for name in ("X", "fc", "act"):
        assert np.isfinite(g.grad(name)).all() and g.grad(name).dtype == dtype
    assert np.isfinite(g.grad_out("loss")).all() and g.grad_out("loss").dtype == dtype
    for parameter in g.parameters():
        assert np.isfinite(parameter.grad).all() and parameter.grad.dtype == dtype
    if chain != "tanh-squared-error":  # wrong and sure: the loss is large but finite
        assert J > 1.0


def test_squared_error_at_magnitude_1e4():
    Y = np.full((3, 2), -1e4)
    Yhat = np.full((3, 2), 1e4)
    assert SquaredError().eval(Y, Yhat) == pytest.approx(2 * 4e8)
    np.testing.assert_array_equal(SquaredError().gradient(Y, Yhat), 4e4)
