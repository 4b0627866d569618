"""Student-style layer and objective classes for the assignment, as students write them.

Each class is tagged ``RIGHT`` or ``WRONG(check)``: the check of graphnn's kit that a wrong
one is expected to fail. The tags are the *expectation* of the corpus's author; the oracle in
tests/test_grading_corpus.py (torch autograd, written apart from the kit) judges every class
again, and the test asserts the kit, the oracle and the tag agree.

The styles vary on purpose, as they do in a class: an abstract base ``Layer`` with the seed's
accessors, ``gradient()`` as ``N x D`` or as an ``N x D x D`` tensor, weights ``D x K`` or
``K x D``, through ``getWeights`` or an attribute, parameter gradients as means or sums,
``updateWeights(gradIn, eta)``, ``updateWeights(eta)`` or none, objectives with ``np.mean``
over every entry.
"""
from abc import ABC, abstractmethod

import numpy as np

CORPUS = []  # (class, tag): tag "right" or the name of the check it must fail


def RIGHT(cls):
    CORPUS.append((cls, "right"))
    return cls


def WRONG(check):
    def tag(cls):
        CORPUS.append((cls, check))
        return cls
    return tag


class Layer(ABC):
    """The seed's abstract base, as most students copy it."""

    def __init__(self):
        self.__prevIn = []
        self.__prevOut = []

    def setPrevIn(self, dataIn):
        self.__prevIn = dataIn

    def setPrevOut(self, out):
        self.__prevOut = out

    def getPrevIn(self):
        return self.__prevIn

    def getPrevOut(self):
        return self.__prevOut

    @abstractmethod
    def forward(self, dataIn):
        pass

    @abstractmethod
    def gradient(self):
        pass

    def backward(self, gradIn):
        grad = self.gradient()
        if grad.ndim == 3:
            return np.einsum("nk,nkd->nd", gradIn, grad)
        return gradIn * grad


# ---------------------------------------------------------------------------- activations, right
@RIGHT
class LogisticSigmoidLayer(Layer):
    """N x D gradient, the naive formula."""

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        Y = 1 / (1 + np.exp(-dataIn))
        self.setPrevOut(Y)
        return Y

    def gradient(self):
        s = self.getPrevOut()
        return s * (1 - s)


@RIGHT
class SigmoidTensor(Layer):
    """N x D x D, built row by row with np.diag."""

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(1 / (1 + np.exp(-dataIn)))
        return self.getPrevOut()

    def gradient(self):
        s = self.getPrevOut()
        return np.array([np.diag(row * (1 - row)) for row in s])


@RIGHT
class ReLULayer(Layer):
    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(np.maximum(0, dataIn))
        return self.getPrevOut()

    def gradient(self):
        return np.where(self.getPrevIn() > 0, 1, 0)


@RIGHT
class TanhLayer(Layer):
    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut((np.exp(dataIn) - np.exp(-dataIn)) / (np.exp(dataIn) + np.exp(-dataIn)))
        return self.getPrevOut()

    def gradient(self):
        return 1 - self.getPrevOut() ** 2


@RIGHT
class TanhTensor(Layer):
    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(np.tanh(dataIn))
        return self.getPrevOut()

    def gradient(self):
        t = self.getPrevOut()
        out = np.zeros((t.shape[0], t.shape[1], t.shape[1]))
        for n in range(t.shape[0]):
            out[n] = np.diag(1 - t[n] ** 2)
        return out

    def backward(self, gradIn):
        return gradIn * (1 - self.getPrevOut() ** 2)


@RIGHT
class LinearLayer(Layer):
    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(dataIn)
        return dataIn

    def gradient(self):
        return np.ones_like(self.getPrevIn())


@RIGHT
class SoftmaxLayer(Layer):
    """Tensor by loops, with the outer product."""

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        e = np.exp(dataIn - np.max(dataIn, axis=1, keepdims=True))
        self.setPrevOut(e / np.sum(e, axis=1, keepdims=True))
        return self.getPrevOut()

    def gradient(self):
        out = []
        for row in self.getPrevOut():
            out.append(np.diag(row) - np.outer(row, row))
        return np.array(out)

    def backward(self, gradIn):
        grad = self.gradient()
        return np.array([gradIn[n] @ grad[n] for n in range(gradIn.shape[0])])


@RIGHT
class SoftmaxColumns(Layer):
    """Row vectors as 1 x K matrices: row.T @ row is the outer product."""

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        e = np.exp(dataIn)
        self.setPrevOut(e / e.sum(axis=1)[:, None])
        return self.getPrevOut()

    def gradient(self):
        tensor = []
        for i in range(self.getPrevOut().shape[0]):
            row = self.getPrevOut()[i:i + 1]
            tensor.append(np.diagflat(row) - row.T @ row)
        return np.array(tensor)


# ---------------------------------------------------------------------------- activations, wrong
@WRONG("gradient() vs central differences")
class SigmoidAtOutput(Layer):
    """The derivative evaluated at the output: sigma(y)(1 - sigma(y)) with y = sigma(x)."""

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(1 / (1 + np.exp(-dataIn)))
        return self.getPrevOut()

    def gradient(self):
        s = 1 / (1 + np.exp(-self.getPrevOut()))
        return s * (1 - s)


@WRONG("gradient() vs central differences")
class TanhAtOutput(Layer):
    """1 - tanh(y)^2 with y the output."""

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(np.tanh(dataIn))
        return self.getPrevOut()

    def gradient(self):
        return 1 - np.tanh(self.getPrevOut()) ** 2


@WRONG("gradient() vs central differences")
class SoftmaxRowTimesRow(Layer):
    """row.T * row on a 1-D row is the element-wise square, not the outer product."""

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        e = np.exp(dataIn - dataIn.max(axis=1, keepdims=True))
        self.setPrevOut(e / e.sum(axis=1, keepdims=True))
        return self.getPrevOut()

    def gradient(self):
        return np.array([np.diag(row) - row.T * row for row in self.getPrevOut()])


@WRONG("backward vs central differences")
class ForgetfulTanh(Layer):
    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(np.tanh(dataIn))
        return self.getPrevOut()

    def gradient(self):
        return 1 - self.getPrevOut() ** 2

    def backward(self, gradIn):
        return gradIn


@WRONG("gradient() vs central differences")
class ReLUOfOutput(Layer):
    """gradient() returns the output itself instead of 1 where x > 0."""

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(np.maximum(0, dataIn))
        return self.getPrevOut()

    def gradient(self):
        return self.getPrevOut()


# ---------------------------------------------------------------------------- input layers
@RIGHT
class InputLayer(Layer):
    """np.std (ddof=0), a zero spread replaced by 1."""

    def __init__(self, dataIn):
        super().__init__()
        self.meanX = np.mean(dataIn, axis=0)
        self.stdX = np.std(dataIn, axis=0)
        self.stdX[self.stdX == 0] = 1

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        z = (dataIn - self.meanX) / self.stdX
        self.setPrevOut(z)
        return z

    def gradient(self):
        pass


@RIGHT
class InputLayerSample(Layer):
    """ddof=1, statistics kept 1 x D."""

    def __init__(self, dataIn):
        super().__init__()
        self.meanX = dataIn.mean(axis=0, keepdims=True)
        self.stdX = dataIn.std(axis=0, ddof=1, keepdims=True)

    def forward(self, dataIn):
        return (dataIn - self.meanX) / self.stdX

    def gradient(self):
        pass


@WRONG("same values as graphnn")
class InputLayerScalar(Layer):
    """One mean and one standard deviation for every entry."""

    def __init__(self, dataIn):
        super().__init__()
        self.meanX, self.stdX = np.mean(dataIn), np.std(dataIn)

    def forward(self, dataIn):
        return (dataIn - self.meanX) / self.stdX

    def gradient(self):
        pass


# ---------------------------------------------------------------------------- fully connected
@RIGHT
class FullyConnectedLayer(Layer):
    """W D x K behind getWeights; gradients as means, updated in place."""

    def __init__(self, sizeIn, sizeOut):
        super().__init__()
        self.sizeIn, self.sizeOut = sizeIn, sizeOut
        self.weights = np.random.uniform(-1e-4, 1e-4, (sizeIn, sizeOut))
        self.biases = np.random.uniform(-1e-4, 1e-4, (1, sizeOut))

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
        return self.getPrevOut()

    def gradient(self):
        return self.weights.T

    def backward(self, gradIn):
        return gradIn @ self.gradient()

    def updateWeights(self, gradIn, eta=0.0001):
        dJdb = np.sum(gradIn, axis=0) / gradIn.shape[0]
        dJdW = (self.getPrevIn().T @ gradIn) / gradIn.shape[0]
        self.weights -= eta * dJdW
        self.biases -= eta * dJdb


@RIGHT
class FullyConnectedKxD(Layer):
    """W stored K x D (X W^T + b), no sizeIn, gradients as sums, b 1-D."""

    def __init__(self, sizeIn, sizeOut):
        super().__init__()
        rng = np.random.default_rng(3)
        self.W = rng.normal(size=(sizeOut, sizeIn))
        self.b = rng.normal(size=sizeOut)

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        return dataIn @ self.W.T + self.b

    def gradient(self):
        return self.W

    def backward(self, gradIn):
        return gradIn @ self.W

    def updateWeights(self, gradIn, eta):
        self.W = self.W - eta * gradIn.T @ self.getPrevIn()
        self.b = self.b - eta * gradIn.sum(axis=0)


@RIGHT
class FullyConnectedEta(Layer):
    """backward keeps the gradients; updateWeights(eta) applies them."""

    def __init__(self, sizeIn, sizeOut):
        super().__init__()
        self.sizeIn = sizeIn
        self.weights = np.random.randn(sizeIn, sizeOut) * 0.1
        self.biases = np.zeros((1, sizeOut))

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        return dataIn @ self.weights + self.biases

    def gradient(self):
        return np.transpose(self.weights)

    def backward(self, gradIn):
        self.dW = self.getPrevIn().T @ gradIn / gradIn.shape[0]
        self.db = np.mean(gradIn, axis=0, keepdims=True)
        return gradIn @ self.weights.T

    def updateWeights(self, eta):
        self.weights -= eta * self.dW
        self.biases -= eta * self.db


@RIGHT
class FullyConnectedNoUpdate(Layer):
    """Assignment 2 asks no updateWeights yet."""

    def __init__(self, sizeIn, sizeOut):
        super().__init__()
        self.weights = np.random.uniform(-1, 1, (sizeIn, sizeOut))
        self.biases = np.random.uniform(-1, 1, (1, sizeOut))

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        return dataIn @ self.weights + self.biases

    def gradient(self):
        return self.weights.T

    def backward(self, gradIn):
        return gradIn @ self.gradient()


@WRONG("parameter gradients")
class FullyConnectedWrongSign(FullyConnectedLayer):
    def updateWeights(self, gradIn, eta=0.0001):
        dJdW = (self.getPrevIn().T @ gradIn) / gradIn.shape[0]
        self.weights += eta * dJdW
        self.biases += eta * np.mean(gradIn, axis=0)


@WRONG("parameter gradients")
class FullyConnectedMixed(FullyConnectedLayer):
    """dW a mean, db a sum: two conventions in one layer."""

    def updateWeights(self, gradIn, eta=0.0001):
        self.weights -= eta * (self.getPrevIn().T @ gradIn) / gradIn.shape[0]
        self.biases -= eta * np.sum(gradIn, axis=0)


@WRONG("gradient() vs central differences")
class FullyConnectedGradientW(FullyConnectedLayer):
    """gradient() returns W (D x K), not W^T."""

    def gradient(self):
        return self.weights

    def backward(self, gradIn):
        return gradIn @ self.weights.T


# ---------------------------------------------------------------------------- objectives, right
@RIGHT
class SquaredError:
    """The seed's formula literally: a mean over every entry."""

    def eval(self, Y, Yhat):
        return np.mean((Y - Yhat) * (Y - Yhat))

    def gradient(self, Y, Yhat):
        return -2 * (Y - Yhat)


@RIGHT
class SquaredErrorRows:
    def eval(self, Y, Yhat):
        return float(np.mean(np.sum((Y - Yhat) ** 2, axis=1)))

    def gradient(self, Y, Yhat):
        return -2 * (Y - Yhat)


@RIGHT
class LogLoss:
    def eval(self, Y, Yhat):
        eps = 1e-7
        return np.mean(-(Y * np.log(Yhat + eps) + (1 - Y) * np.log(1 - Yhat + eps)))

    def gradient(self, Y, Yhat):
        eps = 1e-7
        return -(Y - Yhat) / (Yhat * (1 - Yhat) + eps)


@RIGHT
class CrossEntropy:
    def eval(self, Y, Yhat):
        return -np.mean(np.sum(Y * np.log(Yhat + 1e-7), axis=1))

    def gradient(self, Y, Yhat):
        return -(Y / (Yhat + 1e-7))


@RIGHT
class LogLossLayer(Layer):
    """An objective that subclasses the student's own Layer."""

    def forward(self, dataIn):
        return dataIn

    def gradient(self, Y, Yhat):
        return -(Y - Yhat) / (Yhat * (1 - Yhat))

    def eval(self, Y, Yhat):
        return np.mean(-(Y * np.log(Yhat) + (1 - Y) * np.log(1 - Yhat)))


# ---------------------------------------------------------------------------- objectives, wrong
@WRONG("same values as graphnn")
class CrossEntropyBinary:
    """The binary cross entropy handed in as CrossEntropy (1.717 on the seed's Q4)."""

    def eval(self, Y, Yhat):
        return np.mean(np.sum(-(Y * np.log(Yhat) + (1 - Y) * np.log(1 - Yhat)), axis=1))

    def gradient(self, Y, Yhat):
        return -(Y - Yhat) / (Yhat * (1 - Yhat))


@WRONG("mean of the rows")
class CrossEntropySum:
    """A missing 1/N: eval sums over the observations."""

    def eval(self, Y, Yhat):
        return -np.sum(Y * np.log(Yhat))

    def gradient(self, Y, Yhat):
        return -Y / Yhat


@WRONG("seed's worked numbers")
class CrossEntropyMeanOfEntries:
    """np.mean over all N x K entries: 0.328 on the seed's Q4, not 0.983."""

    def eval(self, Y, Yhat):
        return -np.mean(Y * np.log(Yhat))

    def gradient(self, Y, Yhat):
        return -Y / Yhat


@WRONG("gradient vs central differences")
class LogLossSign:
    def eval(self, Y, Yhat):
        return np.mean(-(Y * np.log(Yhat) + (1 - Y) * np.log(1 - Yhat)))

    def gradient(self, Y, Yhat):
        return (Y - Yhat) / (Yhat * (1 - Yhat))


@WRONG("gradient vs central differences")
class SquaredErrorOverN:
    def eval(self, Y, Yhat):
        return np.mean((Y - Yhat) ** 2)

    def gradient(self, Y, Yhat):
        return -2 * (Y - Yhat) / Y.shape[0]


@WRONG("rows independent")
class InputLayerBatch(Layer):
    """z-scores each batch with its own statistics."""

    def __init__(self, dataIn):
        super().__init__()

    def forward(self, dataIn):
        std = np.std(dataIn, axis=0)
        return (dataIn - np.mean(dataIn, axis=0)) / np.where(std == 0, 1, std)

    def gradient(self):
        pass


# the names a student would give them: the corpus keeps several versions of one class apart
SEED_NAMES = {
    "SigmoidTensor": "LogisticSigmoidLayer", "SigmoidAtOutput": "LogisticSigmoidLayer",
    "TanhTensor": "TanhLayer", "TanhAtOutput": "TanhLayer", "ForgetfulTanh": "TanhLayer",
    "SoftmaxColumns": "SoftmaxLayer", "SoftmaxRowTimesRow": "SoftmaxLayer", "ReLUOfOutput": "ReLULayer",
    "InputLayerSample": "InputLayer", "InputLayerScalar": "InputLayer", "InputLayerBatch": "InputLayer",
    "FullyConnectedKxD": "FullyConnectedLayer", "FullyConnectedEta": "FullyConnectedLayer",
    "FullyConnectedNoUpdate": "FullyConnectedLayer", "FullyConnectedWrongSign": "FullyConnectedLayer",
    "FullyConnectedMixed": "FullyConnectedLayer", "FullyConnectedGradientW": "FullyConnectedLayer",
    "SquaredErrorRows": "SquaredError", "LogLossLayer": "LogLoss", "CrossEntropyBinary": "CrossEntropy",
    "CrossEntropySum": "CrossEntropy", "CrossEntropyMeanOfEntries": "CrossEntropy", "LogLossSign": "LogLoss", "SquaredErrorOverN": "SquaredError",
}


def as_submitted(cls):
    """``cls`` under the seed's name for it (a subclass renamed), as a student hands it in."""
    name = SEED_NAMES.get(cls.__name__, cls.__name__)
    return cls if name == cls.__name__ else type(name, (cls,), {"__doc__": cls.__doc__})
