"""Small image layers for the tests of values of any rank (tests/test_nd_values.py), written
here so that those tests depend on no convolution of graphnn's own:

- ``ChannelMixLayer(c_in, c_out)``: a 1 x 1 convolution, ``N x C_in x H x W`` ->
  ``N x C_out x H x W``, weights ``C_out x C_in x 1 x 1`` (a 4-D parameter, as a
  convolution's kernels are) and biases ``C_out``;
- ``SpatialSumLayer()``: ``N x C x H x W`` -> ``N x C``, the sum over each channel's pixels.

Both keep the seed's interface and the conventions (per-observation gradients through the
network, parameter gradients of the mean).
"""
import numpy as np

from graphnn import Parameter
from graphnn.layers.Layer import Layer, checked_backward, checked_forward


class ChannelMixLayer(Layer):
    """``y[n, o] = sum_c W[o, c] x[n, c] + b[o]`` at every pixel: a 1 x 1 convolution."""

    input_ndim = 4

    def __init__(self, c_in, c_out, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.weights = Parameter(rng.standard_normal((c_out, c_in, 1, 1)) / np.sqrt(c_in), "weights")
        self.biases = Parameter(rng.standard_normal(c_out) * 0.1, "biases")

    def describe(self):
        c_out, c_in = self.weights.value.shape[:2]
        return f"ChannelMixLayer {c_in}->{c_out}"

    def parameters(self):
        return (self.weights, self.biases)

    def check_input(self, X):
        if X.shape[1] != self.weights.value.shape[1]:
            raise ValueError(f"{self.describe()}: input must have {self.weights.value.shape[1]} "
                             f"channels, got shape {X.shape}")

    @checked_forward
    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        W = self.weights.value[:, :, 0, 0]
        out = np.einsum("nchw,oc->nohw", dataIn, W) + self.biases.value[None, :, None, None]
        self.setPrevOut(out)
        return out

    def gradient(self):
        raise ValueError(f"{self.describe()}: no Jacobian here; backward computes G W per pixel")

    @checked_backward
    def backward(self, gradIn):
        self.backward_parameters.__wrapped__(self, gradIn)
        return np.einsum("nohw,oc->nchw", gradIn, self.weights.value[:, :, 0, 0])

    @checked_backward
    def backward_parameters(self, gradIn):
        X, n = self.getPrevIn(), gradIn.shape[0]
        dW = np.einsum("nohw,nchw->oc", gradIn, X) / n
        self.weights.accumulate(dW[:, :, None, None])
        self.biases.accumulate(gradIn.sum(axis=(0, 2, 3)) / n)


class SpatialSumLayer(Layer):
    """``y[n, c] = sum_{h, w} x[n, c, h, w]``: ``N x C x H x W`` in, ``N x C`` out."""

    input_ndim = 4

    @checked_forward
    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        out = dataIn.sum(axis=(2, 3))
        self.setPrevOut(out)
        return out

    def gradient(self):
        raise ValueError("SpatialSumLayer: no Jacobian here; backward spreads G over the pixels")

    @checked_backward
    def backward(self, gradIn):
        return np.broadcast_to(gradIn[:, :, None, None], self.getPrevIn().shape).copy()
