"""The 2-D convolutional layer (a cross-correlation with learnable kernels, as PyTorch's
``conv2d`` and ONNX ``Conv``)."""
import math

import numpy as np

from .._validation import describe_shape, integer_at_least, random_generator, require_same_shape
from ..parameter import Parameter
from .Layer import Layer, checked_backward, checked_forward
from .windows import (
    add_windows, describe_pair, output_size, pair, require_small_jacobian, windows,
)

OWNER = "ConvolutionalLayer"


class ConvolutionalLayer(Layer):
    """``Y[n, o] = b[o] + sum_c X[n, c] * K[o, c]``, where ``*`` is the 2-D cross-correlation
    (the kernel is not flipped: PyTorch's ``conv2d``, ONNX ``Conv``).

    Input ``N x C x H x W`` (``C = in_channels``), output ``N x O x H' x W'`` (``O =
    out_channels``), with ``H' = (H + 2 ph - kh) // sh + 1`` and ``W'`` likewise: the input
    is padded with ``ph`` rows of zeros above and below and ``pw`` columns left and right,
    and a ``kh x kw`` window moves over it ``sh`` rows and ``sw`` columns at a time.
    ``kernel_size``, ``stride`` and ``padding`` are each an int or a pair ``(rows, columns)``,
    stored as pairs. One image of one channel is ``x.reshape(1, 1, H, W)``.

    Parameters: ``weights`` (``O x C x kh x kw``, the kernels; PyTorch's layout) and
    ``biases`` (``O``), drawn uniformly in ``[-1/sqrt(C kh kw), 1/sqrt(C kh kw)]``, as
    PyTorch's ``Conv2d`` does. Not the seed's ``1e-4``: a convolution reads only ``C kh kw``
    inputs, and kernels that small keep every output near zero, so the kernels' gradients,
    which go through the weights of every later layer, are tiny too, and a kernel takes
    thousands of steps to show a pattern. ``seed`` or ``rng`` (a numpy ``Generator``) make the
    draw reproducible; ``dtype`` (float64 by default) is the parameters' dtype.

    The local rules, for ``G = dJ/dY`` per observation (``N x O x H' x W'``) and stride 1:

    - ``dX = sum_o G[n, o] *full* flip(K[o, c])``: the full cross-correlation of ``G`` with the
      kernel flipped in both axes (each input pixel collects the gradient of every output its
      windows touched, weighted by the kernel entry that joined them); padding is then cut
      off. With a stride, ``G`` is spread out with ``s - 1`` zeros between its entries first.
    - ``dK[o, c] = sum_n X[n, c] * G[n, o] / N``: the cross-correlation of the (padded) input
      with the output's gradient, averaged over the observations (the gradient of the mean
      objective, as ``FullyConnectedLayer``'s ``dW = X^T G / N``).
    - ``db[o] = sum over n, i, j of G[n, o, i, j] / N``.

    Computed as matrix products (im2col): the ``C kh kw`` pixels of every window, ``cols``
    (``N x C kh kw x H' W'``), times the kernels as an ``O x C kh kw`` matrix; ``dK`` is
    ``G cols^T / N``, and ``dX`` adds ``K^T G`` back onto the windows' pixels, one kernel
    offset at a time (col2im).

    ``gradient()`` is the Jacobian of one observation's flattened output with respect to its
    flattened input, ``O H' W' x C H W`` (C order), the same for every observation (as the
    fully connected layer's ``W^T``); built only for small images.

    >>> conv = ConvolutionalLayer(1, 2, 3, padding=1, seed=0)
    >>> conv.forward(np.zeros((5, 1, 8, 8))).shape
    (5, 2, 8, 8)
    """

    short_name = "conv"  # node names in a Graph: conv1, conv2, ...
    input_ndim = 4

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, seed=None,
                 rng=None, dtype=np.float64):
        super().__init__()
        self.in_channels = integer_at_least(in_channels, 1, OWNER, "in_channels")
        self.out_channels = integer_at_least(out_channels, 1, OWNER, "out_channels")
        self.kernel_size = pair(kernel_size, 1, OWNER, "kernel_size")
        self.stride = pair(stride, 1, OWNER, "stride")
        self.padding = pair(padding, 0, OWNER, "padding")
        rng = random_generator(seed, rng, OWNER)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise ValueError(f"{OWNER}: dtype must be a floating type, got {dtype}")
        bound = 1.0 / math.sqrt(self.fan_in)
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        self.weights = Parameter(rng.uniform(-bound, bound, shape).astype(dtype), "weights")
        self.biases = Parameter(rng.uniform(-bound, bound, (self.out_channels,)).astype(dtype),
                                "biases")
        self._cols = None  # the last forward's windows, N x C kh kw x H' W': backward reads them

    @property
    def fan_in(self):
        """``C kh kw``: how many inputs each output reads."""
        return self.in_channels * self.kernel_size[0] * self.kernel_size[1]

    def describe(self):
        """``'ConvolutionalLayer 1->8 3x3'``, followed by ``stride 2`` and ``padding 1`` (or
        ``2x1``) when they are not the defaults."""
        text = f"{OWNER} {self.in_channels}->{self.out_channels} {describe_pair(self.kernel_size)}"
        for name, value, default in (("stride", self.stride, (1, 1)), ("padding", self.padding, (0, 0))):
            if value != default:
                text += f" {name} {value[0] if value[0] == value[1] else describe_pair(value)}"
        return text

    def parameters(self):
        """``(weights, biases)``: ``O x C x kh x kw`` and ``O``."""
        return (self.weights, self.biases)

    def zero_grad(self):
        """Reset the gradients of ``weights`` and ``biases`` to zero."""
        self.weights.zero_grad()
        self.biases.zero_grad()

    def getWeights(self):
        """The kernels, ``O x C x kh x kw``: the parameter's array itself, not a copy."""
        return self.weights.value

    def setWeights(self, weights):
        """Replace the kernels by a copy of ``weights`` (``O x C x kh x kw``), in the
        parameters' dtype. Raises ``ValueError`` for another shape or NaN or inf entries."""
        self.weights.value = self._checked_parameter(weights, self.weights, "weights")

    def getBiases(self):
        """The biases, ``O``: the parameter's array itself, not a copy."""
        return self.biases.value

    def setBiases(self, biases):
        """Replace the biases by a copy of ``biases`` (``O``), in the parameters' dtype.
        Raises ``ValueError`` for another shape or NaN or inf entries."""
        self.biases.value = self._checked_parameter(biases, self.biases, "biases")

    def _checked_parameter(self, value, parameter, what):
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{self.describe()}: {what} could not be read as an array ({err})") from None
        if array.dtype.kind not in "fiub":
            raise ValueError(f"{self.describe()}: {what} must be numeric, got dtype {array.dtype}")
        require_same_shape(array, parameter.shape, self.describe(), what)
        bad = ~np.isfinite(array)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{self.describe()}: {what} ({describe_shape(array.shape)}) holds {int(bad.sum())} "
                f"NaN or inf entries, the first at index {first} ({array[first]})"
            )
        return array.astype(parameter.value.dtype)  # a copy: the caller's array stays theirs

    def check_input(self, X):
        """Refuse an input with another number of channels, or smaller than the kernel once
        padded."""
        if X.shape[1] != self.in_channels:
            raise ValueError(
                f"{self.describe()}: input must have {self.in_channels} channel"
                f"{'s' if self.in_channels > 1 else ''} (N x {self.in_channels} x H x W), got "
                f"{describe_shape(X.shape)}"
            )
        (ph, pw), (kh, kw) = self.padding, self.kernel_size
        if X.shape[2] + 2 * ph < kh or X.shape[3] + 2 * pw < kw:
            raise ValueError(
                f"{self.describe()}: input images of {X.shape[2]} x {X.shape[3]} pixels, padded to "
                f"{X.shape[2] + 2 * ph} x {X.shape[3] + 2 * pw}, are smaller than the "
                f"{kh} x {kw} kernel (got {describe_shape(X.shape)})"
            )

    def _padded(self, X):
        ph, pw = self.padding
        if ph == 0 and pw == 0:
            return X
        n, channels, height, width = X.shape
        padded = np.zeros((n, channels, height + 2 * ph, width + 2 * pw), dtype=X.dtype)
        padded[:, :, ph:ph + height, pw:pw + width] = X  # a third of np.pad's time, here
        return padded

    @checked_forward
    def forward(self, dataIn):
        """The cross-correlation plus biases: ``N x C x H x W`` in, ``N x O x H' x W'`` out.
        Raises ``ValueError`` for an input that is not 4-D numeric with ``C`` channels, or
        smaller than the kernel."""
        self._prevIn = dataIn
        n = dataIn.shape[0]
        view = windows(self._padded(dataIn), self.kernel_size, self.stride)  # N C H' W' kh kw
        rows, cols = view.shape[2:4]
        # One copy, in the order the matrix product wants: N x (C kh kw) x (H' W').
        self._cols = columns = view.transpose(0, 1, 4, 5, 2, 3).reshape(n, self.fan_in, rows * cols)
        kernels = self.weights.value.reshape(self.out_channels, self.fan_in)
        out = np.matmul(kernels, columns)  # N x O x H'W', already in the output's order
        out += self.biases.value[:, None]
        out = out.reshape(n, self.out_channels, rows, cols)
        self._prevOut = out
        return out

    def gradient(self):
        """The Jacobian of an observation's output (flattened in C order, ``K = O H' W'``)
        with respect to its input (``D = C H W``): ``K x D``, the same for every observation
        since the layer is linear in its input, as ``FullyConnectedLayer``'s ``W^T``. Entry
        ``[(o, i, j), (c, h, w)]`` is the kernel entry ``K[o, c, h + ph - i sh, w + pw - j sw]``
        (0 outside the kernel), so ``backward(G)`` is ``G.reshape(N, K) @ gradient()``,
        reshaped to the input's shape. Raises ``ValueError`` before any ``forward``, and for
        images whose Jacobian would exceed ``JACOBIAN_LIMIT`` entries."""
        self._require_forward()
        _, channels, height, width = self._prevIn.shape
        k_size = int(np.prod(self._prevOut.shape[1:]))
        d_size = channels * height * width
        require_small_jacobian(self.describe(), k_size * d_size, f"{k_size} x {d_size}",
                               "G's full cross-correlation with the flipped kernels")
        # The columns of the identity, one image per input pixel, go through the linear map:
        # its rows are then the Jacobian's columns.
        basis = np.eye(d_size, dtype=self.weights.value.dtype).reshape(d_size, channels, height, width)
        view = windows(self._padded(basis), self.kernel_size, self.stride)
        kernels = self.weights.value.reshape(self.out_channels, -1)
        rows, cols = view.shape[2:4]
        columns = view.transpose(0, 1, 4, 5, 2, 3).reshape(d_size, self.fan_in, rows * cols)
        return np.matmul(kernels, columns).reshape(d_size, k_size).T

    @checked_backward
    def backward(self, gradIn):
        """``dX``, ``N x C x H x W``, for ``G = gradIn`` (``N x O x H' x W'``): the full
        cross-correlation of ``G`` with the flipped kernels. Also adds the gradients of the
        mean objective to the parameters: ``dK = X * G / N`` and ``db`` (see
        ``backward_parameters``)."""
        self._add_parameter_gradients(gradIn)
        n, _, rows, cols = gradIn.shape
        kernels = self.weights.value.reshape(self.out_channels, self.fan_in)
        # K^T G: each window entry's share of the gradient, N x (C kh kw) x (H' W') ...
        shares = np.matmul(kernels.T, gradIn.reshape(n, self.out_channels, rows * cols))
        shares = shares.reshape((n, self.in_channels) + self.kernel_size + (rows, cols))
        # ... added back onto the pixels each window read (col2im), then the padding cut off.
        _, _, height, width = self._prevIn.shape
        (ph, pw) = self.padding
        padded = np.zeros((n, self.in_channels, height + 2 * ph, width + 2 * pw), dtype=shares.dtype)
        add_windows(padded, shares, self.stride)
        return padded[:, :, ph:ph + height, pw:pw + width]

    @checked_backward
    def backward_parameters(self, gradIn):
        """Add ``dK = X * G / N`` (``O x C x kh x kw``, the cross-correlation of the padded
        input with ``G``, averaged over the observations) and ``db = sum_{n,i,j} G / N``
        (``O``) to the parameters' gradients, for ``G = gradIn`` (``N x O x H' x W'``),
        without the input gradient (a ``Graph`` skips it when the input is data). Returns the
        checked ``G``."""
        self._add_parameter_gradients(gradIn)
        return gradIn

    def _add_parameter_gradients(self, G):
        n = G.shape[0]
        flat = G.reshape(n, self.out_channels, -1)  # N x O x H'W'
        # dK = sum_n G[n] cols[n]^T / N: one matrix product per observation, in one call,
        # then their sum. (einsum and tensordot first copy both operands into 2-D matrices,
        # and measured several times slower at the digits network's sizes.)
        grad_weights = np.add.reduce(np.matmul(flat, self._cols.transpose(0, 2, 1)), axis=0)
        grad_weights *= 1.0 / n
        grad_biases = np.add.reduce(flat, axis=(0, 2))
        grad_biases *= 1.0 / n
        self.weights.accumulate(grad_weights.reshape(self.weights.shape))
        self.biases.accumulate(grad_biases)
