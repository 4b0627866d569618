"""A diverging ``fit`` stops and restores: the first loss, validation loss or update that is
not finite (NaN or inf) ends training, the weights go back to the last finite ones, and the
``FloatingPointError`` says where the values first went wrong."""
import math

import numpy as np

from ..core import GraphError
from .snapshots import all_finite, restore, snapshot

__all__ = ["DivergenceGuard", "first_nonfinite", "nonfinite_data", "TRAINING_ADVICE", "DATA_ADVICE"]


#: what to do when training itself made values non-finite
TRAINING_ADVICE = "lower the learning rate or scale the inputs (e.g. with an InputLayer first)"
#: what to do when the data fed holds them, though fit checked it before the first epoch
DATA_ADVICE = (
    "fit checked the data before the first epoch, so it was changed while training ran: "
    "something (a callback?) wrote NaN or inf into an array given to fit, which trains on "
    "those arrays without copying them; leave them unchanged until fit returns, or pass a copy"
)


def nonfinite_data(feed):
    """A phrase naming the first fed array (in feed order) that holds NaN or inf, with the
    count and the first bad entry; ``None`` when all are finite."""
    for name, value in (feed or {}).items():
        array = np.asarray(value)
        if array.dtype.kind not in "fc":
            continue
        bad = ~np.isfinite(array)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            place = f"row {first[0]}, column {first[1]}" if len(first) == 2 else f"index {first}"
            return (f"the data fed to input {name!r} holds {int(bad.sum())} NaN or inf entries "
                    f"(the first at {place} of the rows fed: {array[first]})")
    return None


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
                nonfinite_data(feed) or first_nonfinite(self.graph, feed) or f"the {what} is {loss}")
        except (GraphError, ValueError):  # e.g. an objective refusing NaN estimates
            culprit = nonfinite_data(feed) or first_nonfinite(self.graph, feed)
            if culprit is None:
                raise
        if culprit is not None:
            advice = DATA_ADVICE if culprit.startswith("the data fed") else TRAINING_ADVICE
            raise self.diverged(epoch, where, culprit, advice)
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

    def diverged(self, epoch, where, culprit, advice=TRAINING_ADVICE):
        """Restore the last finite weights and build the error ``fit`` raises, ending with
        ``advice`` (``TRAINING_ADVICE``, or ``DATA_ADVICE`` when the data fed is at fault)."""
        restore(self.params, self.weights)
        error = FloatingPointError(
            f"fit: training diverged at epoch {epoch} ({where}): {culprit}. The weights "
            f"{'of epoch ' + str(self.epoch) if self.epoch else 'before the first epoch'} (the "
            f"last finite ones) were restored; {advice}"
        )
        error.history, error.epoch = self.history, epoch
        return error
