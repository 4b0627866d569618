"""Training dynamics: a ``Monitor`` callback records how gradients, updates and activations
behave while ``fit`` trains, and draws them.

::

    from graphnn.views.monitor import Monitor
    monitor = Monitor()
    fit(graph, X, Y, epochs=30, callbacks=[monitor])
    monitor.plot("dynamics.png")                 # small multiples, one panel per layer
    monitor.diagram("edge_grad", epoch=1)         # the network coloured by a statistic
    monitor.replay("edge_grad", "replay.html")    # that diagram, one frame per epoch

**Which pass it reads.** The monitor reads the record (``graph.last_pass``) that ``fit``'s own
training step leaves: by default that of the first minibatch of every epoch, or, with
``every_steps=k``, of every ``k``-th minibatch. The first minibatch, because it is full-sized
(the last one may hold a few rows) and runs at the weights the previous epoch ended with, so
epoch 1 shows the initial weights. The monitor runs no pass of its own, so it never changes
what training computes and costs only the statistics; the gradient it reports is exactly the
one the optimizer used, and the update it reports is the update made from that gradient. The
numbers are those of a forward and backward pass on that minibatch at the weights before its
update (tests/test_monitor.py checks it). With one full batch per epoch (``batch_size=None``)
every record is of the same rows; with shuffled minibatches the rows change from record to
record, so the curves carry minibatch noise. It reads the record at ``on_batch_end``, before
the next minibatch or the validation pass replaces it.

**What it records** (``STATISTICS``; each a list with one entry per record, aligned with
``epochs`` and ``steps``):

- ``edge_grad``, per edge ``(source, target, slot)`` that carried a gradient: the mean
  |gradient| along it, per observation (as the gradient view shows it);
- ``grad``, per node that gets a gradient: the mean |dJ/d output| (summed over consumers);
- ``activation``, per layer: the mean |output|;
- ``dead``, per ``ReLULayer``: the share of its units (columns; for images, each entry of
  ``C x H x W``) that output 0 on every row of the minibatch (``DEAD``: exactly 0, which a ReLU gives for every input ``<= 0``);
- ``saturated``, per ``TanhLayer`` and ``LogisticSigmoidLayer``: the share of output entries
  (rows x units) in the flat ends, where the derivative is below about 0.02: ``|y| > 0.99``
  for tanh, ``y < 0.01`` or ``y > 0.99`` for the sigmoid (``SATURATION``);
- ``grad_ratio`` and ``update_ratio``, per parameter (``"node.name"``, e.g. ``"fc1.weights"``):
  ``||dJ/dp|| / ||p||`` and ``||p_after - p_before|| / ||p_before||`` (Frobenius norms, ``p``
  before the update). A common rule of thumb wants updates around ``1e-3`` of the weights.
  The norms are taken of the array divided by its largest |entry| and multiplied back, so
  tiny gradients (``1e-200``) give their true ratio, never 0 by underflow; the ratio is NaN
  for a parameter that is all zeros (no scale to compare with).

``histograms=True`` also keeps, per record, ``numpy.histogram`` counts and bin edges of every
layer's output and output gradient and of every parameter's value and gradient.

A graph trained without a monitor runs no code of this module.
"""
import math
import numbers
from pathlib import Path

import numpy as np

from .drawing import (
    KIND_STYLE, SMALL, add_legend, colour_bar, edge_label, escape, format_number, gradient_colour,
    graph_edges, heat_bar, heat_colour, html_label, mean_abs, new_diagram, node_kind, penwidth, rgb,
)
from .plotting import FORMATS, load_matplotlib
from ..training.callbacks import Callback
from ..core import INPUT, LAYER, OBJECTIVE, GraphError
from ..layers import LogisticSigmoidLayer, ReLULayer, TanhLayer

__all__ = ["Monitor", "norm_ratio", "STATISTICS", "SATURATION", "DEAD"]

#: ``statistic: (what it is recorded for, scale, description)``; the scale is ``"log"`` for
#: magnitudes and ratios, ``"share"`` for fractions in ``[0, 1]``
STATISTICS = {
    "edge_grad": ("edge", "log", "mean |gradient| along the edge, per observation"),
    "grad": ("node", "log", "mean |dJ/d output| of the node, per observation"),
    "activation": ("node", "log", "mean |output| of the layer"),
    "dead": ("node", "share", "share of dead ReLU units (0 on every row)"),
    "saturated": ("node", "share", "share of saturated tanh/sigmoid outputs"),
    "grad_ratio": ("parameter", "log", "||dJ/dp|| / ||p||"),
    "update_ratio": ("parameter", "log", "||update|| / ||p||"),
}
#: a tanh output is saturated where ``|y| > SATURATION``; a sigmoid output where
#: ``y < 1 - SATURATION`` or ``y > SATURATION`` (``y < 0.01`` or ``y > 0.99``)
SATURATION = 0.99
#: a ReLU unit is dead when its output equals ``DEAD`` on every row of the minibatch
DEAD = 0.0

_HISTOGRAM_BINS = 30


class Monitor(Callback):
    """A callback for ``fit(..., callbacks=[monitor])`` that records the statistics above.

    ``every_steps``: ``None`` (the default) records the first minibatch of every epoch; a
    positive integer ``k`` records every ``k``-th minibatch (counted across epochs).
    ``histograms``: also keep histograms (``histograms`` attribute). ``ValueError`` for an
    ``every_steps`` that is not a positive integer, or ``histograms`` not a bool.

    After training: ``epochs``, ``steps`` and ``losses`` (the epoch, the minibatch count since
    the start and the minibatch's loss, of each record), ``series[statistic][key]`` (a list per key, one float per record),
    ``histograms[(what, key)]`` (a list of ``(counts, bin_edges)``; ``what`` is
    ``"activation"`` or ``"grad"`` for a node, ``"value"`` or ``"grad"`` for a parameter).
    A second ``fit`` with the same monitor starts its records afresh.
    """

    def __init__(self, every_steps=None, histograms=False):
        super().__init__()
        if every_steps is not None and (isinstance(every_steps, bool) or not isinstance(
                every_steps, numbers.Integral) or every_steps < 1):
            raise ValueError(f"Monitor: every_steps must be a positive integer or None, got {every_steps!r}")
        if not isinstance(histograms, (bool, np.bool_)):
            raise ValueError(f"Monitor: histograms must be True or False, got {histograms!r}")
        self.every_steps = every_steps
        self.keep_histograms = bool(histograms)
        self._reset()

    def _reset(self):
        self.epochs, self.steps, self.losses = [], [], []
        self.series = {name: {} for name in STATISTICS}
        self.histograms = {}
        self._epoch = self._seen = 0
        self._before = self._pending = None

    # ------------------------------------------------------------------ the hooks
    def on_train_begin(self, logs=None):
        """Forget the records of an earlier run."""
        self._reset()

    def on_epoch_begin(self, epoch, logs=None):
        """Note the epoch the next records belong to."""
        self._epoch = epoch

    def on_batch_begin(self, batch, logs=None):
        """Before a recorded minibatch: keep the weights, to measure its update."""
        self._seen = logs["step"]
        if self._records(batch, logs["step"]):
            self._before = {id(p): p.value.copy() for p in self.graph.parameters()}

    def step_trained(self, record):
        """Right after a recorded minibatch's update, before any callback's ``on_batch_end``
        can run a pass (``evaluate``) or a backward of its own: read the statistics from
        ``record``, fit's record of that minibatch, and from the parameters' gradients."""
        super().step_trained(record)
        if record is not None and self._before is not None and self._pending is None:
            self._collect(self.graph, self._before, record)
            self._pending = True

    def on_batch_end(self, batch, logs=None):
        """After a recorded minibatch: its statistics (read by ``step_trained``; here from
        ``graph.last_pass`` when the hooks are called by hand) with its epoch, step and loss."""
        if self._before is not None:
            if self._pending is None:
                self._collect(self.graph, self._before, self.graph.last_pass)
            self._pending = None
            self.epochs.append(self._epoch)
            self.steps.append(logs["step"])
            self.losses.append(logs["loss"])
            self._before = None

    def _records(self, batch, step):
        if self.every_steps is None:
            return batch == 1
        return step % self.every_steps == 0

    # ------------------------------------------------------------------ the statistics
    def _collect(self, graph, before, record):
        count = len(self.epochs)
        for source, target, slot in graph_edges(graph):
            gradient = record.edge_grad(source, target, slot)
            if gradient is not None:
                self._put("edge_grad", (source, target, slot), mean_abs(gradient), count)
        for name in graph.nodes:
            kind, op = graph.nx.nodes[name]["kind"], graph.op(name)
            if kind == OBJECTIVE:
                continue
            if name in record.plan.requiring:
                gradient = record.grad(name)
                self._put("grad", name, mean_abs(gradient), count)
                self._histogram(("grad", name), gradient)
            if kind == INPUT:
                continue
            value = record.value(name)
            self._put("activation", name, mean_abs(value), count)
            self._histogram(("activation", name), value)
            if isinstance(op, ReLULayer):
                self._put("dead", name, float(np.mean(np.all(value == DEAD, axis=0))), count)
            elif isinstance(op, TanhLayer):
                self._put("saturated", name, float(np.mean(np.abs(value) > SATURATION)), count)
            elif isinstance(op, LogisticSigmoidLayer):
                ends = (value < 1.0 - SATURATION) | (value > SATURATION)
                self._put("saturated", name, float(np.mean(ends)), count)
            for p in op.parameters():
                key = f"{name}.{p.name}"
                start = before[id(p)]
                self._put("grad_ratio", key, norm_ratio(p.grad, start), count)
                self._put("update_ratio", key, norm_ratio(p.value - start, start), count)
                self._histogram(("value", key), start)
                self._histogram(("grad", key), p.grad)
        for values in (v for table in self.series.values() for v in table.values()):
            if len(values) == count:  # a key this record lacks (no gradient reached it)
                values.append(math.nan)

    def _put(self, statistic, key, value, count):
        values = self.series[statistic].setdefault(key, [math.nan] * count)
        values.append(value)

    def _histogram(self, key, array):
        if self.keep_histograms:
            array = np.asarray(array, dtype=np.float64)
            counts, edges = np.histogram(array[np.isfinite(array)], bins=_HISTOGRAM_BINS)
            self.histograms.setdefault(key, []).append((counts, edges))

    # ------------------------------------------------------------------ questions
    def record_index(self, epoch=None):
        """The index of the last record of ``epoch`` (``None``: the last record of all).
        ``ValueError`` when nothing was recorded in that epoch."""
        if not self.epochs:
            raise ValueError(self._nothing_recorded())
        if epoch is None:
            return len(self.epochs) - 1
        matches = [i for i, e in enumerate(self.epochs) if e == epoch]
        if not matches:
            raise ValueError(f"Monitor: no record of epoch {epoch!r}; recorded epochs "
                             f"{self.epochs[0]} to {self.epochs[-1]}")
        return matches[-1]

    def _nothing_recorded(self):
        """Why there is no record: never passed to ``fit``, or a run too short for it."""
        if self.graph is None:
            return "Monitor: nothing recorded yet; pass the monitor to fit(..., callbacks=[monitor])"
        if self.every_steps is not None and self._seen < self.every_steps:
            epochs, steps = self.params.get("epochs"), self.params.get("steps")
            return (f"Monitor: nothing recorded: with every_steps={self.every_steps} it records every "
                    f"{self.every_steps}th minibatch, and fit ran {self._seen} ({epochs} epochs of {steps}); "
                    f"choose every_steps <= {max(self._seen, 1)} (or None: the first minibatch of each epoch)")
        return (f"Monitor: nothing recorded: fit ran {self._seen} minibatch(es) and none completed "
                "(interrupted or diverged before the end of the first one)")

    def at(self, statistic, epoch=None):
        """``{key: value}`` of ``statistic`` at the last record of ``epoch`` (default: the
        last record). ``ValueError`` for an unknown statistic."""
        index = self.record_index(epoch)
        return {key: values[index] for key, values in self._series(statistic).items()}

    def _series(self, statistic):
        if statistic not in STATISTICS:
            raise ValueError(f"Monitor: unknown statistic {statistic!r}; the statistics are {list(STATISTICS)}")
        return self.series[statistic]

    def node_series(self, name):
        """Every series that belongs to node ``name``: ``{label: (statistic, list)}`` with
        labels such as ``"grad"``, ``"saturated"``, ``"weights grad_ratio"``, ``"grad to fc1"``
        (the gradient it sent along the edge to ``fc1``)."""
        found = {}
        for statistic, (what, _, _) in STATISTICS.items():
            for key, values in self.series[statistic].items():
                if what == "node" and key == name:
                    found[statistic] = (statistic, values)
                elif what == "parameter" and _owner(key) == name:
                    found[f"{key.rsplit('.', 1)[1]} {statistic}"] = (statistic, values)
                elif what == "edge" and key[1] == name:
                    found[f"grad to {key[0]}"] = (statistic, values)
        return found

    # ------------------------------------------------------------------ views
    def plot(self, path=None, nodes=None, statistics=("grad", "grad_ratio", "update_ratio", "dead", "saturated"),
             ncols=None, title=None):
        """Small multiples: one panel per layer, the recorded statistics over the epochs;
        returns the matplotlib ``Figure`` (shown inline in a notebook) and saves it to
        ``path`` (``.png`` or ``.svg``) if given.

        Magnitudes and ratios share one log axis across all panels (so depths compare at a
        glance); shares (dead, saturated) are on a linear right-hand axis from 0 to 1.
        ``nodes``: the layers to draw (default: every layer with a recorded statistic), in
        topological order; ``statistics``: which of ``STATISTICS`` to draw (with
        ``edge_grad``, the gradient a layer sent to each input); ``ncols``: panels per row.
        ``ValueError`` for an unknown node or statistic, or nothing recorded.
        """
        for statistic in statistics:
            self._series(statistic)
        self.record_index()
        fmt = _check_path(path, FORMATS, "Monitor.plot")
        drawn = self._layers(statistics)
        names = drawn if nodes is None else list(nodes)
        unknown = [n for n in names if n not in drawn]
        if unknown:
            raise ValueError(f"Monitor.plot: no statistics recorded for node(s) {unknown}; "
                             f"recorded: {self._layers()}")
        Figure, FigureCanvasAgg, rc_context, MaxNLocator = load_matplotlib()
        from matplotlib.ticker import LogLocator, NullLocator
        ncols = ncols or min(len(names), 4)
        nrows = -(-len(names) // ncols)
        figure = Figure(figsize=(3.2 * ncols, 2.4 * nrows + 0.6), layout="constrained")
        FigureCanvasAgg(figure)
        x = np.asarray(self.steps if self.every_steps else self.epochs)
        log_axes, share_axes, handles = [], [], {}
        colours = {}
        for index, name in enumerate(names):
            axes = figure.add_subplot(nrows, ncols, index + 1, sharey=log_axes[0] if log_axes else None)
            log_axes.append(axes)
            twin = None
            for label, (statistic, values) in self.node_series(name).items():
                if statistic not in statistics:
                    continue
                colour = colours.setdefault(label, f"C{len(colours) % 10}")
                y = np.asarray(values, dtype=float)
                if STATISTICS[statistic][1] == "share":
                    twin = twin or axes.twinx()
                    line, = twin.plot(x, y, "--", color=colour, label=label)
                else:
                    y = np.where(y > 0, y, np.nan)  # a log axis cannot show 0
                    line, = axes.plot(x, y, color=colour, label=label)
                handles.setdefault(label, line)
            axes.set_yscale("log")
            # Few ticks: vanishing gradients span dozens of decades, and a tick per decade
            # makes the figure crowded and slow to lay out.
            axes.yaxis.set_major_locator(LogLocator(numticks=6))
            axes.yaxis.set_minor_locator(NullLocator())
            axes.set_title(f"{name} ({self.graph.op(name).describe()})" if self.graph else name, fontsize=9)
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            axes.grid(True, alpha=0.3)
            axes.tick_params(labelsize=7)
            if twin is not None:
                twin.set_ylim(-0.02, 1.02)
                twin.tick_params(labelsize=7)
                share_axes.append(twin)
            if index // ncols == nrows - 1 or index + ncols >= len(names):
                axes.set_xlabel("minibatch" if self.every_steps else "epoch", fontsize=8)
        figure.legend(list(handles.values()), list(handles), loc="outside lower center",
                      ncols=min(len(handles), 6), fontsize=8)
        figure.suptitle(title or "training dynamics (solid: log scale, left; dashed: share, right)",
                        fontsize=10)
        _save(figure, path, fmt, rc_context)
        return figure

    def _layers(self, statistics=STATISTICS):
        """The layers with a recorded statistic of ``statistics``, in topological order."""
        keyed = set()
        for statistic in statistics:
            what = STATISTICS[statistic][0]
            for key in self.series[statistic]:
                keyed.add(key if what == "node" else _owner(key) if what == "parameter" else key[1])
        order = self.graph.nodes if self.graph is not None else sorted(keyed)
        return [n for n in order if n in keyed and (self.graph is None or self.graph.nx.nodes[n]["kind"] == LAYER)]

    def diagram(self, statistic="edge_grad", epoch=None, rankdir="LR"):
        """The network as a ``graphviz.Digraph``, coloured by ``statistic`` at the last record
        of ``epoch`` (default: the last record).

        An edge statistic colours and thickens the edges (log scale, as the gradient view);
        a node or parameter statistic fills the nodes (log scale for magnitudes and ratios,
        the largest of a node's parameters; linear from white to orange for shares). Every
        coloured edge or node shows its number; grey means not recorded there.
        ``ValueError`` for an unknown statistic or epoch; ``GraphError`` if the monitor has
        not watched a graph.
        """
        return self._diagram(statistic, self.record_index(epoch), rankdir)

    def replay(self, statistic="edge_grad", path=None, rankdir="LR", interval=0.8):
        """The diagram of ``statistic`` over training: a ``graphnn.views.player.Player`` (the HTML
        player of the replay of a pass) with one frame per record, captioned with its epoch
        and minibatch loss; saved to ``path`` (an ``.html`` file) if given. In Jupyter the
        player shows inline. Needs Graphviz's ``dot`` for the SVG frames."""
        from .player import Frame, Player

        self.record_index()
        frames = []
        for index, epoch in enumerate(self.epochs):
            svg = self._diagram(statistic, index, rankdir).pipe(format="svg").decode("utf-8")
            frames.append(Frame(svg, f"epoch {epoch} (training step {self.steps[index]}): minibatch loss "
                                     f"{format_number(self.losses[index])}"))
        player = Player(frames, title=f"{statistic} over training: {STATISTICS[statistic][2]}",
                        interval=interval)
        if path is not None:
            player.save(path)
        return player

    def _diagram(self, statistic, index, rankdir):
        values = {key: series[index] for key, series in self._series(statistic).items()}
        if self.graph is None:
            raise GraphError("Monitor.diagram: the monitor has not watched a graph; train with it first")
        graph = self.graph
        what, scale, description = STATISTICS[statistic]
        dot = new_diagram(graph, rankdir, f"monitor_{statistic}")
        for name in graph.nodes:
            op = graph.op(name)
            rows = [(f"<b>{escape(name)}</b>", None),
                    (escape("input" if op is None else op.describe()), SMALL)]
            style = dict(KIND_STYLE[node_kind(graph, name)])
            shown = _node_values(statistic, what, values, name)
            shown = {k: v for k, v in shown.items() if not math.isnan(v)}
            if shown:
                for label, value in shown.items():
                    rows.append((f"<b>{escape(label)} {format_number(value)}</b>", SMALL))
                worst = max(shown.values())
                if scale == "share":  # the heat scale is pale enough to fill with
                    style.update(fillcolor=heat_colour(min(max(worst, 0.0), 1.0)), color="#d94801", penwidth="3")
                else:  # the colour as a thick border and, paler, as the fill: legible text
                    colour = gradient_colour(worst)
                    style.update(color=colour, fillcolor=_paler(colour), penwidth="3")
            dot.node(name, label=html_label(rows), **style)
        for source, target, slot in graph_edges(graph):
            value = values.get((source, target, slot)) if what == "edge" else None
            if value is None or math.isnan(value):
                dot.edge(source, target, color="#bbbbbb", dir="back")
                continue
            dot.edge(source, target, dir="back", color=gradient_colour(value), penwidth=penwidth(value),
                     label=edge_label([format_number(value)]))
        key = heat_bar(1.0) if scale == "share" else colour_bar()
        add_legend(dot, [
            (f"<b>{escape(statistic)}</b>: {escape(description)}", None),
            (f"epoch {self.epochs[index]} (training step {self.steps[index]})", SMALL),
            (key, None),
        ])
        return dot


def norm_ratio(numerator, denominator):
    """``||numerator|| / ||denominator||`` (Frobenius norms) without underflow or overflow:
    each array is divided by its largest |entry| before its norm is taken. ``0.0`` when the
    numerator is all zeros, NaN when the denominator is, inf when the numerator is not
    finite.

    >>> norm_ratio(np.array([[3e-200, 4e-200]]), np.array([[0.0, 5.0]]))
    1e-200
    """
    top, bottom = _scaled_norm(numerator), _scaled_norm(denominator)
    if bottom[0] == 0 or not math.isfinite(bottom[0]):
        return math.nan
    if top[0] == 0:
        return 0.0
    if not math.isfinite(top[0]):
        return math.inf
    return (top[0] / bottom[0]) * (top[1] / bottom[1])


def _scaled_norm(array):
    """``(m, n)`` with ``||array|| = m * n``: ``m`` the largest |entry|, ``n`` the norm of
    ``array / m`` (between 1 and sqrt(size))."""
    array = np.asarray(array, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        largest = float(np.max(np.abs(array))) if array.size else 0.0
    if largest == 0 or not math.isfinite(largest):
        return largest, 1.0
    return largest, float(np.linalg.norm(array / largest))


def _paler(colour, keep=0.45):
    """``colour`` mixed with white, ``keep`` of the colour left."""
    mixed = [round(255 - keep * (255 - c)) for c in rgb(colour)]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _owner(parameter_key):
    """``"fc1.weights"`` -> ``"fc1"``: the node a parameter's series belongs to."""
    return parameter_key.rsplit(".", 1)[0]


def _node_values(statistic, what, values, name):
    """``{label: value}`` of a node or parameter statistic for node ``name``."""
    if what == "node":
        return {statistic: values[name]} if name in values else {}
    if what == "parameter":
        return {key.rsplit(".", 1)[1]: value for key, value in values.items() if _owner(key) == name}
    return {}


def _check_path(path, formats, where):
    if path is None:
        return None
    fmt = formats.get(Path(path).suffix.lower())
    if fmt is None:
        raise ValueError(f"{where}: cannot tell the format of {str(path)!r}; use a "
                         f"{' or '.join(sorted(formats))} file name")
    return fmt


def _save(figure, path, fmt, rc_context):
    if path is None:
        return
    if fmt == "svg":
        with rc_context({"svg.hashsalt": "graphnn"}):  # the same figure gives the same bytes
            figure.savefig(path, format="svg", metadata={"Date": None})
    else:
        figure.savefig(path, format=fmt, dpi=100)
