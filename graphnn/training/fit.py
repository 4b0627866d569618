"""Training a graph: ``fit`` (minibatches, validation, early stopping, progress), ``predict``,
``evaluate`` and ``train_validation_split``.

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

See docs/training.md for the details of each choice.
"""
import math
import numbers
import sys

import networkx as nx
import numpy as np

from .._validation import as_matrix, describe_shape, require_finite
from .callbacks import CallbackList
from ..core import OBJECTIVE, Graph, GraphError
from ..objectives.CrossEntropy import CrossEntropy
from ..objectives.LogLoss import LogLoss

__all__ = ["History", "fit", "predict", "evaluate", "train_validation_split"]


class History(dict):
    """What ``fit`` returns: a ``dict`` of per-epoch lists, plus a few facts about the run.

    Keys (each list has one entry per completed epoch; a key is present only when it applies):

    - ``"loss"``: the training loss of the epoch, the mean of the minibatch losses weighted by
      the minibatch sizes (each computed before that minibatch's update, as Keras reports it;
      with ``batch_size=None``, one full batch, it is exactly ``J`` before the epoch's step);
    - ``"val_loss"``: the loss on the validation data after the epoch (with validation only);
    - ``"accuracy"``, ``"val_accuracy"``: the same for the accuracy, for classifiers only
      (objective ``LogLoss``: prediction ``> 0.5``; ``CrossEntropy``: argmax).

    Attributes: ``epochs`` (completed epochs), ``best_epoch`` (1-based number of the epoch
    with the lowest monitored loss, ``val_loss`` if there is validation, else ``loss``;
    ``None`` before any epoch), ``stopped_early`` (early stopping ended the run),
    ``interrupted`` (Ctrl-C ended it), ``restored_best`` (the weights were set back to those
    of ``best_epoch``) and ``monitor`` (the key that early stopping watched).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stopped_early = False
        self.interrupted = False
        self.restored_best = False
        self.best_epoch = None
        self.monitor = "loss"

    @property
    def epochs(self):
        """The number of completed epochs."""
        return len(self.get("loss", ()))

    def __repr__(self):
        """A short summary: epochs, the last and the best monitored losses, and how the run
        ended; every per-epoch number is one ``dict(history)`` away."""
        facts = [f"epochs={self.epochs}"]
        for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
            values = self.get(key)
            if values:
                facts.append(f"{key}={values[-1]:.4g}")
        monitored = self.get(self.monitor)
        if self.best_epoch is not None and monitored and self.best_epoch <= len(monitored):
            facts.append(f"best {self.monitor}={monitored[self.best_epoch - 1]:.4g} "
                         f"at epoch {self.best_epoch}")
        facts += [name for name in ("stopped_early", "interrupted", "restored_best") if getattr(self, name)]
        return f"History({', '.join(facts)})"

    def _repr_pretty_(self, printer, cycle):  # IPython prints dict subclasses its own way
        printer.text(repr(self))


# ---------------------------------------------------------------------------- splitting
def train_validation_split(X, Y, fraction, seed=0, stratify=True):
    """Split ``(X, Y)`` (``N x D`` and ``N x K``) into ``(X_train, Y_train), (X_val, Y_val)``
    with a seeded generator.

    ``fraction`` (in ``(0, 1)``) of the ``N`` rows, rounded to the nearest integer, go to the
    validation part; both parts keep the original row order. With ``stratify=True`` each class
    (each distinct row of ``Y``: a 0/1 column or one-hot rows) is split in the same proportion,
    its validation count being ``fraction * n_class`` rounded so that the counts add up to the
    total (largest remainders first); every class needs at least two rows. Use
    ``stratify=False`` for continuous targets. A ``ValueError`` says what is wrong when the
    rows do not match, ``fraction`` leaves either part empty, or a class is too small.

    >>> X = np.arange(12.0).reshape(6, 2); Y = np.array([[0.], [0.], [0.], [0.], [1.], [1.]])
    >>> (Xt, Yt), (Xv, Yv) = train_validation_split(X, Y, 0.5, seed=0)
    >>> Yt.ravel().tolist(), Yv.ravel().tolist()
    ([0.0, 0.0, 1.0], [0.0, 0.0, 1.0])
    """
    X = as_matrix(X, "train_validation_split", "X")
    Y = as_matrix(Y, "train_validation_split", "Y")
    n = X.shape[0]
    if Y.shape[0] != n:
        raise ValueError(
            f"train_validation_split: X and Y must have one row per observation, got "
            f"X {describe_shape(X.shape)} and Y {describe_shape(Y.shape)}"
        )
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
        raise ValueError(f"train_validation_split: fraction must lie in (0, 1), got {fraction!r}")
    n_val = int(round(fraction * n))
    if not 0 < n_val < n:
        raise ValueError(
            f"train_validation_split: a fraction of {fraction} of {n} rows leaves "
            f"{n_val} for validation and {n - n_val} for training; both need at least one"
        )
    rng = np.random.default_rng(seed)
    if not stratify:
        chosen = rng.choice(n, size=n_val, replace=False)
    else:
        classes, labels = np.unique(Y, axis=0, return_inverse=True)
        labels = labels.ravel()
        counts = np.bincount(labels, minlength=len(classes))
        if counts.min() < 2:
            smallest = int(np.argmin(counts))
            raise ValueError(
                f"train_validation_split: cannot stratify, target row {classes[smallest].tolist()} "
                f"occurs only {counts[smallest]} time(s) ({len(classes)} distinct target rows in "
                f"{n}); stratifying needs class labels with at least 2 rows each. Pass "
                "stratify=False for continuous targets."
            )
        quotas = counts * (n_val / n)
        per_class = np.floor(quotas).astype(int)
        # Largest remainders first (ties: the earlier class) until the total is n_val.
        order = sorted(range(len(classes)), key=lambda c: -(quotas[c] - per_class[c]))
        for c in order[: n_val - per_class.sum()]:
            per_class[c] += 1
        chosen = np.concatenate([
            rng.choice(np.flatnonzero(labels == c), size=per_class[c], replace=False)
            for c in range(len(classes))
        ])
    is_val = np.zeros(n, dtype=bool)
    is_val[chosen] = True
    return (X[~is_val], Y[~is_val]), (X[is_val], Y[is_val])


# ---------------------------------------------------------------------------- graph roles
class _Roles:
    """What ``fit``/``predict``/``evaluate`` need to know about a graph, checked once."""

    def __init__(self, graph, input_name, target_name, output, need_objective=True):
        if not isinstance(graph, Graph):
            raise TypeError(f"expected a graphnn Graph, got {type(graph).__name__}")
        graph.nodes  # compiles the graph: one with an empty slot fails here, naming it
        objectives = graph.objectives
        if need_objective and not objectives:
            raise GraphError("the graph has no objective to train or evaluate")
        inputs = graph.inputs
        for name, what in ((input_name, "input_name"), (target_name, "target_name")):
            if name is not None and name not in inputs:
                raise GraphError(
                    f"{what}={name!r} is not an input of the graph; its inputs are {inputs}"
                )
        self.objective = objectives[0] if len(objectives) == 1 else None
        if output is None:
            if self.objective is None:
                raise GraphError(
                    f"the graph has {len(objectives)} objectives ({', '.join(objectives) or 'none'}): "
                    "pass output=<node name> to say which node's output is the prediction"
                )
            output = graph.predecessors(self.objective)[1]
        else:
            graph.op(output)  # raises GraphError naming the known nodes if unknown
            if graph.nx.nodes[output]["kind"] == OBJECTIVE:
                raise GraphError(f"output={output!r} is an objective; name the node that feeds it")
        self.output = output
        self.input_name, self.target_name = input_name, target_name
        op = graph.op(self.objective) if self.objective is not None else None
        # Accuracy only when the prediction is what the classification objective reads.
        if op is not None and graph.predecessors(self.objective)[1] == output:
            self.kind = "binary" if isinstance(op, LogLoss) else "categorical" if isinstance(op, CrossEntropy) else None
        else:
            self.kind = None


def _accuracy(kind, Y, P):
    """Fraction of correct predictions: ``P > 0.5`` against ``Y > 0.5`` for every entry
    (binary), or the row argmax of ``P`` against that of ``Y`` (categorical)."""
    if kind == "binary":
        return float(np.mean((P > 0.5) == (Y > 0.5)))
    return float(np.mean(np.argmax(P, axis=1) == np.argmax(Y, axis=1)))


def _checked_data(X, Y, where):
    X = as_matrix(X, where, "X")
    if Y is None:
        return X, None
    Y = as_matrix(Y, where, "Y")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"{where}: X and Y must have one row per observation, got X {describe_shape(X.shape)} "
            f"and Y {describe_shape(Y.shape)}"
        )
    return X, Y


# ---------------------------------------------------------------------------- predict / evaluate
def predict(graph, X, output=None, input_name="X"):
    """The output of node ``output`` for data ``X`` (``N x D``), without targets: ``N x K``.

    ``output`` defaults to the estimate the (single) objective reads. Only ``output`` and the
    nodes it depends on are run, so no ``Y`` is needed. The layers' remembered inputs and
    outputs are put back afterwards, so a ``predict`` between ``graph.forward`` and
    ``graph.backward`` does not change the gradients; ``graph.value`` is untouched too.

    Raises ``GraphError`` when ``output`` is unknown or an objective, when it is left out and
    the graph has not exactly one objective, or when it depends on an input other than
    ``input_name``, or when a node refuses ``X`` (naming the node); ``ValueError`` for ``X``
    that is not a 2-D numeric array.
    """
    roles = _Roles(graph, input_name, None, output, need_objective=output is None)
    X, _ = _checked_data(X, None, "predict")
    needed = nx.ancestors(graph.nx, roles.output) | {roles.output}
    values = {}
    saved = []
    try:
        for name in graph.nodes:
            if name not in needed:
                continue
            op = graph.op(name)
            if op is None:  # an input
                if name != input_name:
                    raise GraphError(
                        f"predict: node {roles.output!r} depends on input {name!r}, but only "
                        f"{input_name!r} is fed"
                    )
                values[name] = X
                continue
            state = getattr(op, "__dict__", None)
            if state is not None:
                saved.append((state, dict(state)))
            args = [values[source] for source in graph.predecessors(name)]
            try:
                values[name] = op.forward(*args)
            except ValueError as err:
                raise GraphError(f"predict: node {name!r} ({op.describe()}): {err}") from None
    finally:
        for state, copy in saved:  # the layers keep what the last graph.forward left them
            state.clear()
            state.update(copy)
    return values[roles.output]


def evaluate(graph, X, Y, output=None, input_name="X", target_name="Y"):
    """``{"loss": J, "accuracy": a}`` on ``(X, Y)``: one ``graph.forward`` on all rows.

    ``X`` is ``N x D`` and ``Y`` ``N x K``, fed to the inputs ``input_name`` and
    ``target_name``; both values are Python floats.

    ``loss`` is the graph's objective ``J`` (a mean over the rows); ``accuracy`` is there for
    classifiers only (``LogLoss``: prediction ``> 0.5``; ``CrossEntropy``: argmax). The graph
    keeps the values of this pass, as after any ``forward``. Raises ``GraphError`` for a
    graph without an objective or with unknown ``input_name``/``target_name``/``output``, and
    ``ValueError`` for ``X`` and ``Y`` with different numbers of rows.
    """
    roles = _Roles(graph, input_name, target_name, output)
    X, Y = _checked_data(X, Y, "evaluate")
    return _evaluate(graph, roles, X, Y)


def _evaluate(graph, roles, X, Y):
    loss, outputs = graph.forward({roles.input_name: X, roles.target_name: Y}, outputs=[roles.output])
    result = {"loss": float(loss)}
    if roles.kind is not None:
        result["accuracy"] = _accuracy(roles.kind, Y, outputs[roles.output])
    return result


# ---------------------------------------------------------------------------- fit
def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"fit: {name} must be a positive integer, got {value!r}")
    return int(value)


def _snapshot(params):
    return [p.value.copy() for p in params]


def _is_finite(snapshot):
    return all(np.isfinite(value).all() for value in snapshot)


def _first_nonfinite(graph, feed):
    """Where a pass on ``feed`` first holds NaN or inf, as a phrase: a parameter, else the
    first node (in topological order) whose output or value does; ``None`` when nowhere."""
    for node, p in graph.named_parameters():
        bad = int(np.size(p.value) - np.count_nonzero(np.isfinite(p.value)))
        if bad:
            return f"parameter {p.name!r} of node {node!r} holds {bad} NaN or inf entries"
    if feed is None:
        return None
    try:
        graph.forward(feed, check_finite=True)
    except FloatingPointError as err:
        return str(err)
    except (GraphError, ValueError):  # refused for another reason: not a divergence
        return None
    return None


def _diverged(params, finite_weights, finite_epoch, history, epoch, where, culprit):
    """Restore the last finite weights and build the error ``fit`` raises."""
    _restore(params, finite_weights)
    error = FloatingPointError(
        f"fit: training diverged at epoch {epoch} ({where}): {culprit}. The weights "
        f"{'of epoch ' + str(finite_epoch) if finite_epoch else 'before the first epoch'} (the "
        "last finite ones) were restored; lower the learning rate or scale the inputs (e.g. "
        "with an InputLayer first)"
    )
    error.history, error.epoch = history, epoch
    return error


def _restore(params, snapshot):
    for p, value in zip(params, snapshot):
        p.value[...] = value  # in place: every layer holding the array sees it


def fit(graph, X, Y, epochs, batch_size=None, optimizer=None, *, validation_split=None,
        validation_data=None, shuffle=True, seed=0, early_stopping_patience=None, min_delta=0.0,
        progress=None, input_name="X", target_name="Y", output=None, callbacks=None):
    """Train ``graph`` on ``(X, Y)`` for up to ``epochs`` passes; returns a ``History``.

    ``X`` (``N x D``) is fed to the input ``input_name`` and ``Y`` (``N x K``) to
    ``target_name``, one row per observation.

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
    - ``callbacks``: a list of ``graphnn.training.callbacks.Callback`` (Keras-style hooks at the start
      and end of training, of each epoch and of each minibatch; see ``graphnn.training.callbacks``),
      for instance a ``graphnn.views.monitor.Monitor``. A callback that sets ``stop_training``
      ends the run after that epoch, as early stopping does.

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
    ``early_stopping_patience`` not a positive integer, a negative ``min_delta``, both kinds
    of validation, an optimizer holding parameters of another graph, ``X`` and ``Y`` with
    different numbers of rows, NaN or inf in them, naming the row and column) and
    ``GraphError`` for a graph that cannot be trained (no objective, unknown input names) --
    all before the first epoch.
    """
    roles = _Roles(graph, input_name, target_name, output)
    X, Y = _checked_data(X, Y, "fit")
    require_finite(X, "fit", f"input {input_name!r}")
    require_finite(Y, "fit", f"input {target_name!r}")
    callbacks = CallbackList(callbacks)
    epochs = _positive_int(epochs, "epochs")
    if batch_size is not None:
        batch_size = _positive_int(batch_size, "batch_size")
    if early_stopping_patience is not None:
        early_stopping_patience = _positive_int(early_stopping_patience, "early_stopping_patience")
    if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) or not 0 <= min_delta < math.inf:
        raise ValueError(f"fit: min_delta must be a finite number >= 0, got {min_delta!r}")
    min_delta = float(min_delta)
    if optimizer is None:
        from .optim import Adam

        optimizer = Adam(graph.parameters())
    graph_params = {id(p) for p in graph.parameters()}
    foreign = [p for p in getattr(optimizer, "params", ()) if id(p) not in graph_params]
    if foreign:
        raise ValueError(
            f"fit: the optimizer holds {len(foreign)} parameter(s) that are not in this graph "
            f"(e.g. {foreign[0]!r}); build it with graph.parameters()"
        )
    if validation_split is not None and validation_data is not None:
        raise ValueError("fit: give validation_split or validation_data, not both")
    if validation_split is not None:
        (X, Y), (X_val, Y_val) = train_validation_split(
            X, Y, validation_split, seed=seed, stratify=roles.kind is not None
        )
    elif validation_data is not None:
        try:
            X_val, Y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("fit: validation_data must be a pair (X_val, Y_val)") from None
        X_val, Y_val = _checked_data(X_val, Y_val, "fit (validation_data)")
        require_finite(X_val, "fit (validation_data)", f"input {input_name!r}")
        require_finite(Y_val, "fit (validation_data)", f"input {target_name!r}")
    else:
        X_val = Y_val = None

    n = X.shape[0]
    batch = n if batch_size is None else min(batch_size, n)
    rng = np.random.default_rng(seed)
    params = graph.parameters()
    history = History(loss=[])
    if roles.kind is not None:
        history["accuracy"] = []
    if X_val is not None:
        history["val_loss"] = []
        if roles.kind is not None:
            history["val_accuracy"] = []
    history.monitor = "val_loss" if X_val is not None else "loss"
    best_loss, best_weights, waited = math.inf, None, 0
    last_weights = finite_weights = _snapshot(params)
    finite_epoch = 0
    callbacks.set_context(graph, optimizer, dict(epochs=epochs, steps=-(-n // batch),
                                                 batch_size=batch, samples=n))
    callbacks.call("on_train_begin", {})
    step = 0

    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(1, epochs + 1):
            callbacks.call("on_epoch_begin", epoch, {})
            # One full batch needs no shuffling: the mean loss ignores the order of the rows.
            order = rng.permutation(n) if shuffle and batch < n else None
            loss_sum = correct_sum = 0.0
            for start in range(0, n, batch):
                if order is None:
                    Xb, Yb = X[start:start + batch], Y[start:start + batch]
                else:
                    rows = order[start:start + batch]
                    Xb, Yb = X[rows], Y[rows]
                step += 1
                batch_logs = dict(batch=start // batch + 1, size=len(Xb), step=step)
                callbacks.call("on_batch_begin", batch_logs["batch"], batch_logs)
                feed = {input_name: Xb, target_name: Yb}
                try:
                    J = graph._forward(feed, private=True)  # fresh minibatches: no copy
                    culprit = None if math.isfinite(J) else _first_nonfinite(graph, feed) or f"the loss is {J}"
                except (GraphError, ValueError):  # e.g. an objective refusing NaN estimates
                    culprit = _first_nonfinite(graph, feed)
                    if culprit is None:
                        raise
                if culprit is not None:
                    where = f"minibatch {start // batch + 1} of {-(-n // batch)}"
                    raise _diverged(params, finite_weights, finite_epoch, history, epoch, where, culprit)
                graph.backward()
                optimizer.step()
                loss_sum += J * len(Xb)
                if roles.kind is not None:  # the prediction is read only when it is scored
                    correct_sum += _accuracy(roles.kind, Yb, graph.value(roles.output)) * len(Xb)
                callbacks.call("on_batch_end", batch_logs["batch"], dict(batch_logs, loss=float(J)))
            record = {"loss": loss_sum / n}
            if roles.kind is not None:
                record["accuracy"] = correct_sum / n
            if X_val is not None:
                val_feed = {input_name: X_val, target_name: Y_val}
                try:
                    scores = _evaluate(graph, roles, X_val, Y_val)
                    culprit = None if math.isfinite(scores["loss"]) else (
                        _first_nonfinite(graph, val_feed) or f"the validation loss is {scores['loss']}")
                except (GraphError, ValueError):
                    culprit = _first_nonfinite(graph, val_feed)
                    if culprit is None:
                        raise
                if culprit is not None:
                    raise _diverged(params, finite_weights, finite_epoch, history, epoch,
                                    "on the validation data", culprit)
                record["val_loss"] = scores["loss"]
                if roles.kind is not None:
                    record["val_accuracy"] = scores["accuracy"]
            # The epoch is complete only once everything is recorded (see the except below).
            snapshot = _snapshot(params)
            if not _is_finite(snapshot):  # the epoch's last update
                raise _diverged(params, finite_weights, finite_epoch, history, epoch,
                                "its last update", _first_nonfinite(graph, None))
            for key, value in record.items():
                history[key].append(value)
            last_weights = finite_weights = snapshot
            finite_epoch = epoch
            monitored = record[history.monitor]
            if monitored < best_loss - min_delta or history.best_epoch is None:
                best_loss, waited = monitored, 0
                history.best_epoch = epoch
                if early_stopping_patience is not None:
                    best_weights = last_weights
            else:
                waited += 1
            bar.set_postfix({key: f"{value:.4g}" for key, value in record.items()}, refresh=False)
            bar.update(1)
            callbacks.call("on_epoch_end", epoch, record)
            if callbacks.stop_training:
                history.stopped_early = True
                break
            if early_stopping_patience is not None and waited >= early_stopping_patience:
                history.stopped_early = True
                break
    except KeyboardInterrupt:
        history.interrupted = True
        complete = min(len(values) for values in history.values())  # Ctrl-C between appends
        for values in history.values():
            del values[complete:]
        _restore(params, last_weights)
    finally:
        bar.close()
    if best_weights is not None and history.best_epoch != history.epochs:
        _restore(params, best_weights)
        history.restored_best = True
    callbacks.call("on_train_end", {key: values[-1] for key, values in history.items() if values})
    return history


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
