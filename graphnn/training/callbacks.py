"""Callbacks: code that ``fit`` calls at fixed points of training, in the Keras convention.

Pass them as ``fit(..., callbacks=[...])``. ``fit`` calls, on each one, in the order given:

- ``on_train_begin(logs)`` once, before the first epoch;
- ``on_epoch_begin(epoch, logs)`` and ``on_epoch_end(epoch, logs)`` around every epoch;
  ``on_epoch_end`` gets the epoch's numbers, as ``History`` records them (``loss``, and
  ``accuracy``, ``val_loss``, ``val_accuracy`` when they apply);
- ``on_batch_begin(batch, logs)`` before a minibatch's forward pass, and
  ``on_batch_end(batch, logs)`` after its backward pass and optimizer step. ``logs`` holds
  ``batch``, ``size`` (its rows), ``step`` (minibatches since training began) and, at the
  end, ``loss`` (``J`` before the update). At ``on_batch_end`` the callback's
  ``step_pass`` (and, until a callback runs a pass of its own, ``graph.last_pass``) holds
  that minibatch's values and gradients, computed at the weights before the update: the
  validation pass replaces ``graph.last_pass`` later in the epoch;
- ``on_train_end(logs)`` once training ends (out of epochs, stopped early or interrupted),
  with the last epoch's numbers.

Right after each minibatch's update, before any ``on_batch_end``, ``fit`` calls
``step_trained(record)`` on every callback, which keeps that minibatch's record as
``step_pass``; a callback that must read the step before another one can run a pass of its
own extends it (the monitor does).

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
import inspect

__all__ = ["Callback", "LambdaCallback", "CallbackList", "HOOKS", "HOOK_ARGUMENTS"]

#: the names of the hooks ``fit`` calls, in the order of their first call
HOOKS = ("on_train_begin", "on_epoch_begin", "on_batch_begin", "on_batch_end", "on_epoch_end",
         "on_train_end")
#: the arguments ``fit`` passes each hook, by position
HOOK_ARGUMENTS = {
    "on_train_begin": ("logs",), "on_epoch_begin": ("epoch", "logs"), "on_batch_begin": ("batch", "logs"),
    "on_batch_end": ("batch", "logs"), "on_epoch_end": ("epoch", "logs"), "on_train_end": ("logs",),
}


def check_hook(function, hook, owner):
    """``TypeError`` naming ``owner`` and ``hook`` when ``function`` is not callable or cannot
    be called with the hook's arguments (``HOOK_ARGUMENTS``), before training starts rather
    than as Python's bare "takes 1 positional argument but 2 were given" in the middle of it."""
    call = f"{hook}({', '.join(HOOK_ARGUMENTS[hook])})"
    if not callable(function):
        raise TypeError(f"{owner}: {hook} must be a function called as {call}, got {type(function).__name__} "
                        f"{function!r}")
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature: trusted
        return
    try:
        signature.bind(*HOOK_ARGUMENTS[hook])
    except TypeError:
        code = getattr(getattr(function, "__func__", function), "__code__", None)
        where = f", {code.co_filename} line {code.co_firstlineno}" if code is not None else ""
        raise TypeError(
            f"{owner}: {hook} is called as {call}, but the function given "
            f"({getattr(function, '__name__', type(function).__name__)}{where}) takes {signature}; give it "
            f"those {len(HOOK_ARGUMENTS[hook])} argument(s), e.g. lambda {', '.join(HOOK_ARGUMENTS[hook])}: ..."
        ) from None


class Callback:
    """Base class of callbacks: every hook does nothing; override those you need.

    Attributes set by ``fit`` before ``on_train_begin``: ``graph``, ``optimizer``, ``params``
    (a dict: ``epochs``, ``steps``, ``batch_size``, ``samples``). ``step_pass``: set before
    each ``on_batch_end``, the graph's record (``graph.last_pass``) of the minibatch just
    trained, its values and gradients at the weights before the update (``None`` outside
    ``on_batch_end``); a pass that a callback runs itself (``evaluate``, ``predict``,
    ``graph.forward``) replaces ``graph.last_pass`` but not ``step_pass``. ``stop_training``: set it to ``True`` to end
    training after the current epoch.
    """

    def __init__(self):
        self.graph = self.optimizer = self.step_pass = None
        self.params = {}
        self.stop_training = False

    def set_context(self, graph, optimizer, params):
        """Called by ``fit`` before ``on_train_begin``: what the callback is watching."""
        self.graph, self.optimizer, self.params = graph, optimizer, dict(params)
        self.stop_training = False
        self.step_pass = None

    def step_trained(self, record):
        """Called by ``fit`` right after a minibatch's update, before any callback's
        ``on_batch_end``: keeps ``record`` (the pass of that minibatch, ``None`` once
        ``on_batch_end`` is over) as ``step_pass``. A callback that must read the step before
        any other callback can run a pass of its own extends this (as the monitor does)."""
        self.step_pass = record

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
    hook, each called with the hook's arguments (``HOOK_ARGUMENTS``: ``f(epoch, logs)`` for
    ``on_epoch_end``, ``f(logs)`` for ``on_train_begin``); ``None`` leaves a hook out.
    ``TypeError`` for an unknown hook name, or a function that is not callable or takes other
    arguments than its hook is called with, naming the hook."""

    def __init__(self, **hooks):
        super().__init__()
        unknown = sorted(set(hooks) - set(HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook(s) {unknown}; the hooks are {list(HOOKS)}")
        for name, function in hooks.items():
            if function is None:
                continue
            check_hook(function, name, "LambdaCallback")
            setattr(self, name, function)


class CallbackList:
    """The callbacks of one ``fit``, called in order; ``fit`` builds it from its ``callbacks``:
    a list (or any iterable) of callbacks, or one callback alone.

    ``TypeError`` (naming the position) for an entry that is not a ``Callback`` (a class
    instead of an instance, a function), for the same callback twice (it would see every
    hook twice), and for a hook whose method takes other arguments than ``fit`` passes; for
    ``callbacks`` that are no list of callbacks at all (a string, a number)."""

    def __init__(self, callbacks=None):
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        elif isinstance(callbacks, (str, bytes, dict)) or not _iterable(callbacks):
            raise TypeError(f"fit: callbacks must be a list of callbacks, e.g. callbacks=[Monitor()], got "
                            f"{type(callbacks).__name__} {callbacks!r}")
        callbacks = list(callbacks)
        for index, callback in enumerate(callbacks):
            if isinstance(callback, type) and issubclass(callback, Callback):
                raise TypeError(f"fit: callbacks[{index}] is the class {callback.__name__}, not a callback; "
                                f"make one: {callback.__name__}(...)")
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"fit: callbacks[{index}] is a {type(callback).__name__}, not a "
                    "graphnn.training.callbacks.Callback; subclass Callback or use LambdaCallback(...)"
                )
            first = next(k for k, other in enumerate(callbacks) if other is callback)
            if first != index:
                raise TypeError(f"fit: callbacks[{index}] is callbacks[{first}] again "
                                f"({type(callback).__name__}); pass each callback once")
            for hook in HOOKS:
                method = getattr(callback, hook)
                if getattr(type(callback), hook, None) is not getattr(Callback, hook) or hook in vars(callback):
                    check_hook(method, hook, f"fit: callbacks[{index}] ({type(callback).__name__})")
        self.callbacks = callbacks

    def __bool__(self):
        return bool(self.callbacks)

    def set_context(self, graph, optimizer, params):
        """Give every callback the graph, the optimizer and the run's ``params``."""
        for callback in self.callbacks:
            callback.set_context(graph, optimizer, params)

    def step_trained(self, record):
        """Give every callback the record of the minibatch just trained (``step_pass``)."""
        for callback in self.callbacks:
            callback.step_trained(record)

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


def _iterable(value):
    try:
        iter(value)
    except TypeError:
        return False
    return True
