"""Issue 16: the traps a student or a teacher meets first, each with its test."""
import numpy as np
import pytest

import graphnn as gn


# ---------------------------------------------------------------------------- Parameter as array
def test_a_parameter_works_where_numpy_expects_an_array():
    fc = gn.FullyConnectedLayer(3, 2, seed=0)
    W = fc.weights.value
    assert np.asarray(fc.weights) is W                      # no copy when none is needed
    x = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(np.dot(x, fc.weights), x @ W)
    np.testing.assert_array_equal(np.array(fc.weights), W)
    assert np.array(fc.weights) is not W                    # np.array copies, as for arrays
    assert np.asarray(fc.weights, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(np.asarray(fc.weights, dtype=np.float32), W.astype(np.float32))
    assert (np.asarray(fc.weights) + 0).shape == (3, 2)


def test_a_parameter_follows_numpy_2s_copy_keyword():
    p = gn.Parameter(np.arange(4.0).reshape(2, 2), "weights")
    assert p.__array__(copy=True) is not p.value
    np.testing.assert_array_equal(p.__array__(copy=True), p.value)
    assert p.__array__(copy=False) is p.value
    assert p.__array__(np.float64, copy=False) is p.value
    with pytest.raises(ValueError, match="'weights'.*copy=False"):
        p.__array__(np.float32, copy=False)
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        with pytest.raises(ValueError):
            np.asarray(p, dtype=np.float32, copy=False)
        assert np.asarray(p, copy=False) is p.value


# ---------------------------------------------------------------------------- fit's progress bar
class FakeTerminal:
    def __init__(self, tty):
        self.tty, self.text = tty, []

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text.append(text)

    def flush(self):
        pass


def small_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    Y = (X[:, :1] > 0).astype(float)
    graph = gn.Graph.sequential(gn.InputLayer(X), gn.FullyConnectedLayer(3, 1, seed=0),
                                gn.LogisticSigmoidLayer(), objective=gn.LogLoss())
    return graph, X, Y


@pytest.mark.parametrize("tty, progress, shown", [
    (False, True, True),     # True forces the bar on, even into a pipe
    (True, False, False),    # False keeps it off, even on a terminal
    (True, None, True),      # the default decides: on for a terminal
    (False, None, False),    # ... off for a pipe
])
def test_progress_true_forces_false_hides_the_default_decides(monkeypatch, tty, progress, shown):
    import sys

    stream = FakeTerminal(tty)
    monkeypatch.setattr(sys, "stderr", stream)
    graph, X, Y = small_problem()
    gn.fit(graph, X, Y, epochs=3, progress=progress)
    text = "".join(stream.text)
    assert ("3/3" in text and "epoch" in text) if shown else text == ""


def test_in_a_jupyter_kernel_the_default_shows_tqdm_autos_bar(monkeypatch):
    """A kernel's stderr is no terminal; the default still shows the bar, and it is tqdm.auto's
    (the notebook widget when ipywidgets is installed). The notebook test runs it for real."""
    import types
    import sys

    from graphnn import training

    kernel = types.SimpleNamespace(config={"IPKernelApp": {}})
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: kernel))
    assert training._in_jupyter()
    monkeypatch.setitem(sys.modules, "ipywidgets", types.ModuleType("ipywidgets"))
    import tqdm.auto

    assert training._bar_class() is tqdm.auto.tqdm
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # not installed: plain tqdm, no warning
    import tqdm as plain

    assert training._bar_class() is plain.tqdm
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: None))
    assert not training._in_jupyter()


def test_a_history_prints_as_a_short_summary():
    graph, X, Y = small_problem()
    history = gn.fit(graph, X, Y, epochs=40, progress=False, validation_data=(X, Y))
    text = repr(history)
    assert text.startswith("History(epochs=40, loss=")
    best = min(history["val_loss"])
    assert f"best val_loss={best:.4g} at epoch {history['val_loss'].index(best) + 1}" in text
    assert f"val_accuracy={history['val_accuracy'][-1]:.4g}" in text
    assert len(text) < 200 and text.count(",") < 10       # not every per-epoch number
    assert dict(history)["loss"] == history["loss"] and len(history["loss"]) == 40
    assert repr(gn.History(loss=[])) == "History(epochs=0)"


# ---------------------------------------------------------------------------- plot_history
def test_plot_history_returns_a_figure_that_shows_itself_without_pyplot(tmp_path):
    from graphnn.plotting import plot_history

    history = gn.History(loss=[1.0, 0.6, 0.5], val_loss=[1.1, 0.7, 0.65])
    figure = plot_history(history, tmp_path / "curve.png")
    png = figure._repr_png_()                      # what Jupyter shows as the cell's value
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert (tmp_path / "curve.png").read_bytes()[:8] == png[:8]
    from matplotlib.figure import Figure

    assert isinstance(figure, Figure) and len(figure.axes) == 1
    assert plot_history(history).axes[0].get_lines()[0].get_ydata().tolist() == [1.0, 0.6, 0.5]
