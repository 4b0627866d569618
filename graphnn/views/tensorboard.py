"""TensorBoard: a callback that writes TensorBoard event files while ``fit`` trains.

::

    from graphnn.views.tensorboard import TensorBoard
    fit(graph, X, Y, epochs=30, validation_split=0.25, callbacks=[TensorBoard("runs/kc")])
    # then: tensorboard --logdir runs   (and open http://localhost:6006)

What it writes, per epoch (``step`` = the epoch, counted from 1 as ``History`` counts):

- **Scalars** ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``: the numbers ``History``
  records for the epoch (those that apply).
- **The training monitor's statistics** (``graphnn.views.monitor``), one scalar per key, tagged
  ``statistic/key``: ``edge_grad/fc1_to_sigmoid1`` (the mean |gradient| along an edge; an
  input slot other than 0 is added as ``_slot1``), ``grad/fc1``, ``activation/fc1``, ``dead/relu1``,
  ``saturated/tanh1``, ``grad_ratio/fc1.weights``, ``update_ratio/fc1.weights``; ``step`` is
  the minibatch count of the record (``Monitor.steps``), which is the epoch's first minibatch
  by default.
- **Histograms** of every parameter's value and gradient at the end of the epoch, tagged
  ``fc1.weights`` and ``fc1.weights/grad``.
- **The gradient diagram** as an image, tagged ``gradient_diagram``, every
  ``diagram_every`` epochs and at the last one: the network coloured by the mean |gradient|
  along each edge (``Monitor.diagram``, top to bottom), drawn by Graphviz's ``dot`` (without it, a
  ``UserWarning`` says so once and the other records are still written).

The records are written by tensorboardX's ``SummaryWriter`` (``pip install
"graphnn[tensorboard]"``), a well-kept writer of TensorBoard's format: graphnn writes no
protobuf of its own.
"""
import io
import numbers
import warnings

import numpy as np

from ..training.callbacks import Callback
from .monitor import STATISTICS, Monitor

__all__ = ["TensorBoard", "scalar_tag", "DIAGRAM_TAG"]

#: the tag of the gradient diagram's images
DIAGRAM_TAG = "gradient_diagram"


def scalar_tag(statistic, key):
    """The TensorBoard tag of a monitor ``statistic`` for ``key`` (a node, ``"node.parameter"``
    or an edge ``(source, target, slot)``): ``"edge_grad/fc1_to_sigmoid1"``, ``"grad/fc1"``.
    Made of the characters TensorBoard keeps in a tag (node names are letters, digits, ``_``,
    ``.`` and ``-``), so its page shows the names as they are.

    >>> scalar_tag("edge_grad", ("add1", "tanh1", 0)), scalar_tag("edge_grad", ("x", "add1", 1))
    ('edge_grad/add1_to_tanh1', 'edge_grad/x_to_add1_slot1')
    """
    if isinstance(key, tuple):
        source, target, slot = key
        key = f"{source}_to_{target}" + (f"_slot{slot}" if slot else "")
    return f"{statistic}/{key}"


class TensorBoard(Callback):
    """A callback for ``fit(..., callbacks=[TensorBoard(logdir)])`` that writes the records
    listed above into ``logdir`` (a folder, created if needed; ``tensorboard --logdir`` it).

    ``monitor``: ``True`` (the default) watches training with a ``Monitor`` of its own;
    ``False`` writes no monitor statistics; a ``Monitor`` you made writes its records (put
    it in ``fit``'s callbacks before this one, so that it has recorded the epoch first).
    ``histograms``: write the parameters' histograms. ``diagram_every``: the gradient diagram
    every so many epochs (and at the last one); ``None`` for none.

    Raises ``ImportError`` naming the extra to install when tensorboardX is missing, and
    ``ValueError`` for a ``diagram_every`` that is not a positive integer or ``None``.
    """

    def __init__(self, logdir, monitor=True, histograms=True, diagram_every=5):
        super().__init__()
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            raise ImportError('TensorBoard needs tensorboardX: pip install "graphnn[tensorboard]" '
                              "(or pip install tensorboardX tensorboard)") from None
        if diagram_every is not None and (isinstance(diagram_every, bool) or not isinstance(
                diagram_every, numbers.Integral) or diagram_every < 1):
            raise ValueError(f"TensorBoard: diagram_every must be a positive integer or None, "
                             f"got {diagram_every!r}")
        self.logdir = str(logdir)
        self._writer_class = SummaryWriter
        self.writer = None
        self.own_monitor = monitor is True
        self.monitor = Monitor() if monitor is True else (monitor or None)
        self.histograms = bool(histograms)
        self.diagram_every = diagram_every
        self._written = 0  # monitor records already written
        self._warned = False

    # ------------------------------------------------------------------ the hooks
    def set_context(self, graph, optimizer, params):
        """Called by ``fit`` before ``on_train_begin``; hands the context to its own monitor."""
        super().set_context(graph, optimizer, params)
        if self.own_monitor:
            self.monitor.set_context(graph, optimizer, params)

    def on_train_begin(self, logs=None):
        """Open the event file."""
        self.writer = self._writer_class(self.logdir)
        self._written = 0
        self._forward_to_monitor("on_train_begin", logs)

    def on_epoch_begin(self, epoch, logs=None):
        """Hand the hook to its own monitor."""
        self._forward_to_monitor("on_epoch_begin", epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        """Hand the hook to its own monitor."""
        self._forward_to_monitor("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        """Hand the hook to its own monitor."""
        self._forward_to_monitor("on_batch_end", batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        """Write the epoch's scalars, the monitor's new records, the histograms and, when due,
        the gradient diagram."""
        for key, value in (logs or {}).items():
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                self.writer.add_scalar(key, float(value), epoch)
        self._write_monitor_records()
        if self.histograms:
            for name, parameter in self.graph.named_parameters():
                tag = f"{name}.{parameter.name}"
                self.writer.add_histogram(tag, _finite(parameter.value), epoch)
                self.writer.add_histogram(f"{tag}/grad", _finite(parameter.grad), epoch)
        last = epoch == self.params.get("epochs")
        if self.diagram_every is not None and (epoch % self.diagram_every == 0 or last):
            self._write_diagram(epoch)

    def on_train_end(self, logs=None):
        """Write the last diagram if training stopped early, and close the event file."""
        self._forward_to_monitor("on_train_end", logs)
        self.writer.close()

    # ------------------------------------------------------------------ helpers
    def _forward_to_monitor(self, hook, *args):
        if self.own_monitor:
            getattr(self.monitor, hook)(*args)

    def _write_monitor_records(self):
        monitor = self.monitor
        if monitor is None:
            return
        for index in range(self._written, len(monitor.epochs)):
            step = monitor.steps[index]
            for statistic in STATISTICS:
                for key, values in monitor.series[statistic].items():
                    if np.isfinite(values[index]):
                        self.writer.add_scalar(scalar_tag(statistic, key), values[index], step)
        self._written = len(monitor.epochs)

    def _write_diagram(self, epoch):
        if self.monitor is None or epoch not in self.monitor.epochs:
            return
        try:
            # top to bottom: TensorBoard shows an image at the width of its card, so a long chain
            # drawn left to right would shrink to an unreadable strip
            png = self.monitor.diagram("edge_grad", epoch=epoch, rankdir="TB").pipe(format="png")
        except Exception as err:  # graphviz's ExecutableNotFound, or dot failing: say it once
            if not self._warned:
                warnings.warn(f"TensorBoard: the gradient diagram is not written ({err}); "
                              "install Graphviz's dot to get it", UserWarning, stacklevel=2)
                self._warned = True
            return
        from PIL import Image  # matplotlib's dependency; tensorboardX needs the pixels

        pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
        self.writer.add_image(DIAGRAM_TAG, pixels, epoch, dataformats="HWC")


def _finite(array):
    """The finite entries of ``array`` (a histogram of NaN or inf has no bins)."""
    array = np.asarray(array, dtype=np.float64)
    return array[np.isfinite(array)]
