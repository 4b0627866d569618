"""Issue 16: the traps a student or a teacher meets first, each with its test."""
import numpy as np
import pytest

import graphnn as gn


# ---------------------------------------------------------------------------- Parameter as array
def test_a_parameter_works_where_numpy_expects_an_array():
    fc = gn.FullyConnectedLayer(3, 2, seed=0)
    W = fc.weights.value
    assert np.asarray(fc.weights) is W                      # no copy when none is needed
    x = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(np.dot(x, fc.weights), x @ W)
    np.testing.assert_array_equal(np.array(fc.weights), W)
    assert np.array(fc.weights) is not W                    # np.array copies, as for arrays
    assert np.asarray(fc.weights, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(np.asarray(fc.weights, dtype=np.float32), W.astype(np.float32))
    assert (np.asarray(fc.weights) + 0).shape == (3, 2)


def test_a_parameter_follows_numpy_2s_copy_keyword():
    p = gn.Parameter(np.arange(4.0).reshape(2, 2), "weights")
    assert p.__array__(copy=True) is not p.value
    np.testing.assert_array_equal(p.__array__(copy=True), p.value)
    assert p.__array__(copy=False) is p.value
    assert p.__array__(np.float64, copy=False) is p.value
    with pytest.raises(ValueError, match="'weights'.*copy=False"):
        p.__array__(np.float32, copy=False)
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        with pytest.raises(ValueError):
            np.asarray(p, dtype=np.float32, copy=False)
        assert np.asarray(p, copy=False) is p.value
