"""fit's callbacks: which hooks run, in which order, with which logs; stopping; bad entries."""
import numpy as np
import pytest

import graphnn as gn
from graphnn.training.callbacks import Callback, CallbackList, LambdaCallback
from graphnn.training.fit import fit


def small_problem(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((10, 3))
    Y = (X[:, :1] > 0).astype(float)
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(3, 1, seed=seed), gn.LogisticSigmoidLayer(),
                                objective=gn.LogLoss())
    return graph, X, Y


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin", logs))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end", sorted(logs)))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, sorted(logs)))

    def on_batch_begin(self, batch, logs=None):
        self.calls.append(("batch_begin", batch, logs["size"], logs["step"]))

    def on_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch, logs["size"], logs["step"], "loss" in logs))


def test_hooks_run_in_order_with_their_logs():
    graph, X, Y = small_problem()
    recorder = Recorder()
    fit(graph, X, Y, epochs=2, batch_size=4, progress=False, callbacks=[recorder])
    epoch_keys = ["accuracy", "loss"]
    one_epoch = lambda e, first: [  # 10 rows in minibatches of 4, 4 and 2
        ("epoch_begin", e),
        ("batch_begin", 1, 4, first), ("batch_end", 1, 4, first, True),
        ("batch_begin", 2, 4, first + 1), ("batch_end", 2, 4, first + 1, True),
        ("batch_begin", 3, 2, first + 2), ("batch_end", 3, 2, first + 2, True),
        ("epoch_end", e, epoch_keys),
    ]
    assert recorder.calls == [("train_begin", {})] + one_epoch(1, 1) + one_epoch(2, 4) + [
        ("train_end", epoch_keys)]
    assert recorder.params == {"epochs": 2, "steps": 3, "batch_size": 4, "samples": 10}
    assert recorder.graph is graph and recorder.optimizer is not None


def test_epoch_logs_are_the_history_and_batch_logs_the_minibatch_loss():
    graph, X, Y = small_problem()
    epoch_logs, batch_losses = [], []
    spy = LambdaCallback(on_epoch_end=lambda epoch, logs: epoch_logs.append(logs),
                         on_batch_end=lambda batch, logs: batch_losses.append(logs["loss"]))
    history = fit(graph, X, Y, epochs=3, progress=False, validation_data=(X[:4], Y[:4]), callbacks=[spy])
    assert [logs["loss"] for logs in epoch_logs] == history["loss"]
    assert [logs["val_loss"] for logs in epoch_logs] == history["val_loss"]
    # One full batch per epoch: the minibatch loss is the epoch's loss.
    assert batch_losses == history["loss"]


def test_at_batch_end_the_record_holds_that_minibatch_before_its_update():
    graph, X, Y = small_problem()
    seen = []

    def check(batch, logs):
        rows = graph.last_pass.value("X")
        seen.append((rows.shape[0], graph.last_pass.has_gradients, logs["size"]))

    fit(graph, X, Y, epochs=1, batch_size=4, progress=False, callbacks=[LambdaCallback(on_batch_end=check)])
    assert seen == [(4, True, 4), (4, True, 4), (2, True, 2)]


def test_a_callback_can_stop_training():
    graph, X, Y = small_problem()

    class StopAtTwo(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.stop_training = epoch == 2

    history = fit(graph, X, Y, epochs=10, progress=False, callbacks=[StopAtTwo()])
    assert history.epochs == 2 and history.stopped_early


def test_each_callback_gets_its_own_logs():
    graph, X, Y = small_problem()
    seen = []
    spoil = LambdaCallback(on_epoch_end=lambda epoch, logs: logs.clear())
    spy = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(sorted(logs)))
    fit(graph, X, Y, epochs=1, progress=False, callbacks=[spoil, spy])
    assert seen == [["accuracy", "loss"]]


def test_callbacks_do_not_change_training():
    histories, weights = [], []
    for callbacks in (None, [Recorder(), LambdaCallback()]):
        graph, X, Y = small_problem()
        histories.append(dict(fit(graph, X, Y, epochs=3, batch_size=3, progress=False, callbacks=callbacks)))
        weights.append([p.value.copy() for p in graph.parameters()])
    assert histories[0] == histories[1]
    assert all(np.array_equal(a, b) for a, b in zip(*weights))


def test_bad_callbacks_are_named():
    graph, X, Y = small_problem()
    with pytest.raises(TypeError, match=r"callbacks\[1\] is a function, not a graphnn.training.callbacks.Callback"):
        fit(graph, X, Y, epochs=1, progress=False, callbacks=[Callback(), lambda: None])
    with pytest.raises(TypeError, match=r"unknown hook\(s\) \['on_epoch_ends'\]"):
        LambdaCallback(on_epoch_ends=print)
    assert not CallbackList() and CallbackList([Callback()])


# ---------------------------------------------------------------------------- issue 29, item 15
def test_one_callback_alone_is_taken_as_a_list_of_one():
    """``fit(callbacks=Monitor())`` failed with "'Monitor' object is not iterable"."""
    graph, X, Y = small_problem()
    recorder = Recorder()
    fit(graph, X, Y, epochs=2, progress=False, callbacks=recorder)
    assert [c[0] for c in recorder.calls].count("epoch_end") == 2


@pytest.mark.parametrize("callbacks, says", [
    ("monitor", r"callbacks must be a list of callbacks, e.g. callbacks=\[Monitor\(\)\], got str 'monitor'"),
    (3, "callbacks must be a list of callbacks, e.g. callbacks=\\[Monitor\\(\\)\\], got int 3"),
    ([Recorder], r"callbacks\[0\] is the class Recorder, not a callback; make one: Recorder\(...\)"),
])
def test_callbacks_that_are_no_list_of_callbacks_are_refused(callbacks, says):
    graph, X, Y = small_problem()
    with pytest.raises(TypeError, match=says):
        fit(graph, X, Y, epochs=1, progress=False, callbacks=callbacks)


def test_the_same_callback_twice_is_refused():
    graph, X, Y = small_problem()
    recorder = Recorder()
    with pytest.raises(TypeError, match=r"callbacks\[2\] is callbacks\[0\] again \(Recorder\); pass each callback once"):
        fit(graph, X, Y, epochs=1, progress=False, callbacks=[recorder, Callback(), recorder])


@pytest.mark.parametrize("hook, function, call", [
    ("on_epoch_end", lambda logs: None, r"on_epoch_end\(epoch, logs\)"),
    ("on_train_begin", lambda epoch, logs: None, r"on_train_begin\(logs\)"),
    ("on_batch_end", lambda: None, r"on_batch_end\(batch, logs\)"),
])
def test_a_lambda_hook_of_the_wrong_arity_is_named_when_made(hook, function, call):
    """The wrong arity gave Python's bare "takes 1 positional argument but 2 were given"."""
    with pytest.raises(TypeError, match=rf"LambdaCallback: {hook} is called as {call}, but the function given "
                                        r"\(<lambda>, .*test_callbacks.py line \d+\) takes \("):
        LambdaCallback(**{hook: function})


def test_hooks_that_cannot_be_called_are_named_before_training():
    class OneArgument(Callback):
        def on_epoch_end(self, epoch):  # forgot logs
            pass

    graph, X, Y = small_problem()
    before = [p.value.copy() for p in graph.parameters()]
    with pytest.raises(TypeError, match=r"fit: callbacks\[0\] \(OneArgument\): on_epoch_end is called as "
                                        r"on_epoch_end\(epoch, logs\).*takes \(epoch\)"):
        fit(graph, X, Y, epochs=1, progress=False, callbacks=[OneArgument()])
    assert all(np.array_equal(a, p.value) for a, p in zip(before, graph.parameters()))  # nothing trained
    with pytest.raises(TypeError, match=r"LambdaCallback: on_epoch_end must be a function called as "
                                        r"on_epoch_end\(epoch, logs\), got str 'print'"):
        LambdaCallback(on_epoch_end="print")
    flexible = LambdaCallback(on_epoch_end=lambda *args, **kwargs: None, on_train_end=None, on_batch_end=print)
    fit(graph, X, Y, epochs=1, progress=False, callbacks=[flexible])


def test_a_callback_that_writes_nan_into_the_data_is_blamed_not_the_learning_rate():
    """NaN written into X during training was traced to X, with the advice "lower the
    learning rate"."""
    graph, X, Y = small_problem()
    X = X.copy()

    def spoil(epoch, logs):
        if epoch == 2:
            X[3, 1] = np.nan

    with pytest.raises(FloatingPointError) as caught:
        fit(graph, X, Y, epochs=4, batch_size=5, shuffle=False, progress=False,
            callbacks=[LambdaCallback(on_epoch_end=spoil)])
    message = str(caught.value)
    assert "epoch 3 (minibatch 1 of 2): the data fed to input 'X' holds 1 NaN or inf entries (the first at row 3, column 1" in message
    assert "wrote NaN or inf into an array given to fit" in message and "learning rate" not in message
    Y = Y.copy()
    graph, _, _ = small_problem()
    with pytest.raises(FloatingPointError, match=r"epoch 2 \(on the validation data\): the data fed to input 'Y' holds 1 NaN"):
        X_val, Y_val = X[:4].copy(), Y[:4].copy()
        X_val[3, 1] = 0.0
        fit(graph, X[4:8], Y[4:8], epochs=3, progress=False, validation_data=(X_val, Y_val),
            callbacks=[LambdaCallback(on_epoch_begin=lambda epoch, logs: Y_val.__setitem__((0, 0), np.nan) if epoch == 2 else None)])
