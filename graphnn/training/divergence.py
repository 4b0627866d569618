"""A diverging ``fit`` stops and restores: the first loss, validation loss or update that is
not finite (NaN or inf) ends training, the weights go back to the last finite ones, and the
``FloatingPointError`` says where the values first went wrong."""
import math

import numpy as np

from ..core import GraphError
from .snapshots import all_finite, restore, snapshot

__all__ = ["DivergenceGuard", "first_nonfinite"]


def first_nonfinite(graph, feed):
    """Where a pass on ``feed`` first holds NaN or inf, as a phrase: a parameter, else the
    first node (in topological order) whose output or value does; ``None`` when nowhere
    (``feed=None``: look at the parameters only)."""
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


class DivergenceGuard:
    """Watches one ``fit`` for values that are not finite.

    It keeps ``weights``, the last weights that were all finite (a ``snapshot`` of
    ``params``), and ``epoch``, the epoch they end (0: the initial weights). When a loss or an
    update is not finite it restores them and raises the ``FloatingPointError`` that ``fit``
    documents, with the run's ``history`` and the failing ``epoch`` as attributes.
    """

    def __init__(self, graph, params, history):
        self.graph, self.params, self.history = graph, params, history
        self.weights, self.epoch = snapshot(params), 0

    def checked(self, compute, feed, epoch, where, what="loss"):
        """``compute()``, a pass on ``feed`` that returns a dict with its ``"loss"``, when that
        loss is finite. Otherwise, or when the pass refuses non-finite values (an objective
        refusing NaN estimates), the divergence error naming ``where`` and the culprit; any
        other refusal is raised as it is."""
        try:
            result = compute()
            loss = result["loss"]
            culprit = None if math.isfinite(loss) else (
                first_nonfinite(self.graph, feed) or f"the {what} is {loss}")
        except (GraphError, ValueError):  # e.g. an objective refusing NaN estimates
            culprit = first_nonfinite(self.graph, feed)
            if culprit is None:
                raise
        if culprit is not None:
            raise self.diverged(epoch, where, culprit)
        return result

    def checked_weights(self, epoch):
        """A ``snapshot`` of the weights after the last update of ``epoch``, when they are
        all finite; else the divergence error (``"its last update"``)."""
        weights = snapshot(self.params)
        if not all_finite(weights):
            raise self.diverged(epoch, "its last update", first_nonfinite(self.graph, None))
        return weights

    def keep(self, weights, epoch):
        """Remember ``weights`` (finite, from ``checked_weights``) as those of ``epoch``."""
        self.weights, self.epoch = weights, epoch

    def diverged(self, epoch, where, culprit):
        """Restore the last finite weights and build the error ``fit`` raises."""
        restore(self.params, self.weights)
        error = FloatingPointError(
            f"fit: training diverged at epoch {epoch} ({where}): {culprit}. The weights "
            f"{'of epoch ' + str(self.epoch) if self.epoch else 'before the first epoch'} (the "
            "last finite ones) were restored; lower the learning rate or scale the inputs (e.g. "
            "with an InputLayer first)"
        )
        error.history, error.epoch = self.history, epoch
        return error
