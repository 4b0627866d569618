"""Training a graph: ``fit`` (minibatches, validation, early stopping, progress) and its epoch
loop.

The graph is any ``Graph`` with an input for the data (``"X"`` by default), one for the
targets (``"Y"``) and an objective; ``Graph.sequential(..., objective=...)`` builds one::

    import graphnn as gn
    from graphnn.training.optim import Adam
    from graphnn.training.fit import fit, evaluate, train_validation_split

    (X_train, Y_train), (X_val, Y_val) = train_validation_split(X, Y, 1 / 3, seed=0)
    graph = gn.Graph.sequential(gn.InputLayer(X_train), gn.FullyConnectedLayer(16, 1, seed=0),
                                gn.LogisticSigmoidLayer(), objective=gn.LogLoss())
    history = fit(graph, X_train, Y_train, epochs=200, optimizer=Adam(graph.parameters(), lr=0.01),
                  validation_data=(X_val, Y_val))
    evaluate(graph, X_val, Y_val)          # {'loss': ..., 'accuracy': ...}

``fit`` reads as its parts: the argument checks (``graphnn.training.checks``), one epoch
(the loop in this module), divergence handling (``graphnn.training.divergence``), early stopping
(``graphnn.training.early_stopping``) and the ``History`` it returns
(``graphnn.training.history``). ``predict``, ``evaluate`` (``graphnn.training.evaluation``)
and ``train_validation_split`` (``graphnn.training.split``) can be imported from here too, so
one import line gives the whole training API. See docs/training.md for the details of each
choice.
"""
import sys

import numpy as np

from .callbacks import CallbackList
from .checks import (
    GraphRoles, check_optimizer, checked_flag, checked_min_delta, checked_seed, finite_data, held_out_data, positive_int,
)
from .divergence import DivergenceGuard
from .early_stopping import BestEpoch
from .evaluation import accuracy, evaluate, predict, score
from .history import History
from .optim import Adam
from .snapshots import restore
from .split import train_validation_split

__all__ = ["History", "fit", "predict", "evaluate", "train_validation_split"]


def fit(graph, X, Y, epochs, batch_size=None, optimizer=None, *, validation_split=None,
        validation_data=None, shuffle=True, seed=0, early_stopping_patience=None, min_delta=0.0,
        progress=None, input_name="X", target_name="Y", output=None, callbacks=None):
    """Train ``graph`` on ``(X, Y)`` for up to ``epochs`` passes; returns a ``History``.

    ``X`` (``N x D``, or any rank with the batch first, such as ``N x C x H x W`` images) is
    fed to the input ``input_name`` and ``Y`` (``N x K``) to ``target_name``, one row (one
    entry of the first axis) per observation.

    - ``batch_size``: rows per minibatch; ``None`` (the default) is one full batch per epoch.
      The last minibatch of an epoch may be smaller.
    - ``optimizer``: an optimizer from ``graphnn.training.optim`` built on (some of) the graph's
      parameters; ``None`` means ``Adam(graph.parameters())`` with its default settings.
    - ``shuffle``, ``seed``: the rows are reshuffled every epoch by a ``numpy`` generator
      seeded with ``seed`` (one full batch is not shuffled: its mean loss ignores the order).
      ``validation_split`` uses the same seed, as ``train_validation_split(X, Y, f, seed)``
      would. The same seed, initial weights and data give the same history.
    - ``validation_data=(X_val, Y_val)``, or ``validation_split=f``: hold out a fraction ``f``
      of the rows (``train_validation_split``, stratified when the objective is ``LogLoss`` or
      ``CrossEntropy``). The validation loss is computed after each epoch.
    - ``early_stopping_patience=k``: stop after ``k`` epochs in a row without an improvement
      of the monitored loss (``val_loss`` with validation, else ``loss``) of more than
      ``min_delta``. Whenever training ends (stopped early, out of epochs, or interrupted)
      the weights are set back to those at the end of the best epoch.
    - ``progress``: a tqdm bar over the epochs (``tqdm.auto``: a widget in Jupyter, text on a
      terminal). ``True`` shows it, ``False`` hides it; ``None`` (the default) shows it when
      stderr is a terminal or the code runs in a Jupyter kernel, and hides it otherwise
      (pipes, logs, CI).
    - ``input_name``, ``target_name``: the graph's inputs fed with ``X`` and ``Y``;
      ``output``: the node whose output is the prediction (default: the estimate the single
      objective reads), used for the accuracy.
    - ``callbacks``: a list of ``graphnn.training.callbacks.Callback``, or one alone (Keras-style hooks at the start
      and end of training, of each epoch and of each minibatch; see ``graphnn.training.callbacks``),
      for instance a ``graphnn.views.monitor.Monitor``. A callback that sets ``stop_training``
      ends the run after that epoch, as early stopping does.

    The minibatches run in training mode (``Graph.training``: dropout drops, batch norm uses
    the batch's statistics and updates its running ones), the validation in inference mode;
    when ``fit`` ends the graph has the mode it had before.

    Ctrl-C (``KeyboardInterrupt``) ends training cleanly: the epoch in progress is dropped,
    the weights go back to the end of the last completed epoch (or of the best one, with early
    stopping), and the history so far is returned with ``interrupted=True``. The optimizer's
    state is not rolled back.

    Training stops at the first loss, validation loss or update that is not finite (NaN or
    inf): ``fit`` restores the weights at the end of the last epoch where they were all finite
    (or the initial ones) and raises a ``FloatingPointError`` naming the epoch, the minibatch
    and where the values first went non-finite (a parameter, else the first node); the error's
    ``history`` attribute holds the epochs completed before.

    Raises ``ValueError`` for a bad argument (``epochs``, ``batch_size`` or
    ``early_stopping_patience`` not a positive integer, a negative ``min_delta``, a ``seed``
    that is not an integer >= 0, both kinds of validation, an optimizer holding parameters of
    another graph, ``X`` and ``Y`` with different numbers of rows, NaN or inf in them, naming
    the row and column), ``TypeError`` for ``shuffle`` or ``progress`` not a bool (``"no"``
    would be true), an ``optimizer`` that is no optimizer, and ``callbacks`` that are no
    callbacks or whose hooks take other arguments than ``fit`` passes, and
    ``GraphError`` for a graph that cannot be trained (no objective, unknown input names) --
    all before the first epoch.
    """
    # The arguments, every one checked before the first epoch.
    roles = GraphRoles(graph, input_name, target_name, output)
    X, Y = finite_data(X, Y, "fit", roles)
    callbacks = CallbackList(callbacks)
    epochs = positive_int(epochs, "epochs")
    if batch_size is not None:
        batch_size = positive_int(batch_size, "batch_size")
    if early_stopping_patience is not None:
        early_stopping_patience = positive_int(early_stopping_patience, "early_stopping_patience")
    min_delta = checked_min_delta(min_delta)
    shuffle, progress = checked_flag(shuffle, "shuffle"), checked_flag(progress, "progress", allow_none=True)
    seed = checked_seed(seed)
    if optimizer is None:
        optimizer = Adam(graph.parameters())
    check_optimizer(graph, optimizer)
    X, Y, X_val, Y_val = held_out_data(X, Y, validation_split, validation_data, seed, roles)

    n = X.shape[0]
    batch = n if batch_size is None else min(batch_size, n)
    rng = np.random.default_rng(seed)
    params = graph.parameters()
    history = _new_history(roles, validated=X_val is not None)
    guard = DivergenceGuard(graph, params, history)  # keeps the last finite weights
    best = BestEpoch(early_stopping_patience, min_delta)
    epochs_of = _Epochs(graph, roles, optimizer, callbacks, guard, X, Y, batch)
    callbacks.set_context(graph, optimizer, dict(epochs=epochs, steps=epochs_of.batches,
                                                 batch_size=batch, samples=n))
    callbacks.call("on_train_begin", {})

    bar = _progress_bar(epochs, progress)
    mode, graph.training = graph.training, True  # training mode; validation runs at inference
    try:
        for epoch in range(1, epochs + 1):
            callbacks.call("on_epoch_begin", epoch, {})
            # One full batch needs no shuffling: the mean loss ignores the order of the rows.
            order = rng.permutation(n) if shuffle and batch < n else None
            record = epochs_of.train(epoch, order)
            if X_val is not None:
                record.update(epochs_of.validate(epoch, X_val, Y_val))
            # The epoch is complete only once everything is recorded (see the except below).
            weights = guard.checked_weights(epoch)
            for key, value in record.items():
                history[key].append(value)
            guard.keep(weights, epoch)
            best.update(history, epoch, record[history.monitor], weights)
            bar.set_postfix({key: f"{value:.4g}" for key, value in record.items()}, refresh=False)
            bar.update(1)
            callbacks.call("on_epoch_end", epoch, record)
            if callbacks.stop_training or best.out_of_patience:
                history.stopped_early = True
                break
    except KeyboardInterrupt:
        history.interrupted = True
        complete = min(len(values) for values in history.values())  # Ctrl-C between appends
        for values in history.values():
            del values[complete:]
        restore(params, guard.weights)
    finally:
        bar.close()
        graph.training = mode  # the graph's mode as it was before fit
    best.restore_best(params, history)
    callbacks.call("on_train_end", {key: values[-1] for key, values in history.items() if values})
    return history


def _new_history(roles, validated):
    """An empty ``History`` with a list for each number the run records, and the loss that
    early stopping and ``best_epoch`` watch."""
    history = History(loss=[])
    if roles.kind is not None:
        history["accuracy"] = []
    if validated:
        history["val_loss"] = []
        if roles.kind is not None:
            history["val_accuracy"] = []
    history.monitor = "val_loss" if validated else "loss"
    return history


def _forward_without_copy(graph, feed):
    """``J`` of a forward pass on a minibatch ``fit`` has just cut from the data: nothing else
    holds those arrays, so the graph need not copy them before the backward pass reads them."""
    return graph.forward(feed, copy=False)


class _Epochs:
    """One epoch of a ``fit`` at a time, with what every epoch of the run shares: the graph
    and its ``GraphRoles``, the optimizer, the callbacks, the divergence guard and the
    training rows cut into minibatches of ``batch`` rows. ``step`` counts the minibatches
    since training began."""

    def __init__(self, graph, roles, optimizer, callbacks, guard, X, Y, batch):
        self.graph, self.roles, self.optimizer = graph, roles, optimizer
        self.callbacks, self.guard = callbacks, guard
        self.X, self.Y, self.batch = X, Y, batch
        self.batches = -(-X.shape[0] // batch)  # minibatches per epoch, the last maybe smaller
        self.step = 0

    def train(self, epoch, order):
        """One pass over the training rows (in ``order``, or as they are when it is ``None``):
        forward, backward and update for each minibatch. Returns the epoch's ``loss`` (and
        ``accuracy``), the minibatch values weighted by their sizes."""
        graph, roles, X, Y, batch = self.graph, self.roles, self.X, self.Y, self.batch
        n = X.shape[0]
        loss_sum = correct_sum = 0.0
        for start in range(0, n, batch):
            if order is None:
                Xb, Yb = X[start:start + batch], Y[start:start + batch]
            else:
                rows = order[start:start + batch]
                Xb, Yb = X[rows], Y[rows]
            self.step += 1
            number = start // batch + 1
            batch_logs = dict(batch=number, size=len(Xb), step=self.step)
            self.callbacks.call("on_batch_begin", number, batch_logs)
            feed = {roles.input_name: Xb, roles.target_name: Yb}
            J = self.guard.checked(lambda: {"loss": _forward_without_copy(graph, feed)}, feed, epoch,
                                   f"minibatch {number} of {self.batches}")["loss"]
            graph.backward()
            self.optimizer.step()
            if self.callbacks:
                self.callbacks.step_trained(graph.last_pass)
            loss_sum += J * len(Xb)
            if roles.kind is not None:  # the prediction is read only when it is scored
                correct_sum += accuracy(roles.kind, Yb, graph.value(roles.output)) * len(Xb)
            self.callbacks.call("on_batch_end", number, dict(batch_logs, loss=float(J)))
            if self.callbacks:
                self.callbacks.step_trained(None)  # kept for on_batch_end only, not held after
        record = {"loss": loss_sum / n}
        if roles.kind is not None:
            record["accuracy"] = correct_sum / n
        return record

    def validate(self, epoch, X_val, Y_val):
        """The ``val_loss`` (and ``val_accuracy``) of the weights at the end of ``epoch``."""
        roles = self.roles
        val_feed = {roles.input_name: X_val, roles.target_name: Y_val}
        scores = self.guard.checked(lambda: score(self.graph, roles, X_val, Y_val), val_feed, epoch,
                                    "on the validation data", what="validation loss")
        record = {"val_loss": scores["loss"]}
        if roles.kind is not None:
            record["val_accuracy"] = scores["accuracy"]
        return record


class _NoBar:
    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def _progress_bar(epochs, progress):
    """A tqdm bar over the epochs, or a silent stand-in: ``progress`` ``True`` forces it on,
    ``False`` off, ``None`` decides (on in a Jupyter kernel or when stderr is a terminal)."""
    if progress is None:
        progress = _in_jupyter() or _stderr_is_a_terminal()
    if not progress:
        return _NoBar()
    try:
        tqdm = _bar_class()
    except ImportError:  # tqdm is a dependency, but a missing bar is no reason to fail
        return _NoBar()
    return tqdm(total=epochs, unit="epoch", desc="fit", dynamic_ncols=True)


def _stderr_is_a_terminal():
    stream = sys.stderr
    return stream is not None and getattr(stream, "isatty", lambda: False)()


def _in_jupyter():
    """Whether this runs in a Jupyter kernel (where stderr is no terminal, yet a bar shows)."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _bar_class():
    """``tqdm.auto.tqdm`` (a widget in Jupyter) where it can draw; plain tqdm otherwise.

    In a kernel without ipywidgets ``tqdm.auto`` would warn and fall back to text; plain tqdm
    gives the same text bar without the warning."""
    if _in_jupyter():
        try:
            import ipywidgets  # noqa: F401  (tqdm's notebook bar is an ipywidgets widget)
        except ImportError:
            pass
        else:
            from tqdm.auto import tqdm

            return tqdm
    from tqdm import tqdm

    return tqdm
