"""graphnn.wrap on students' classes as they write them (tests/students/corpus.py): no array
shared with the student's object, the updateWeights signatures students write (and none), and
an objective told from a layer by its interface."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import graphnn as gn
from graphnn.grading.adapter import WrappedLayer, WrappedObjective
from graphnn.grading.gradcheck import gradcheck_nodes

spec = importlib.util.spec_from_file_location(
    "student_corpus_wrap", Path(__file__).resolve().parent / "students" / "corpus.py")
corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus)

rng = np.random.default_rng(0)
FEED = {"X": rng.normal(size=(6, 4)), "Y": rng.uniform(0.1, 0.9, size=(6, 1)).round()}


def student_graph(student):
    convention = "sum" if type(student).__name__ == "FullyConnectedKxD" else "mean"
    return gn.Graph.sequential(gn.wrap(student, parameter_gradients=convention), gn.LogisticSigmoidLayer(), objective=gn.LogLoss())


@pytest.mark.parametrize("cls", [corpus.FullyConnectedLayer, corpus.FullyConnectedEta, corpus.FullyConnectedKxD])
def test_passes_without_an_optimizer_leave_the_students_weights_alone(cls):
    np.random.seed(1)
    student = cls(4, 1)
    before = {name: np.array(value, copy=True) for name, value in vars(student).items()
              if isinstance(value, np.ndarray)}
    graph = student_graph(student)
    losses = []
    for _ in range(3):
        losses.append(graph.forward(FEED))
        graph.backward()
    assert losses[0] == losses[1] == losses[2]
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(student, name), value)
    assert gradcheck_nodes(graph, FEED).passed


class MomentumLayer:
    """A fully connected layer whose updateWeights keeps a momentum, a step count and a log,
    the way a later assignment asks: velocities made on the first update, then rebound."""

    def __init__(self, sizeIn, sizeOut, mu=0.9):
        rng = np.random.default_rng(3)
        self.weights, self.biases, self.mu = rng.uniform(-1, 1, (sizeIn, sizeOut)), np.zeros((1, sizeOut)), mu
        self.steps, self.log, self.seen = 0, [], np.zeros(1)

    def forward(self, dataIn):
        self.dataIn = dataIn
        return dataIn @ self.weights + self.biases

    def gradient(self):
        return self.weights.T

    def backward(self, gradIn):
        return gradIn @ self.weights.T

    def updateWeights(self, gradIn, eta):
        dW, db = self.dataIn.T @ gradIn / len(gradIn), gradIn.mean(axis=0, keepdims=True)
        if not hasattr(self, "vW"):
            self.vW, self.vb = np.zeros_like(dW), np.zeros_like(db)
        self.vW = self.mu * self.vW + dW
        self.vb = self.mu * self.vb + db
        self.steps += 1
        self.log.append(eta)
        self.seen += 1  # in place
        self.weights -= eta * self.vW
        self.biases -= eta * self.vb


def test_reading_an_update_with_a_momentum_leaves_the_momentum_alone():
    """Each backward reads the gradients by running updateWeights once and undoing it: the
    momentum, the step count, the log and the counter changed in place are undone too. It
    undid only the weights: the momentum grew on every read, so the second pass read the
    gradient plus 0.9 times the first, and the student's own training started off."""
    student = MomentumLayer(4, 1)
    graph = student_graph(student)
    grads = []
    for _ in range(3):
        graph.forward(FEED)
        graph.backward()
        grads.append([p.grad.copy() for p in graph.parameters()])
    for later in grads[1:]:
        for first, again in zip(grads[0], later):
            np.testing.assert_array_equal(first, again)
    assert not hasattr(student, "vW") and not hasattr(student, "vb")
    assert (student.steps, student.log, student.seen.tolist()) == (0, [], [0.0])
    assert gradcheck_nodes(graph, FEED).passed


class KeepsEverything(MomentumLayer):
    """Its update also fills a dict and a set, and it holds a read-only array (a broadcast)."""

    def __init__(self, sizeIn, sizeOut):
        super().__init__(sizeIn, sizeOut)
        self.norms, self.seen_shapes = {}, set()
        self.scale = np.broadcast_to(np.ones(1), (sizeOut,))

    def updateWeights(self, gradIn, eta):
        super().updateWeights(gradIn, eta)
        self.norms[self.steps] = float(np.abs(self.vW).sum())
        self.seen_shapes.add(gradIn.shape)


class Slotted:
    """A layer with ``__slots__``: no ``__dict__`` to keep."""
    __slots__ = ("weights", "dataIn")

    def __init__(self, sizeIn, sizeOut):
        self.weights = np.random.default_rng(4).uniform(-1, 1, (sizeIn, sizeOut))

    def forward(self, dataIn):
        self.dataIn = dataIn
        return dataIn @ self.weights

    def gradient(self):
        return self.weights.T

    def backward(self, gradIn):
        return gradIn @ self.weights.T

    def updateWeights(self, gradIn, eta):
        self.weights = self.weights - eta * self.dataIn.T @ gradIn / len(gradIn)


def test_dicts_sets_read_only_arrays_and_slotted_layers_are_kept_as_they_were():
    student = KeepsEverything(4, 1)
    graph = student_graph(student)
    graph.forward(FEED)
    graph.backward()
    assert (student.norms, student.seen_shapes, student.steps) == ({}, set(), 0)
    assert not student.scale.flags.writeable and student.scale.tolist() == [1.0]
    slotted = Slotted(4, 1)
    before = slotted.weights.copy()
    graph = student_graph(slotted)
    graph.forward(FEED)
    graph.backward()
    np.testing.assert_array_equal(slotted.weights, before)
    np.testing.assert_allclose(graph.parameters()[0].grad, FEED["X"].T @ graph.grad(graph.nodes[-3]) / 6, rtol=1e-10)


def test_no_array_is_shared_with_the_student():
    student = corpus.FullyConnectedLayer(4, 1)
    layer = gn.wrap(student)
    weights, biases = layer.parameters()
    assert weights.value is not student.weights and not np.shares_memory(weights.value, student.weights)
    assert not np.shares_memory(biases.value, student.biases)


def test_an_optimizer_step_reaches_the_student_and_training_lowers_the_loss():
    np.random.seed(2)
    student = corpus.FullyConnectedEta(4, 1)
    graph = student_graph(student)
    optimizer = gn.SGD(graph.parameters(), lr=0.5)
    losses = []
    for _ in range(20):
        losses.append(graph.forward(FEED))
        graph.zero_grad() if hasattr(graph, "zero_grad") else None
        graph.backward()
        optimizer.step()
    graph.forward(FEED)
    np.testing.assert_array_equal(student.weights, graph.parameters()[0].value)
    assert losses[-1] < losses[0]


def test_the_students_own_update_is_seen_by_the_parameters():
    student = corpus.FullyConnectedLayer(4, 1)
    layer = gn.wrap(student)
    student.weights = student.weights + 1.0  # the student changes its weights itself
    layer.forward(FEED["X"])
    np.testing.assert_array_equal(layer.parameters()[0].value, student.weights)


def test_a_layer_without_update_weights_has_no_parameters_and_says_why():
    layer = gn.wrap(corpus.FullyConnectedNoUpdate(4, 1))
    assert layer.parameters() == ()
    assert "no updateWeights" in layer.parameter_note
    graph = student_graph(corpus.FullyConnectedNoUpdate(4, 1))
    report = gradcheck_nodes(graph, FEED)
    assert report.passed, str(report)  # no "relative error 1" for gradients never exposed


def test_an_objective_subclassing_the_students_layer_is_an_objective():
    wrapped = gn.wrap(corpus.LogLossLayer())
    assert isinstance(wrapped, WrappedObjective)
    assert isinstance(gn.wrap(corpus.TanhLayer()), WrappedLayer)
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(4, 1, seed=0), gn.LogisticSigmoidLayer(), objective=wrapped)
    reference = gn.Graph.sequential(gn.FullyConnectedLayer(4, 1, seed=0), gn.LogisticSigmoidLayer(),
                                    objective=gn.LogLoss())
    assert graph.forward(FEED) == pytest.approx(reference.forward(FEED), rel=1e-12)


# --- issue 29, item 13: a wrapped student's mistake is named where it is made ------------------

class _Doubler:
    """A student's element-wise layer; ``backward`` is set per test."""

    def forward(self, X):
        self.prevIn = X
        return 2 * X

    def gradient(self):
        return np.array([[2.0]])

    def backward(self, gradIn):
        return 2 * gradIn


def _chain(student):
    g = gn.Graph()
    x = g.input("X", requires_grad=True)
    h = g.add(gn.FullyConnectedLayer(3, 4, seed=0), x, name="fc_in")
    h = g.add(gn.wrap(student), h, name="student")
    h = g.add(gn.FullyConnectedLayer(4, 1, seed=1), h, name="fc_out")
    g.add(gn.SquaredError(), g.input("Y"), h)
    return g, {"X": np.ones((5, 3)), "Y": np.zeros((5, 1))}


def test_a_backward_of_the_wrong_shape_is_blamed_on_the_students_class():
    student = _Doubler()
    student.backward = lambda gradIn: 2 * gradIn[:, :2]  # drops two columns
    g, feed = _chain(student)
    g.forward(feed)
    with pytest.raises(ValueError, match=r"_Doubler: backward's result is 5 x 2, but the input it is "
                                         r"the gradient of was 5 x 4"):
        g.backward()


def test_a_backward_returning_a_list_works_every_time():
    student = _Doubler()
    student.backward = lambda gradIn: (2 * gradIn).tolist()
    g, feed = _chain(student)
    for _ in range(3):  # the checked loops, then the compiled program
        g.forward(feed)
        g.backward()
        assert isinstance(g.grad_out("student"), np.ndarray)
        np.testing.assert_allclose(g.grad_out("student"), 2 * g.grad("student"))


def test_an_objective_returning_one_loss_per_row_is_named():
    class RowLoss:
        def eval(self, Y, Yhat):
            return np.sum((Y - Yhat) ** 2, axis=1)  # one per row: the mean is missing

        def gradient(self, Y, Yhat):
            return -2 * (Y - Yhat)

    g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1, seed=0), objective=gn.wrap(RowLoss()))
    with pytest.raises(gn.GraphError, match=r"RowLoss: eval returned 3 values .* not one number: J is "
                                            r"the mean"):
        g.forward(X=np.ones((3, 2)), Y=np.zeros((3, 1)))


def test_an_objective_gradient_of_the_wrong_shape_is_named():
    class Flat:
        def eval(self, Y, Yhat):
            return float(np.mean((Y - Yhat) ** 2))

        def gradient(self, Y, Yhat):
            return (-2 * (Y - Yhat)).T  # transposed

    g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 2, seed=0), objective=gn.wrap(Flat()), fuse=False)
    g.forward(X=np.ones((3, 2)), Y=np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"Flat: gradient returned 2 x 3, but Yhat is 3 x 2"):
        g.backward()


def test_a_class_with_a_non_ascii_name_gets_a_node_name_add_accepts():
    Sigmoide = type("SigmoïdeLayer", (_Doubler,), {})
    g = gn.Graph()
    name = g.add(gn.wrap(Sigmoide()), g.input("X"))
    assert name == "sigmo_de1"
