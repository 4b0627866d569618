"""Learning curves: ``plot_history(history, path)`` draws the per-epoch losses (and
accuracies, for classifiers) that ``fit`` returns, and saves them as PNG or SVG.

matplotlib is an optional extra (``pip install -e ".[plot]"`` from a checkout), imported only when a plot is
asked for. The figure is drawn on matplotlib's non-interactive Agg canvas, built directly
rather than through ``pyplot``, so plotting never opens a window, works without a display,
and leaves the global matplotlib backend of the caller (a notebook, say) alone. Because no
``pyplot`` is involved, the returned figure displays itself: as a notebook cell's value it shows
as an image (``_repr_png_``), in a fresh kernel too.
"""
from pathlib import Path

__all__ = ["plot_history", "load_matplotlib", "FORMATS"]

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
        path = Path(path)
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(
                f"plot_history: cannot tell the format of {str(path)!r}; use a .png or .svg file name"
            )
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
        if fmt == "svg":
            # No date, and ids hashed with a fixed salt instead of a random one.
            with rc_context({"svg.hashsalt": "graphnn"}):
                figure.savefig(path, format="svg", metadata={"Date": None})
        else:
            figure.savefig(path, format=fmt, dpi=100)
    return figure
