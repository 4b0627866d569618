"""fit, predict, evaluate, train_validation_split and the learning-curve plot."""
import io
import sys

import numpy as np
import pytest

import graphnn as gn
from graphnn.datasets import load_kidcreative
from graphnn.training.optim import SGD, Adam
from graphnn.views.plotting import plot_history
from graphnn.training.fit import History, evaluate, fit, predict, train_validation_split


@pytest.fixture(scope="module")
def kidcreative():
    return load_kidcreative()


def logistic_graph(X, seed=0):
    return gn.Graph.sequential(
        gn.InputLayer(X), gn.FullyConnectedLayer(X.shape[1], 1, seed=seed),
        gn.LogisticSigmoidLayer(), objective=gn.LogLoss(),
    )


def softmax_problem(seed=0, n=60):
    """Three well separated blobs in 2-D, one-hot targets, and a softmax regression graph."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    centres = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    X = centres[labels] + rng.normal(0, 0.7, (n, 2))
    Y = np.eye(3)[labels]
    graph = gn.Graph.sequential(
        gn.FullyConnectedLayer(2, 3, seed=seed), gn.SoftmaxLayer(), objective=gn.CrossEntropy()
    )
    return graph, X, Y


def weights(graph):
    return [p.value.copy() for p in graph.parameters()]


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------------------- splitting
def test_split_is_stratified_two_thirds_one_third(kidcreative):
    X, Y = kidcreative
    (Xt, Yt), (Xv, Yv) = train_validation_split(X, Y, 1 / 3, seed=0)
    assert (len(Yt), len(Yv)) == (449, 224)  # round(673 / 3) = 224
    # 224 of 673 rows: quotas 548 * 224/673 = 182.39 (no) and 125 * 224/673 = 41.61 (yes);
    # the floors sum to 223 and the larger remainder, "yes", gets the last row.
    assert (int((Yv == 0).sum()), int((Yv == 1).sum())) == (182, 42)
    assert (int((Yt == 0).sum()), int((Yt == 1).sum())) == (366, 83)
    # Every row lands in exactly one part, in the original order.
    rows = {tuple(r) for r in np.hstack([X, Y])}
    parts = [tuple(r) for r in np.vstack([np.hstack([Xt, Yt]), np.hstack([Xv, Yv])])]
    assert len(parts) == len(X) and set(parts) == rows


def test_split_keeps_each_class_share_within_one_row():
    labels = np.repeat([0, 1, 2], [50, 30, 20])
    Y = np.eye(3)[labels]
    X = np.arange(100.0).reshape(100, 1)
    (Xt, Yt), (Xv, Yv) = train_validation_split(X, Y, 0.25, seed=1)
    assert len(Yv) == 25
    for k, n_k in enumerate([50, 30, 20]):
        assert abs(Yv[:, k].sum() - 0.25 * n_k) < 1
    assert np.all(np.diff(Xt.ravel()) > 0) and np.all(np.diff(Xv.ravel()) > 0)  # order kept


def test_split_is_reproducible_and_depends_on_the_seed(kidcreative):
    X, Y = kidcreative
    a = train_validation_split(X, Y, 0.3, seed=5)
    b = train_validation_split(X, Y, 0.3, seed=5)
    c = train_validation_split(X, Y, 0.3, seed=6)
    np.testing.assert_array_equal(a[1][0], b[1][0])
    assert not np.array_equal(a[1][0], c[1][0])


def test_unstratified_split_of_continuous_targets():
    X = np.arange(20.0).reshape(10, 2)
    Y = np.linspace(0, 1, 10).reshape(10, 1)
    with pytest.raises(ValueError, match="stratify=False"):
        train_validation_split(X, Y, 0.2, seed=0)
    (Xt, Yt), (Xv, Yv) = train_validation_split(X, Y, 0.2, seed=0, stratify=False)
    assert (len(Xt), len(Xv)) == (8, 2)


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, 0.01, True])
def test_split_refuses_fractions_that_leave_a_part_empty(fraction):
    with pytest.raises(ValueError, match="fraction"):
        train_validation_split(np.zeros((10, 1)), np.zeros((10, 1)), fraction, seed=0, stratify=False)


def test_split_refuses_x_and_y_of_different_lengths():
    with pytest.raises(ValueError, match="10 x 1.*9 x 1"):
        train_validation_split(np.zeros((10, 1)), np.zeros((9, 1)), 0.5, seed=0)


# ---------------------------------------------------------------------------- fit
def test_full_batch_gradient_descent_lowers_the_training_loss_every_epoch(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)
    J0 = evaluate(graph, X, Y)["loss"]
    history = fit(graph, X, Y, epochs=60, optimizer=SGD(graph.parameters(), lr=0.05), progress=False)
    losses = history["loss"]
    assert len(losses) == history.epochs == 60
    # Full batch: epoch k's loss is J before its step, so epoch 1 reports the initial J.
    assert losses[0] == J0
    assert np.all(np.diff(losses) < 0), losses
    assert evaluate(graph, X, Y)["loss"] < losses[-1]
    assert set(history) == {"loss", "accuracy"}
    assert history.best_epoch == 60 and not history.stopped_early and not history.interrupted


def test_a_fixed_seed_gives_the_same_history_twice(kidcreative):
    X, Y = kidcreative

    def run(seed):
        graph = logistic_graph(X, seed=0)
        return fit(graph, X, Y, epochs=8, batch_size=50, optimizer=Adam(graph.parameters(), lr=0.01),
                   validation_split=0.25, seed=seed, progress=False), weights(graph)

    (h1, w1), (h2, w2), (h3, _) = run(7), run(7), run(8)
    assert set(h1) == {"loss", "val_loss", "accuracy", "val_accuracy"}
    assert dict(h1) == dict(h2)  # exact equality, float for float
    assert_same_weights(w1, w2)
    assert h3["loss"] != h1["loss"]  # another shuffle and another split


def test_epoch_loss_is_the_batch_size_weighted_mean_of_batch_losses(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)

    class Frozen:  # an "optimizer" that changes nothing: every batch sees the same weights
        params = ()

        def step(self):
            pass

    history = fit(graph, X, Y, epochs=2, batch_size=100, optimizer=Frozen(), progress=False)
    full = evaluate(graph, X, Y)
    # 673 = 6 x 100 + 73: the short last batch counts for 73 rows, not for a seventh.
    assert history["loss"] == pytest.approx([full["loss"]] * 2, rel=1e-12)
    assert history["accuracy"] == pytest.approx([full["accuracy"]] * 2, rel=1e-12)


def test_fit_trains_a_classifier_and_reports_accuracy():
    graph, X, Y = softmax_problem()
    history = fit(graph, X, Y, epochs=40, batch_size=16, optimizer=Adam(graph.parameters(), lr=0.05),
                  progress=False)
    assert history["accuracy"][-1] == 1.0
    scores = evaluate(graph, X, Y)
    predicted = predict(graph, X)
    assert scores["accuracy"] == np.mean(predicted.argmax(1) == Y.argmax(1)) == 1.0
    assert scores["loss"] == pytest.approx(gn.CrossEntropy().eval(Y, predicted), rel=1e-12)


def test_binary_accuracy_thresholds_at_one_half(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)
    fit(graph, X, Y, epochs=30, optimizer=Adam(graph.parameters(), lr=0.05), progress=False)
    P = predict(graph, X)
    assert evaluate(graph, X, Y)["accuracy"] == np.mean((P > 0.5) == (Y == 1))


def test_regression_has_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]])
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(3, 1, seed=0), objective=gn.SquaredError())
    history = fit(graph, X, Y, epochs=200, optimizer=SGD(graph.parameters(), lr=0.1),
                  validation_data=(X[:5], Y[:5]), progress=False)
    assert set(history) == {"loss", "val_loss"}
    assert history["loss"][-1] < 1e-6
    assert set(evaluate(graph, X, Y)) == {"loss"}


def test_default_optimizer_is_adam(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)
    history = fit(graph, X, Y, epochs=5, progress=False)
    assert history["loss"][-1] < history["loss"][0]


# ---------------------------------------------------------------------------- early stopping
def test_early_stopping_stops_after_patience_and_restores_the_best_weights(kidcreative):
    X, Y = kidcreative
    # Validation targets flipped: the better the model fits, the worse the validation loss,
    # so the best epoch is the first and training must stop `patience` epochs later.
    validation = (X, 1.0 - Y)
    graph = logistic_graph(X)
    history = fit(graph, X, Y, epochs=50, optimizer=Adam(graph.parameters(), lr=0.05),
                  validation_data=validation, early_stopping_patience=3, progress=False)
    assert history.stopped_early and history.restored_best and not history.interrupted
    assert history.best_epoch == 1 and history.epochs == 4
    assert history.monitor == "val_loss"
    assert len(history["val_loss"]) == 4 and np.all(np.diff(history["val_loss"]) > 0)

    once = logistic_graph(X)
    fit(once, X, Y, epochs=1, optimizer=Adam(once.parameters(), lr=0.05), progress=False)
    assert_same_weights(weights(graph), weights(once))
    assert evaluate(graph, *validation)["loss"] == history["val_loss"][0]


def test_early_stopping_does_not_stop_while_the_loss_improves(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)
    history = fit(graph, X, Y, epochs=20, optimizer=SGD(graph.parameters(), lr=0.05),
                  early_stopping_patience=2, progress=False)
    assert history.epochs == 20 and history.best_epoch == 20
    assert history.monitor == "loss"
    assert not history.stopped_early and not history.restored_best


def test_restored_weights_are_the_best_epochs_when_epochs_run_out(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)
    history = fit(graph, X, Y, epochs=6, optimizer=Adam(graph.parameters(), lr=0.05),
                  validation_data=(X, 1.0 - Y), early_stopping_patience=10, progress=False)
    assert history.epochs == 6 and not history.stopped_early
    assert history.best_epoch == 1 and history.restored_best
    assert evaluate(graph, X, 1.0 - Y)["loss"] == history["val_loss"][0]


# ---------------------------------------------------------------------------- Ctrl-C
class InterruptAt:
    """Wraps an optimizer; raises KeyboardInterrupt right after its ``n``-th step, as if the
    user pressed Ctrl-C in the middle of an epoch, with the weights already changed."""

    def __init__(self, optimizer, n):
        self.optimizer, self.n, self.steps = optimizer, n, 0
        self.params = optimizer.params

    def step(self):
        self.optimizer.step()
        self.steps += 1
        if self.steps == self.n:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_the_history_so_far_and_the_last_complete_epochs_weights(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)
    # 673 rows in batches of 100: 7 steps per epoch; step 17 is in the middle of epoch 3.
    opt = InterruptAt(Adam(graph.parameters(), lr=0.01), 17)
    history = fit(graph, X, Y, epochs=10, batch_size=100, optimizer=opt, progress=False)
    assert history.interrupted and not history.stopped_early
    assert history.epochs == 2 and len(history["accuracy"]) == 2

    reference = logistic_graph(X)
    expected = fit(reference, X, Y, epochs=2, batch_size=100,
                   optimizer=Adam(reference.parameters(), lr=0.01), progress=False)
    assert dict(history) == dict(expected)
    assert_same_weights(weights(graph), weights(reference))


def test_ctrl_c_with_early_stopping_restores_the_best(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)
    opt = InterruptAt(Adam(graph.parameters(), lr=0.05), 3)
    history = fit(graph, X, Y, epochs=10, optimizer=opt, validation_data=(X, 1.0 - Y),
                  early_stopping_patience=5, progress=False)
    assert history.interrupted and history.restored_best
    assert history.epochs == 2 and history.best_epoch == 1
    assert evaluate(graph, X, 1.0 - Y)["loss"] == history["val_loss"][0]


def test_ctrl_c_in_the_first_epoch_returns_an_empty_history(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)
    before = weights(graph)
    history = fit(graph, X, Y, epochs=3, optimizer=InterruptAt(SGD(graph.parameters(), lr=0.1), 1),
                  progress=False)
    assert history.interrupted and history.epochs == 0 and history.best_epoch is None
    assert_same_weights(weights(graph), before)


# ---------------------------------------------------------------------------- progress bar
def test_no_progress_output_when_stderr_is_not_a_terminal(kidcreative, capsys):
    X, Y = kidcreative
    graph = logistic_graph(X)
    fit(graph, X, Y, epochs=3)  # the default decides: off here (progress=True would force it)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_and_switchable_off(kidcreative, monkeypatch):
    X, Y = kidcreative
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    graph = logistic_graph(X)
    fit(graph, X, Y, epochs=3, progress=True)
    assert "3/3" in terminal.getvalue() and "epoch" in terminal.getvalue()

    terminal.seek(0)
    terminal.truncate()
    fit(graph, X, Y, epochs=3, progress=False)
    assert terminal.getvalue() == ""


# ---------------------------------------------------------------------------- predict / evaluate
def test_predict_needs_no_targets_and_matches_forward(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)
    graph.forward(X=X, Y=Y)
    expected = graph.value("sigmoid1").copy()
    np.testing.assert_array_equal(predict(graph, X), expected)
    # Fewer rows may take another BLAS path: equal to rounding, not bit for bit.
    np.testing.assert_allclose(predict(graph, X[:5], output="fc1"), graph.value("fc1")[:5], rtol=1e-12)


def test_predict_between_forward_and_backward_changes_no_gradient(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)
    graph.forward(X=X, Y=Y)
    graph.backward()
    expected = [p.grad.copy() for p in graph.parameters()]
    value = graph.value("fc1")

    graph.forward(X=X, Y=Y)
    predict(graph, X[:7] * 2)  # other data, other batch size
    graph.backward()
    for p, g in zip(graph.parameters(), expected):
        np.testing.assert_array_equal(p.grad, g)
    assert graph.value("fc1") is not value and np.array_equal(graph.value("fc1"), value)


def test_predict_refuses_an_output_that_needs_another_input():
    g = gn.Graph()
    a, b = g.input("X"), g.input("Z")
    s = g.add(gn.AddLayer(), a, b, name="sum")
    with pytest.raises(gn.GraphError, match="'Z'"):
        predict(g, np.ones((2, 2)), output=s)


def test_fit_names_what_is_wrong(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)
    with pytest.raises(ValueError, match="673 x 16.*672 x 1"):
        fit(graph, X, Y[1:], epochs=1)
    with pytest.raises(ValueError, match="not both"):
        fit(graph, X, Y, epochs=1, validation_split=0.2, validation_data=(X, Y))
    with pytest.raises(ValueError, match="epochs"):
        fit(graph, X, Y, epochs=0)
    with pytest.raises(ValueError, match="batch_size"):
        fit(graph, X, Y, epochs=1, batch_size=0)
    with pytest.raises(gn.GraphError, match="input_name='features'"):
        fit(graph, X, Y, epochs=1, input_name="features")
    other = logistic_graph(X)
    with pytest.raises(ValueError, match="not in this graph"):
        fit(graph, X, Y, epochs=1, optimizer=SGD(other.parameters(), lr=0.1))
    no_objective = gn.Graph.sequential(gn.FullyConnectedLayer(16, 1))
    with pytest.raises(gn.GraphError, match="no objective"):
        fit(no_objective, X, Y, epochs=1)


def test_an_objective_with_an_empty_slot_is_named_not_an_index_error():
    g = gn.Graph()
    x, y = g.input("X"), g.input("Y")
    g.add(gn.LogisticSigmoidLayer(), g.add(gn.FullyConnectedLayer(2, 1, seed=0), x))
    g.add(gn.LogLoss(), y, name="loss")  # the estimate slot is never connected
    X, Y = np.ones((4, 2)), np.ones((4, 1))
    for call in (lambda: fit(g, X, Y, epochs=1), lambda: evaluate(g, X, Y), lambda: predict(g, X)):
        with pytest.raises(gn.GraphError, match="'loss'.*slot.*1 left empty"):
            call()


def test_history_is_a_dict_with_facts():
    h = History(loss=[1.0, 0.5])
    h.best_epoch = 2
    assert h.epochs == 2 and h["loss"] == [1.0, 0.5] and isinstance(h, dict)
    assert repr(h) == "History(epochs=2, loss=0.5, best loss=0.5 at epoch 2)"


# ---------------------------------------------------------------------------- plotting
@pytest.fixture
def trained_history(kidcreative):
    X, Y = kidcreative
    graph = logistic_graph(X)
    return fit(graph, X, Y, epochs=12, optimizer=Adam(graph.parameters(), lr=0.05),
               validation_split=1 / 3, progress=False)


def test_plot_history_writes_png(trained_history, tmp_path):
    path = tmp_path / "curve.png"
    figure = plot_history(trained_history, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(figure.axes) == 2  # loss and accuracy


def test_plot_history_writes_the_same_svg_twice(trained_history, tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    plot_history(trained_history, a)
    plot_history(trained_history, b)
    assert a.read_bytes().startswith(b"<?xml") and b"<svg" in a.read_bytes()
    assert a.read_bytes() == b.read_bytes()


def test_plot_history_of_a_regression_has_one_panel():
    assert len(plot_history({"loss": [3.0, 2.0, 1.0]}).axes) == 1


def test_plot_history_refuses_unknown_formats_and_empty_histories(tmp_path):
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        plot_history({"loss": [1.0]}, tmp_path / "curve.jpg")
    with pytest.raises(ValueError, match="no 'loss'"):
        plot_history(History(loss=[]), tmp_path / "curve.png")


def test_plot_history_without_matplotlib_says_what_to_install(monkeypatch, tmp_path):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[plot\]"'):
        plot_history({"loss": [1.0]}, tmp_path / "curve.png")
    assert not (tmp_path / "curve.png").exists()


# ---------------------------------------------------------------------------- the parts of fit
def test_the_training_api_is_one_import_from_fit_and_each_name_lives_in_its_own_module():
    from graphnn.training import evaluation, history, split

    assert (History, predict, evaluate, train_validation_split) == (
        history.History, evaluation.predict, evaluation.evaluate, split.train_validation_split)
    assert (gn.fit, gn.History, gn.predict, gn.evaluate) == (fit, History, predict, evaluate)


def test_best_epoch_counts_patience_and_restores_only_with_early_stopping():
    from graphnn.training.early_stopping import BestEpoch

    p = gn.Parameter(np.zeros((1, 1)), "w")
    history = History(loss=[0.5, 0.4, 0.45, 0.44])
    best = BestEpoch(patience=2, min_delta=0.01)
    for epoch, (loss, value) in enumerate(zip(history["loss"], (1.0, 2.0, 3.0, 4.0)), start=1):
        best.update(history, epoch, loss, [np.full((1, 1), value)])
    assert (history.best_epoch, best.waited, best.out_of_patience) == (2, 2, True)
    best.restore_best([p], history)
    assert p.value[0, 0] == 2.0 and history.restored_best
    without = BestEpoch(patience=None, min_delta=0.0)
    without.update(history, 1, 0.5, [np.full((1, 1), 9.0)])
    assert not without.out_of_patience and without.weights is None


def test_the_divergence_guard_restores_the_last_finite_weights_it_kept():
    from graphnn.training.divergence import DivergenceGuard

    graph = gn.Graph.sequential(gn.FullyConnectedLayer(1, 1, seed=0), objective=gn.SquaredError())
    weights = graph.parameters()[0]
    history = History(loss=[])
    guard = DivergenceGuard(graph, graph.parameters(), history)
    weights.value[...] = 3.0
    guard.keep(guard.checked_weights(1), 1)
    weights.value[...] = np.inf
    with pytest.raises(FloatingPointError, match=r"epoch 2 \(its last update\): parameter 'weights'.*"
                                                 r"The weights of epoch 1 \(the last finite ones\) were restored") as err:
        guard.checked_weights(2)
    assert weights.value[0, 0] == 3.0 and err.value.history is history and err.value.epoch == 2


# ---------------------------------------------------------------------------- issue 29, item 15's siblings
@pytest.mark.parametrize("argument, value, error, says", [
    ("shuffle", "no", TypeError, "fit: shuffle must be True or False, got 'no'"),
    ("progress", "no", TypeError, r"fit: progress must be True or False \(or None\), got 'no'"),
    ("seed", -1, ValueError, r"fit: seed must be an integer >= 0 \(or None\), got -1"),
    ("seed", 1.5, ValueError, r"fit: seed must be an integer >= 0 \(or None\), got 1.5"),
    ("optimizer", "adam", TypeError, r"fit: optimizer must be an optimizer built on the graph's parameters, e.g. "
                                     r"Adam\(graph.parameters\(\)\) from graphnn.training.optim; got str 'adam'"),
])
def test_fit_arguments_of_the_wrong_kind_are_named_before_training(argument, value, error, says):
    """``shuffle="no"`` shuffled (a non-empty string is true), a bad seed gave numpy's
    message, an optimizer given as a string failed with AttributeError after the first pass."""
    from graphnn.training.optim import Adam

    graph = gn.Graph.sequential(gn.FullyConnectedLayer(3, 1, seed=0), gn.LogisticSigmoidLayer(), objective=gn.LogLoss())
    X = np.random.default_rng(0).normal(size=(8, 3))
    Y = (X[:, :1] > 0).astype(float)
    before = [p.value.copy() for p in graph.parameters()]
    with pytest.raises(error, match=says):
        fit(graph, X, Y, epochs=1, **{"progress": False, argument: value})
    assert all(np.array_equal(a, p.value) for a, p in zip(before, graph.parameters()))
    with pytest.raises(TypeError, match="got the class Adam"):
        fit(graph, X, Y, epochs=1, progress=False, optimizer=Adam)
