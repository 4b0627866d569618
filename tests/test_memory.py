"""Memory stays O(N D): backward passes never build the N x D x D Jacobian tensor.

Byte counts from tracemalloc (numpy reports its allocations to it) are deterministic, unlike
times, so they can be asserted here.
"""
import tracemalloc

import numpy as np
import pytest

from graphnn import LogisticSigmoidLayer, ReLULayer, SoftmaxLayer, TanhLayer

N, D = 64, 1000  # one N x D float64 array: 512 KB; the tensor would be 512 MB


def peak_bytes(action):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = action()
        return tracemalloc.get_traced_memory()[1] - before, result
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("layer_class", [SoftmaxLayer, LogisticSigmoidLayer, TanhLayer, ReLULayer])
def test_backward_peak_memory_is_a_few_n_by_d_arrays(layer_class):
    rng = np.random.default_rng(0)
    X, G = rng.standard_normal((N, D)), rng.standard_normal((N, D))
    layer = layer_class()
    layer.forward(X)
    peak, grad = peak_bytes(lambda: layer.backward(G))
    assert grad.shape == (N, D)
    assert peak <= 3 * X.nbytes, f"{layer_class.__name__}.backward peaked at {peak / X.nbytes:.1f} N x D arrays"


def test_the_tensor_form_is_what_backward_avoids():
    """gradient() does build N x D x D (the seed's tensor form), which is D times larger."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, D))
    layer = SoftmaxLayer()
    layer.forward(X)
    peak, tensor = peak_bytes(layer.gradient)
    assert tensor.shape == (4, D, D)
    assert peak >= tensor.nbytes == D * X.nbytes
