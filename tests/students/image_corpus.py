"""Student-style image layers for the course's convolution assignment, as students write them.

Each entry of ``IMAGE_CORPUS`` is ``(make, tag, message)``: ``tag`` is ``"right"`` or the
check of graphnn's kit a wrong class must fail, and ``message`` the words that check must say
(tests/test_grading_images.py). The styles vary as they do in a class: the course's first
version (one 2-D kernel over single-channel ``N x H x W`` images, loops over the
observations and the pixels), and the ``N x C x H x W`` one with ``in_channels``,
``out_channels`` and a kernel ``O x C x kh x kw``; ``self.kernel`` with ``setKernel`` and
``updateKernel``, or ``self.weights``; a stride; pooling with ``size`` and ``stride``.

The mistakes are the usual ones: the kernel flipped (a convolution instead of the
cross-correlation), the kernel's gradient summed over the observations while the biases'
is averaged, max pooling sending the gradient to every tied maximum, flattening in Fortran
order.
"""
import numpy as np

IMAGE_CORPUS = []  # (make, tag, the words the failing check must say)


def RIGHT(cls):
    IMAGE_CORPUS.append((cls, "right", ""))
    return cls


def WRONG(check, message):
    def tag(cls):
        IMAGE_CORPUS.append((cls, check, message))
        return cls
    return tag


def cross_correlate(x, k):
    """The 'valid' 2-D cross-correlation of one image ``x`` (``H x W``) with ``k``."""
    kh, kw = k.shape
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + kh, j:j + kw] * k)
    return out


@RIGHT
class ConvolutionalLayer:
    """The course's first version: one ``kh x kw`` kernel, single-channel ``N x H x W`` images."""

    def __init__(self, kernelSize):
        self.kernel = np.random.default_rng(0).uniform(-1e-4, 1e-4, (kernelSize, kernelSize))
        self.prevIn = None

    def setKernel(self, kernel):
        self.kernel = kernel

    def getKernel(self):
        return self.kernel

    def forward(self, dataIn):
        self.prevIn = dataIn
        return np.array([cross_correlate(x, self.kernel) for x in dataIn])

    def gradient(self):
        raise NotImplementedError("backward works on the kernel directly")

    def backward(self, gradIn):
        kh, kw = self.kernel.shape
        grad = np.zeros_like(self.prevIn)
        for n in range(gradIn.shape[0]):
            for i in range(gradIn.shape[1]):
                for j in range(gradIn.shape[2]):
                    grad[n, i:i + kh, j:j + kw] += gradIn[n, i, j] * self.kernel
        return grad

    def updateKernel(self, gradIn, eta):
        dK = np.zeros_like(self.kernel)
        for n in range(gradIn.shape[0]):
            dK += cross_correlate(self.prevIn[n], gradIn[n])
        self.kernel = self.kernel - eta * dK / gradIn.shape[0]


class ChannelsConv:
    """``N x C x H x W`` in, ``N x O x H' x W'`` out, kernels ``O x C x kh x kw``, a stride."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1):
        rng = np.random.default_rng(1)
        self.stride = stride
        self.weights = rng.normal(size=(out_channels, in_channels, kernel_size, kernel_size)) / kernel_size
        self.biases = rng.normal(size=out_channels)

    def windows(self, X):
        _, _, kh, kw = self.weights.shape
        s = self.stride
        rows, cols = (X.shape[2] - kh) // s + 1, (X.shape[3] - kw) // s + 1
        return rows, cols, [(i, j, X[:, :, i * s:i * s + kh, j * s:j * s + kw]) for i in range(rows)
                            for j in range(cols)]

    def kernels(self):
        return self.weights

    def forward(self, X):
        self.X = X
        rows, cols, windows = self.windows(X)
        out = np.zeros((X.shape[0], self.weights.shape[0], rows, cols))
        for i, j, window in windows:
            out[:, :, i, j] = np.einsum("nchw,ochw->no", window, self.kernels()) + self.biases
        return out

    def gradient(self):
        return None

    def backward(self, gradIn):
        _, _, kh, kw = self.weights.shape
        s = self.stride
        grad = np.zeros_like(self.X)
        for i, j, _ in self.windows(self.X)[2]:
            grad[:, :, i * s:i * s + kh, j * s:j * s + kw] += np.einsum("no,ochw->nchw", gradIn[:, :, i, j],
                                                                       self.kernels())
        return grad

    def kernel_gradient(self, gradIn):
        dK = np.zeros_like(self.weights)
        for i, j, window in self.windows(self.X)[2]:
            dK += np.einsum("nchw,no->ochw", window, gradIn[:, :, i, j])
        return dK / len(gradIn)

    def updateWeights(self, gradIn, eta):
        dK = self.kernel_gradient(gradIn)
        self.biases = self.biases - eta * gradIn.mean(axis=0).sum(axis=(1, 2))
        self.weights = self.weights - eta * dK


RIGHT(type("ConvolutionalLayer", (ChannelsConv,), {"__doc__": ChannelsConv.__doc__}))


@WRONG("same values as graphnn", "a convolution (the kernel flipped)")
class ConvolutionalLayer(ChannelsConv):  # noqa: F811 -- each student names it so
    """Flips the kernel in forward and backward alike: self-consistent, so every gradient
    check passes; only the values (against graphnn's cross-correlation) show it."""

    def kernels(self):
        return self.weights[:, :, ::-1, ::-1]

    def kernel_gradient(self, gradIn):
        return super().kernel_gradient(gradIn)[:, :, ::-1, ::-1]


@WRONG("parameter gradients", "is the 1/N missing")
class ConvolutionalLayer(ChannelsConv):  # noqa: F811
    """Sums the kernel's gradient over the observations, but averages the biases'."""

    def kernel_gradient(self, gradIn):
        return super().kernel_gradient(gradIn) * len(gradIn)


class PoolingBase:
    def __init__(self, size, stride):
        self.size, self.stride = size, stride

    def forward(self, X):
        self.X = X
        p, s = self.size, self.stride
        rows, cols = (X.shape[2] - p) // s + 1, (X.shape[3] - p) // s + 1
        out = np.zeros(X.shape[:2] + (rows, cols))
        for i in range(rows):
            for j in range(cols):
                out[:, :, i, j] = X[:, :, i * s:i * s + p, j * s:j * s + p].max(axis=(2, 3))
        self.out = out
        return out

    def gradient(self):
        raise NotImplementedError

    def backward(self, gradIn):
        p, s = self.size, self.stride
        grad = np.zeros_like(self.X)
        for n in range(self.X.shape[0]):
            for c in range(self.X.shape[1]):
                for i in range(gradIn.shape[2]):
                    for j in range(gradIn.shape[3]):
                        self.route(grad[n, c, i * s:i * s + p, j * s:j * s + p],
                                   self.X[n, c, i * s:i * s + p, j * s:j * s + p], gradIn[n, c, i, j])
        return grad


@RIGHT
class MaxPoolLayer(PoolingBase):
    """The gradient goes to the first maximum of each window (np.argmax)."""

    def route(self, grad, window, g):
        grad[np.unravel_index(np.argmax(window), window.shape)] += g


@WRONG("same values as graphnn", "to every tied maximum")
class MaxPoolLayer(PoolingBase):  # noqa: F811
    """``window == window.max()``: every tied maximum gets the whole gradient."""

    def route(self, grad, window, g):
        grad += (window == window.max()) * g


@RIGHT
class FlatteningLayer:
    def forward(self, dataIn):
        self.shape = dataIn.shape
        return dataIn.reshape(dataIn.shape[0], -1)

    def gradient(self):
        raise NotImplementedError

    def backward(self, gradIn):
        return gradIn.reshape(self.shape)


@WRONG("same values as graphnn", "Fortran (column-major) order")
class FlatteningLayer:  # noqa: F811
    """Flattens column by column (``order='F'``), and reshapes back the same way."""

    def forward(self, dataIn):
        self.shape = dataIn.shape
        return dataIn.reshape(dataIn.shape[0], -1, order="F")

    def gradient(self):
        raise NotImplementedError

    def backward(self, gradIn):
        return gradIn.reshape(self.shape, order="F")
