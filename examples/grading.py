"""Grading layers with graphnn.grading.checks: graphnn's own, one right student layer and three wrong ones.

The "student" classes below are written as a student of the seed's assignment would write
them: numpy only, their own little base class, nothing imported from graphnn. Three of them
hold a classic mistake:

- ``ForgetfulSigmoid``: ``backward`` returns ``gradIn`` unchanged, the local derivative forgotten;
- ``WrongTanh``: the derivative ``1 - tanh(x)`` instead of ``1 - tanh(x)^2``;
- ``DiagonalSoftmax``: the Jacobian reduced to its diagonal ``s (1 - s)``.

Run ``python examples/grading.py``; it prints one line per graphnn layer and objective, the
full report of every student layer (compared with graphnn's class it stands for), and the per-node gradient check of a graph holding the
forgetful sigmoid. ``--out DIR`` also draws that graph's gradient diagram with the wrong node
marked (``DIR/grading-gradients.png``; needs Graphviz).
"""
import argparse
import sys
from pathlib import Path

import numpy as np

import graphnn as gn
from graphnn.grading.gradcheck import gradcheck_nodes
from graphnn.grading.checks import check_layer, check_objective


# ---------------------------------------------------------------------------- the students' code
class StudentLayer:
    """The student's own base class: the seed's accessors and a shape check."""

    def __init__(self):
        self.__prevIn = None
        self.__prevOut = None

    def setPrevIn(self, dataIn):
        self.__prevIn = dataIn

    def getPrevIn(self):
        return self.__prevIn

    def setPrevOut(self, out):
        self.__prevOut = out

    def getPrevOut(self):
        return self.__prevOut

    def checked(self, X, what="dataIn"):
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ValueError(f"{type(self).__name__}: {what} must be N x D, got shape {X.shape}")
        return X

    def checkedGradIn(self, gradIn):
        if self.getPrevOut() is None:
            raise ValueError(f"{type(self).__name__}: backward before forward")
        gradIn = self.checked(gradIn, "gradIn")
        if gradIn.shape != self.getPrevOut().shape:
            raise ValueError(f"{type(self).__name__}: gradIn is {gradIn.shape}, the output {self.getPrevOut().shape}")
        return gradIn

    @staticmethod
    def diagonal(D):
        """N x D -> N x D x D, one diagonal matrix per row."""
        return np.einsum("nd,de->nde", D, np.eye(D.shape[1]))


class StudentSigmoid(StudentLayer):
    """Right: a stable sigmoid, its tensor and its backward."""

    def forward(self, dataIn):
        X = self.checked(dataIn)
        self.setPrevIn(X)
        out = 0.5 * (1.0 + np.tanh(0.5 * X))  # 1 / (1 + e^-x) without overflowing e^-x
        self.setPrevOut(out)
        return out

    def gradient(self):
        s = self.getPrevOut()
        return self.diagonal(s * (1 - s))

    def backward(self, gradIn):
        s = self.getPrevOut()
        return self.checkedGradIn(gradIn) * s * (1 - s)


class ForgetfulSigmoid(StudentSigmoid):
    """Wrong: backward passes gradIn through, forgetting s (1 - s)."""

    def backward(self, gradIn):
        return self.checkedGradIn(gradIn)


class WrongTanh(StudentLayer):
    """Wrong: d tanh(x)/dx written as 1 - tanh(x) (the square is missing)."""

    def forward(self, dataIn):
        X = self.checked(dataIn)
        self.setPrevIn(X)
        self.setPrevOut(np.tanh(X))
        return self.getPrevOut()

    def gradient(self):
        return self.diagonal(1 - self.getPrevOut())

    def backward(self, gradIn):
        return self.checkedGradIn(gradIn) * (1 - self.getPrevOut())


class DiagonalSoftmax(StudentSigmoid):
    """Wrong: a softmax whose gradient and backward are the sigmoid's ``s (1 - s)``, the
    diagonal of the softmax's Jacobian diag(s) - s s^T only (copied from the sigmoid)."""

    def forward(self, dataIn):
        X = self.checked(dataIn)
        self.setPrevIn(X)
        E = np.exp(X - X.max(axis=1, keepdims=True))
        self.setPrevOut(E / E.sum(axis=1, keepdims=True))
        return self.getPrevOut()


#: each student layer with the graphnn class it is compared with (its name is not the seed's)
STUDENT_LAYERS = ((StudentSigmoid, gn.LogisticSigmoidLayer), (ForgetfulSigmoid, gn.LogisticSigmoidLayer),
                  (WrongTanh, gn.TanhLayer), (DiagonalSoftmax, gn.SoftmaxLayer))


# ---------------------------------------------------------------------------- graphnn's own
def graphnn_layers():
    """``(name, factory, input width)`` for every graphnn layer and its usual configuration."""
    data = np.random.default_rng(0).normal(size=(20, 4))
    return [
        ("InputLayer", lambda: gn.InputLayer(data), 4),
        ("FullyConnectedLayer", lambda: gn.FullyConnectedLayer(4, 3, seed=0), 4),
        ("LinearLayer", gn.LinearLayer, 3),
        ("ReLULayer", gn.ReLULayer, 3),
        ("LogisticSigmoidLayer", gn.LogisticSigmoidLayer, 3),
        ("TanhLayer", gn.TanhLayer, 3),
        ("SoftmaxLayer", gn.SoftmaxLayer, 4),
        ("AddLayer", gn.AddLayer, 3),
        ("ConcatLayer", gn.ConcatLayer, 3),
    ]


def forgetful_graph():
    """Input -> FC 4->3 -> ForgetfulSigmoid (wrapped) -> FC 3->1 -> SquaredError."""
    graph = gn.Graph()
    x, y = graph.input("X"), graph.input("Y")
    h = graph.add(gn.FullyConnectedLayer(4, 3, seed=1), x, name="fc1")
    h = graph.add(gn.wrap(ForgetfulSigmoid()), h, name="student_sigmoid")
    h = graph.add(gn.FullyConnectedLayer(3, 1, seed=2), h, name="fc2")
    graph.add(gn.SquaredError(), y, h, name="squared_error")
    for node in ("fc1", "fc2"):  # O(1) weights, so that the gradients are well scaled
        fc = graph.op(node)
        fc.setWeights(np.random.default_rng(3).normal(size=fc.getWeights().shape))
    rng = np.random.default_rng(4)
    return graph, {"X": rng.normal(size=(5, 4)), "Y": rng.normal(size=(5, 1))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="directory for the marked gradient diagram (PNG)")
    args = parser.parse_args(argv)

    print("graphnn's layers and objectives")
    for name, make, width in graphnn_layers():
        report = check_layer(make, input_width=width)
        print(f"  {name:<22} {'passed' if report else 'FAILED ' + ', '.join(report.failed)}")
    for make in (gn.SquaredError, gn.LogLoss, gn.CrossEntropy):
        report = check_objective(make)
        print(f"  {make.__name__:<22} {'passed' if report else 'FAILED ' + ', '.join(report.failed)}")

    for make, reference in STUDENT_LAYERS:
        print()
        print(check_layer(make, reference=reference))

    print()
    print("a graph holding the forgetful sigmoid, node by node")
    graph, feed = forgetful_graph()
    report = gradcheck_nodes(graph, feed)
    print(report)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        print(f"wrote {report.render(graph, args.out / 'grading-gradients.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
