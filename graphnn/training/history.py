"""``History``: what ``fit`` returns, the per-epoch numbers of one run and how it ended."""

__all__ = ["History"]


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
