"""The training / inference mode of a graph (issue 27): switched by hand, by ``fit``
(training, validation at inference), ``predict`` and ``evaluate`` (inference), each giving the
graph its mode back; run by dropout and batch norm inside a graph, the fast path included;
kept by the record of each pass; shown by the repr and the summary."""
import numpy as np
import pytest

import graphnn as gn
from graphnn.training.callbacks import Callback

RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 3))
Y = (X[:, :1] + X[:, 1:2] > 0).astype(float)


def mlp(p=0.5):
    """X -> fc -> batchnorm -> relu -> dropout -> fc -> sigmoid -> LogLoss."""
    return gn.Graph.sequential(
        gn.FullyConnectedLayer(3, 8, seed=0), gn.BatchNormLayer(8), gn.ReLULayer(),
        gn.DropoutLayer(p, seed=1), gn.FullyConnectedLayer(8, 1, seed=2), gn.LogisticSigmoidLayer(),
        objective=gn.LogLoss())


def test_the_mode_by_hand_and_what_the_layers_run_in():
    g = mlp()
    assert g.training and g.mode == "training"
    assert g.mode_dependent == ["batchnorm1", "dropout1"]
    g.forward(X=X, Y=Y)
    assert g.op("dropout1").ran_in == "training" and g.op("batchnorm1").ran_in == "training"
    assert g.last_pass.mode == "training" and g.last_pass.mode_of("dropout1") == "training"
    assert g.last_pass.mode_of("fc1") is None
    assert g.eval() is g and g.mode == "inference" and not g.training
    for _ in range(2):  # the second pass runs the compiled fast path: the same mode
        g.forward(X=X, Y=Y)
        assert g.op("dropout1").ran_in == "inference" and g.op("batchnorm1").ran_in == "inference"
        assert g.last_pass.mode == "inference"
        np.testing.assert_array_equal(g.value("dropout1"), g.value("relu1"))   # the identity
    g.train()
    g.forward(X=X, Y=Y)
    assert g.last_pass.mode == "training"
    g.training = False
    assert g.mode == "inference"


def test_the_graph_sets_the_mode_of_its_layers_on_every_pass():
    g = mlp()
    g.op("dropout1").training = False        # by hand on the layer: the graph's mode wins
    g.forward(X=X, Y=Y)
    assert g.op("dropout1").ran_in == "training"


def test_inference_is_deterministic_and_training_is_not():
    g = mlp()
    g.forward(X=X, Y=Y)
    a = g.value("sigmoid1").copy()
    g.forward(X=X, Y=Y)
    assert not np.array_equal(a, g.value("sigmoid1"))     # a new mask
    g.eval()
    g.forward(X=X, Y=Y)
    b = g.value("sigmoid1").copy()
    g.forward(X=X[:5], Y=Y[:5])
    np.testing.assert_allclose(g.value("sigmoid1"), b[:5], rtol=1e-14)  # rows alone at inference


class Modes(Callback):
    def __init__(self):
        self.seen = []

    def on_batch_end(self, batch, logs=None):
        self.seen.append(self.graph.mode)


def test_fit_trains_in_training_mode_validates_at_inference_and_gives_the_mode_back():
    g = mlp().eval()
    modes = Modes()
    validated = []
    original = gn.training.evaluation.score

    def spy(graph, *args):
        result = original(graph, *args)
        validated.append(graph.last_pass.mode)
        return result

    fit_module = __import__("graphnn.training.fit", fromlist=["score"])
    fit_module.score = spy
    try:
        gn.fit(g, X, Y, epochs=3, batch_size=10, validation_split=0.25, callbacks=[modes], progress=False)
    finally:
        fit_module.score = original
    assert set(modes.seen) == {"training"} and len(modes.seen) == 3 * 3
    assert validated == ["inference"] * 3
    assert g.mode == "inference"                          # as before fit
    g.train()
    gn.fit(g, X, Y, epochs=1, progress=False)
    assert g.mode == "training"


def test_predict_and_evaluate_run_at_inference_and_give_the_mode_back():
    g = mlp()
    gn.fit(g, X, Y, epochs=5, batch_size=8, progress=False)
    bn = g.op("batchnorm1")
    running = bn.running_mean.copy(), bn.running_var.copy()
    P1, P2 = gn.predict(g, X), gn.predict(g, X)
    np.testing.assert_array_equal(P1, P2)                  # no dropout, running statistics
    np.testing.assert_array_equal(bn.running_mean, running[0])   # not updated at inference
    assert g.mode == "training" and bn.training
    scores = gn.evaluate(g, X, Y)
    assert g.mode == "training" and g.last_pass.mode == "inference"
    g.eval()
    assert scores["loss"] == pytest.approx(g.forward(X=X, Y=Y))
    np.testing.assert_allclose(g.value("sigmoid1"), P1, rtol=1e-14)


def test_the_repr_and_the_summary_show_the_mode():
    g = mlp()
    assert repr(g).endswith("; training mode)")
    assert str(g.summary()).splitlines()[-1] == (
        "mode: training (followed by batchnorm1, dropout1)")
    g.eval()
    assert repr(g).endswith("; inference mode)")
    assert "mode: inference (followed by batchnorm1, dropout1)" in str(g.summary())
    plain = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1), objective=gn.LogLoss())
    assert "mode" not in repr(plain)                     # nothing changes with the mode
    assert str(plain.summary()).splitlines()[-1] == "mode: training"
    assert "inference mode" in repr(plain.eval())
