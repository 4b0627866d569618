"""Learning curves: ``plot_history(history, path)`` draws the per-epoch losses (and
accuracies, for classifiers) that ``fit`` returns, and saves them as PNG or SVG;
``plot_kernels(layer, path)`` draws a convolutional layer's kernels.

matplotlib is an optional extra (``pip install -e ".[plot]"`` from a checkout), imported only when a plot is
asked for. The figure is drawn on matplotlib's non-interactive Agg canvas, built directly
rather than through ``pyplot``, so plotting never opens a window, works without a display,
and leaves the global matplotlib backend of the caller (a notebook, say) alone. Because no
``pyplot`` is involved, the returned figure displays itself: as a notebook cell's value it shows
as an image (``_repr_png_``), in a fresh kernel too.
"""
from pathlib import Path

__all__ = ["plot_history", "plot_kernels", "load_matplotlib", "FORMATS"]

#: the figure formats a plot is saved in, by file extension (``.png``, ``.svg``)
FORMATS = {".png": "png", ".svg": "svg"}


_FIGURE_CLASS = []  # made on first use: matplotlib is imported only when a plot is asked for


def _figure_class(Figure):
    """A ``Figure`` that shows itself as PNG in Jupyter, with no pyplot backend set up."""
    if not _FIGURE_CLASS:
        class LearningCurves(Figure):
            """The learning-curve figure ``plot_history`` returns: a matplotlib ``Figure``."""

            def _repr_png_(self):
                import io

                buffer = io.BytesIO()
                self.savefig(buffer, format="png", dpi=100)
                return buffer.getvalue()

        _FIGURE_CLASS.append(LearningCurves)
    return _FIGURE_CLASS[0]


def load_matplotlib():
    """Import the parts of matplotlib graphnn's plots are drawn with, on first use: returns
    ``(Figure, FigureCanvasAgg, rc_context, MaxNLocator)``, where ``Figure`` is a matplotlib
    ``Figure`` that shows itself as PNG in Jupyter, with no pyplot backend set up. Raises
    ``ImportError`` saying how to install matplotlib (an optional extra) when it is missing."""
    try:
        from matplotlib import rc_context
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError as err:
        raise ImportError(
            "plot_history needs matplotlib, an optional extra of graphnn: "
            'from the graphnn checkout: pip install -e ".[plot]"  (or: pip install matplotlib)'
        ) from err
    return _figure_class(Figure), FigureCanvasAgg, rc_context, MaxNLocator


def plot_history(history, path=None, title=None):
    """Draw the learning curves of ``history`` and return the matplotlib ``Figure`` (which a
    notebook shows as the cell's value).

    ``history``: a ``graphnn.training.fit.History`` or any mapping with a ``"loss"`` list and
    optionally ``"val_loss"``, ``"accuracy"``, ``"val_accuracy"`` (one entry per epoch). The
    loss panel is always drawn; an accuracy panel is added when the history has accuracies.
    Training curves are solid, validation curves dashed; the best epoch
    (``history.best_epoch``, if set) is marked with a dotted grey line.

    ``path``: where to save the figure, a ``.png`` or ``.svg`` file (the suffix chooses the
    format); ``None`` only returns the figure. SVG files carry no creation date, so the same
    history gives the same bytes. ``title``: the heading (default ``"learning curves"``),
    followed by notes such as "stopped early".

    Raises ``ValueError`` for a history without losses or a path of another format, and
    ``ImportError`` (saying how to install it) when matplotlib is missing.
    """
    if "loss" not in history or not len(history["loss"]):
        raise ValueError("plot_history: the history has no 'loss' values (no epoch completed?)")
    if path is not None:
        path, fmt = _format_of(path, "plot_history")
    Figure, FigureCanvasAgg, rc_context, MaxNLocator = load_matplotlib()

    panels = [("loss", "loss")]
    if "accuracy" in history or "val_accuracy" in history:
        panels.append(("accuracy", "accuracy"))
    figure = Figure(figsize=(5.5 * len(panels), 4.0), layout="constrained")
    FigureCanvasAgg(figure)
    best = getattr(history, "best_epoch", None)
    for index, (key, label) in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), index + 1)
        for name, style in ((key, "-"), (f"val_{key}", "--")):
            values = history.get(name) if hasattr(history, "get") else None
            if values is not None and len(values):
                epochs = range(1, len(values) + 1)
                axes.plot(epochs, values, style, marker="." if len(values) <= 30 else None,
                          label="training" if name == key else "validation")
        if best is not None:
            axes.axvline(best, color="grey", linestyle=":", linewidth=1, label=f"best epoch ({best})")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        axes.set_xlabel("epoch")
        axes.set_ylabel(label)
        axes.grid(True, alpha=0.3)
        axes.legend()
    notes = [
        note for note, flag in (
            ("stopped early", getattr(history, "stopped_early", False)),
            ("interrupted", getattr(history, "interrupted", False)),
            ("best weights restored", getattr(history, "restored_best", False)),
        ) if flag
    ]
    heading = title or "learning curves"
    if notes:
        heading += f" ({', '.join(notes)})"
    figure.suptitle(heading)
    if path is not None:
        _save(figure, path, fmt, rc_context)
    return figure


def _format_of(path, who):
    """``(Path, format)`` for a figure file name, or a ``ValueError`` naming ``who``."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{who}: cannot tell the format of {str(path)!r}; use a .png or .svg file name")
    return path, fmt


def _save(figure, path, fmt, rc_context):
    if fmt == "svg":
        # No date, and ids hashed with a fixed salt instead of a random one.
        with rc_context({"svg.hashsalt": "graphnn"}):
            figure.savefig(path, format="svg", metadata={"Date": None})
    else:
        figure.savefig(path, format=fmt, dpi=100)


def _kernels_of(layer):
    """The ``O x C x kh x kw`` kernels of ``layer`` (a layer with ``getWeights()``, or an
    array of 2, 3 or 4 dimensions), as a float array; a ``ValueError`` for anything else."""
    import numpy as np

    weights = layer.getWeights() if hasattr(layer, "getWeights") else layer
    try:
        kernels = np.asarray(weights, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"plot_kernels: cannot read kernels from {layer!r} ({err})") from None
    if kernels.ndim not in (2, 3, 4) or kernels.size == 0:
        raise ValueError(
            "plot_kernels: kernels must be out x in x kh x kw (a ConvolutionalLayer's weights), "
            f"in x kh x kw or kh x kw, got shape {kernels.shape}"
        )
    return kernels.reshape((1,) * (4 - kernels.ndim) + kernels.shape)


#: ``plot_kernels`` writes the numbers on kernels of at most this many entries (3 x 3) ...
ANNOTATE_ENTRIES = 9
#: ... when the grid has at most this many panels
ANNOTATE_PANELS = 16


def plot_kernels(layer, path=None, title=None, figure=None):
    """Draw the kernels of a convolutional layer as a grid of images and return the matplotlib
    ``Figure``: one row per output channel, one column per input channel (for one input
    channel, the outputs in rows of at most 8), every panel on one colour scale centred at 0
    (blue negative, red positive, white 0), with a colour bar.
    Kernels of at most 9 entries (3 x 3) in grids of at most 16 panels show their numbers.

    ``layer``: a ``ConvolutionalLayer`` (anything with ``getWeights()`` returning
    ``O x C x kh x kw``), or such an array itself (a copy taken before training, say); a
    ``C x kh x kw`` or ``kh x kw`` array is one output's kernels. ``path``: a ``.png`` or
    ``.svg`` file to save the figure to. ``title``: the heading (default: the layer's
    ``describe()``, or ``"kernels"``). ``figure``: a matplotlib ``Figure`` to draw into (its
    previous contents are cleared), e.g. one panel of a before/after comparison made with
    ``Figure.subfigures``; by default a new one.

    Raises ``ValueError`` for an array of another rank or a path of another format, and
    ``ImportError`` (saying how to install it) when matplotlib is missing.
    """
    kernels = _kernels_of(layer)
    if path is not None:
        path, fmt = _format_of(path, "plot_kernels")
    Figure, FigureCanvasAgg, rc_context, _ = load_matplotlib()
    outs, ins, kh, kw = kernels.shape
    # One input channel: the outputs wrap into rows of at most 8, rather than one tall column.
    wrap = ins == 1 and outs > 1
    rows, cols = ((outs + 7) // 8, min(outs, 8)) if wrap else (outs, ins)
    if figure is None:
        figure = Figure(figsize=(min(1.3 * cols + 1.2, 16), min(1.3 * rows + 0.8, 24)),
                        layout="constrained")
        FigureCanvasAgg(figure)
    else:
        figure.clear()
    import numpy as np

    limit = float(np.max(np.abs(kernels[np.isfinite(kernels)]), initial=0.0)) or 1.0
    annotate = kh * kw <= ANNOTATE_ENTRIES and outs * ins <= ANNOTATE_PANELS
    axes = figure.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    panels = [(o, 0, axes.flat[o]) for o in range(outs)] if wrap else \
        [(o, c, axes[o, c]) for o in range(outs) for c in range(ins)]
    for ax in axes.flat[len(panels):]:
        ax.set_axis_off()
    for o, c, ax in panels:
        image = ax.imshow(kernels[o, c], cmap="RdBu_r", vmin=-limit, vmax=limit,
                          interpolation="nearest")
        if wrap:
            ax.set_title(f"out {o}", fontsize=9)
        else:
            if o == 0:
                ax.set_title(f"in {c}", fontsize=9)
            if c == 0:
                ax.set_ylabel(f"out {o}", fontsize=9)
        if annotate:
            for (p, q), value in np.ndenumerate(kernels[o, c]):
                ax.text(q, p, f"{value:.2g}", ha="center", va="center", fontsize=7,
                        color="white" if abs(value) > 0.6 * limit else "black")
    figure.colorbar(image, ax=axes, shrink=0.8)
    default = layer.describe() if hasattr(layer, "describe") else "kernels"
    figure.suptitle(title or default)
    if path is not None:
        _save(figure, path, fmt, rc_context)
    return figure
