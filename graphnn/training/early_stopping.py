"""Early stopping: track the best epoch of the monitored loss, stop after ``patience`` epochs
without an improvement, and go back to the best epoch's weights at the end."""
import math

from .snapshots import restore

__all__ = ["BestEpoch"]


class BestEpoch:
    """The best epoch of one ``fit`` so far, and how long it has waited for a better one.

    An epoch is better when its monitored loss is lower than the best by more than
    ``min_delta``; it then becomes ``history.best_epoch``. With a ``patience`` (``fit``'s
    ``early_stopping_patience``; ``None`` for none), the best epoch's weights are kept to be
    restored when training ends, and ``out_of_patience`` says when to stop.
    """

    def __init__(self, patience, min_delta):
        self.patience, self.min_delta = patience, min_delta
        self.loss, self.weights, self.waited = math.inf, None, 0

    def update(self, history, epoch, monitored, weights):
        """Score ``epoch``, whose monitored loss is ``monitored`` and whose final weights are
        ``weights``: a better one (or the first) becomes ``history.best_epoch``."""
        if monitored < self.loss - self.min_delta or history.best_epoch is None:
            self.loss, self.waited = monitored, 0
            history.best_epoch = epoch
            if self.patience is not None:
                self.weights = weights
        else:
            self.waited += 1

    @property
    def out_of_patience(self):
        """Whether ``patience`` epochs in a row brought no improvement."""
        return self.patience is not None and self.waited >= self.patience

    def restore_best(self, params, history):
        """With early stopping, set ``params`` back to the best epoch's weights when a later
        epoch ended the run (``history.restored_best``)."""
        if self.weights is not None and history.best_epoch != history.epochs:
            restore(params, self.weights)
            history.restored_best = True
