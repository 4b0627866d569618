"""Callbacks: code that ``fit`` calls at fixed points of training, in the Keras convention.

Pass them as ``fit(..., callbacks=[...])``. ``fit`` calls, on each one, in the order given:

- ``on_train_begin(logs)`` once, before the first epoch;
- ``on_epoch_begin(epoch, logs)`` and ``on_epoch_end(epoch, logs)`` around every epoch;
  ``on_epoch_end`` gets the epoch's numbers, as ``History`` records them (``loss``, and
  ``accuracy``, ``val_loss``, ``val_accuracy`` when they apply);
- ``on_batch_begin(batch, logs)`` before a minibatch's forward pass, and
  ``on_batch_end(batch, logs)`` after its backward pass and optimizer step. ``logs`` holds
  ``batch``, ``size`` (its rows), ``step`` (minibatches since training began) and, at the
  end, ``loss`` (``J`` before the update). At ``on_batch_end`` the graph's record
  (``graph.last_pass``) still holds that minibatch's values and gradients, computed at the
  weights before the update: the validation pass replaces it later in the epoch;
- ``on_train_end(logs)`` once training ends (out of epochs, stopped early or interrupted),
  with the last epoch's numbers.

Epochs and minibatches are numbered from 1, as ``History.best_epoch`` is (Keras counts from
0). Before ``on_train_begin`` each callback gets ``graph``, ``optimizer`` and ``params``
(``epochs``, ``steps`` -- minibatches per epoch --, ``batch_size``, ``samples``). A callback
that sets ``self.stop_training = True`` ends training after the current epoch, as early
stopping does (``history.stopped_early``).

>>> seen = []
>>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, sorted(logs))))
>>> cb.on_epoch_end(1, {"loss": 0.5}); seen
[(1, ['loss'])]
"""
__all__ = ["Callback", "LambdaCallback", "CallbackList", "HOOKS"]

#: the names of the hooks ``fit`` calls, in the order of their first call
HOOKS = ("on_train_begin", "on_epoch_begin", "on_batch_begin", "on_batch_end", "on_epoch_end",
         "on_train_end")


class Callback:
    """Base class of callbacks: every hook does nothing; override those you need.

    Attributes set by ``fit`` before ``on_train_begin``: ``graph``, ``optimizer``, ``params``
    (a dict: ``epochs``, ``steps``, ``batch_size``, ``samples``). ``stop_training``: set it
    to ``True`` to end training after the current epoch.
    """

    def __init__(self):
        self.graph = self.optimizer = None
        self.params = {}
        self.stop_training = False

    def set_context(self, graph, optimizer, params):
        """Called by ``fit`` before ``on_train_begin``: what the callback is watching."""
        self.graph, self.optimizer, self.params = graph, optimizer, dict(params)
        self.stop_training = False

    def on_train_begin(self, logs=None):
        """Before the first epoch."""

    def on_train_end(self, logs=None):
        """After the last epoch; ``logs``: the last epoch's numbers."""

    def on_epoch_begin(self, epoch, logs=None):
        """Before epoch ``epoch`` (1, 2, ...)."""

    def on_epoch_end(self, epoch, logs=None):
        """After epoch ``epoch``: ``logs`` has ``loss`` and, where they apply, ``accuracy``,
        ``val_loss``, ``val_accuracy``."""

    def on_batch_begin(self, batch, logs=None):
        """Before minibatch ``batch`` (1, 2, ... within the epoch): ``logs`` has ``batch``,
        ``size`` and ``step``."""

    def on_batch_end(self, batch, logs=None):
        """After minibatch ``batch``'s backward pass and update: ``logs`` adds ``loss``."""


class LambdaCallback(Callback):
    """A callback made of functions: ``LambdaCallback(on_epoch_end=f, ...)``, one keyword per
    hook, each called with the hook's arguments. ``TypeError`` for an unknown hook name."""

    def __init__(self, **hooks):
        super().__init__()
        unknown = sorted(set(hooks) - set(HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook(s) {unknown}; the hooks are {list(HOOKS)}")
        for name, function in hooks.items():
            setattr(self, name, function)


class CallbackList:
    """The callbacks of one ``fit``, called in order; ``fit`` builds it from its ``callbacks``.

    ``TypeError`` (naming the position) for an entry that is not a ``Callback``."""

    def __init__(self, callbacks=None):
        callbacks = list(callbacks or ())
        for index, callback in enumerate(callbacks):
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"fit: callbacks[{index}] is a {type(callback).__name__}, not a "
                    "graphnn.training.callbacks.Callback; subclass Callback or use LambdaCallback(...)"
                )
        self.callbacks = callbacks

    def __bool__(self):
        return bool(self.callbacks)

    def set_context(self, graph, optimizer, params):
        """Give every callback the graph, the optimizer and the run's ``params``."""
        for callback in self.callbacks:
            callback.set_context(graph, optimizer, params)

    @property
    def stop_training(self):
        """Whether a callback asked to end training."""
        return any(callback.stop_training for callback in self.callbacks)

    def call(self, hook, *args):
        """Call ``hook`` (one of ``HOOKS``) on every callback, each with its own copy of the
        logs (the last argument), so one callback's changes do not reach the next."""
        *head, logs = args
        for callback in self.callbacks:
            getattr(callback, hook)(*head, dict(logs))
