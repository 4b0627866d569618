"""Issue 16: the traps a student or a teacher meets first, each with its test."""
import shutil
import subprocess
import sys
from pathlib import Path

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

    from graphnn.training import fit as training

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
    from graphnn.views.plotting import plot_history

    history = gn.History(loss=[1.0, 0.6, 0.5], val_loss=[1.1, 0.7, 0.65])
    figure = plot_history(history, tmp_path / "curve.png")
    png = figure._repr_png_()                      # what Jupyter shows as the cell's value
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert (tmp_path / "curve.png").read_bytes()[:8] == png[:8]
    from matplotlib.figure import Figure

    assert isinstance(figure, Figure) and len(figure.axes) == 1
    assert plot_history(history).axes[0].get_lines()[0].get_ydata().tolist() == [1.0, 0.6, 0.5]


# ---------------------------------------------------------------------------- CrossEntropy targets
N_OBS, K = 673, 3
LABELS = np.random.default_rng(1).integers(0, K, N_OBS)
UNIFORM = np.full((N_OBS, K), 1 / K)


def message_of(call):
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize("method", ["eval", "gradient"])
def test_integer_labels_in_a_column_get_the_one_hot_hint(method):
    text = message_of(lambda: getattr(gn.CrossEntropy(), method)(LABELS.reshape(-1, 1), UNIFORM))
    assert "Y 673 x 1 and Yhat 673 x 3" in text
    assert "class labels" in text and "np.eye(3)[labels.ravel().astype(int)]" in text
    assert "reshape(1, -1)" not in text
    one_hot = np.eye(K)[LABELS.reshape(-1, 1).ravel().astype(int)]   # the hint, followed, works
    assert gn.CrossEntropy().eval(one_hot, UNIFORM) == pytest.approx(np.log(3))


def test_one_d_labels_get_the_one_hot_hint_and_never_the_one_observation_hint():
    for labels in (LABELS, LABELS.astype(float), list(LABELS)):
        text = message_of(lambda: gn.CrossEntropy().eval(labels, UNIFORM))
        assert "673 class labels" in text and "np.eye(3)[labels.astype(int)]" in text
        assert "reshape(1, -1)" not in text and "one observation" not in text


def test_a_one_d_column_of_targets_gets_the_reshape_to_a_column_hint():
    for objective in (gn.LogLoss(), gn.SquaredError(), gn.CrossEntropy()):
        text = message_of(lambda: objective.eval(np.ones(N_OBS), np.full((N_OBS, 1), 0.5)))
        assert "y.reshape(-1, 1)" in text and "reshape(1, -1)" not in text
        assert objective.describe() in text and "(673,)" in text
        y = np.ones(N_OBS).reshape(-1, 1)                          # the hint, followed, works
        objective.eval(y, np.full((N_OBS, 1), 0.5))


def test_one_d_targets_beside_one_row_of_estimates_mean_one_observation():
    text = message_of(lambda: gn.CrossEntropy().eval(np.array([1.0, 0, 0]), np.full((1, 3), 1 / 3)))
    assert "y.reshape(1, -1)" in text and "reshape(-1, 1)" not in text


def test_non_label_column_and_single_column_targets_say_what_crossentropy_compares():
    text = message_of(lambda: gn.CrossEntropy().eval(np.full((N_OBS, 1), 0.5), UNIFORM))
    assert "distributions" in text and "3 entries" in text and "class labels" not in text
    text = message_of(lambda: gn.CrossEntropy().eval(np.array([[0.0], [1.0]]), np.full((2, 1), 0.5)))
    assert "single column" in text and "LogLoss" in text and "np.eye(K)" in text


def test_a_one_d_input_fed_to_the_graph_offers_the_column_reading_first():
    g = gn.Graph.sequential(gn.FullyConnectedLayer(1, 1, seed=0), gn.LogisticSigmoidLayer(),
                            objective=gn.LogLoss())
    text = message_of(lambda: g.forward({"X": np.ones((N_OBS, 1)), "Y": np.ones(N_OBS)}))
    assert text.index("x.reshape(-1, 1)") < text.index("x.reshape(1, -1)")
    assert "673 observations of one value" in text
    single = message_of(lambda: gn.TanhLayer().forward(np.ones(1)))
    assert "for one observation use x.reshape(1, -1)" in single and "reshape(-1, 1)" not in single


# ---------------------------------------------------------------------------- examples/kidcreative.py
ROOT = Path(__file__).resolve().parent.parent
KIDCREATIVE = ROOT / "examples" / "kidcreative.py"
DATA = ROOT / "data" / "KidCreative.csv"


def run_example(*args, cwd):
    return subprocess.run([sys.executable, str(KIDCREATIVE), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def data_line(stdout):
    return next(line for line in stdout.splitlines() if line.startswith("data: "))


def test_the_example_prints_the_file_it_actually_read(tmp_path):
    copy = tmp_path / "elsewhere" / "kc.csv"
    copy.parent.mkdir()
    shutil.copy(DATA, copy)
    given = run_example("--data", copy, "--out", tmp_path / "a", cwd=tmp_path)
    assert given.returncode == 0, given.stderr
    assert data_line(given.stdout).startswith("data: elsewhere/kc.csv (673 observations")
    # from another folder the default falls back to the repository's copy, and says so
    fallback = run_example("--out", tmp_path / "b", cwd=tmp_path)
    assert fallback.returncode == 0, fallback.stderr
    assert data_line(fallback.stdout).startswith(f"data: {DATA} (673 observations")
    here = run_example("--out", tmp_path / "c", cwd=ROOT)
    assert data_line(here.stdout).startswith("data: data/KidCreative.csv (673")


def test_the_example_piped_into_a_reader_that_stops_ends_without_a_traceback(tmp_path):
    # The reader is gone before the example writes a byte: every write meets a closed pipe.
    process = subprocess.Popen([sys.executable, str(KIDCREATIVE), "--out", tmp_path],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=120) == 1
    assert stderr == ""
    # and as typed, through the shell
    piped = subprocess.run(f'"{sys.executable}" "{KIDCREATIVE}" --out "{tmp_path}" | head -n 2',
                           shell=True, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert piped.stdout.splitlines()[0].startswith("Kid Creative: one forward-backward pass")
    assert len(piped.stdout.splitlines()) == 2 and piped.stderr == ""


# ---------------------------------------------------------------------------- first steps
def bash_blocks(path):
    import re

    return re.findall(r"^```bash\n(.*?)^```", path.read_text(), flags=re.S | re.M)


def test_the_first_steps_install_into_a_virtual_environment():
    readme, tutorial = ROOT / "README.md", ROOT / "docs" / "tutorial.md"
    for path in (readme, tutorial):
        first_steps = [block for block in bash_blocks(path) if "apt-get" in block]
        assert first_steps
        for block in first_steps:  # later blocks (the docs site) run in the activated venv
            commands = [c.strip() for line in block.splitlines() for c in line.split("&&")]
            assert "python3 -m venv .venv" in commands and ". .venv/bin/activate" in commands
            assert any("python3-venv" in c for c in commands)       # Debian's venv module
            pip = next(i for i, c in enumerate(commands) if c.startswith("pip install"))
            assert pip > commands.index(". .venv/bin/activate")      # pip runs inside it
            assert not any("shared/data" in c for c in commands)   # no CI-only path to type
        text = " ".join(path.read_text().split())
        assert "externally managed environment" in text
        assert "course materials" in text and "cp ~/Downloads/KidCreative.csv data/" in text


def test_install_hints_name_the_checkouts_extras_and_ci_names_no_absolute_path():
    import re

    sources = [*(ROOT / "graphnn").rglob("*.py"), *(ROOT / "examples").glob("*.py"),
               *(ROOT / "docs").glob("*.md"), ROOT / "README.md", ROOT / "data" / "README.md"]
    for path in sources:
        assert not re.search(r"pip install graphnn\b", path.read_text()), path
    script = (ROOT / ".ci" / "run").read_text()
    assert "/work" not in script and "../shared/data/KidCreative.csv" in script
    assert not re.search(r"(?<![.\w])/(work|home|root|tmp)/", script)
    assert ".venv/" in (ROOT / ".gitignore").read_text().splitlines()


def test_logloss_called_alone_with_its_arguments_swapped_gets_a_hint():
    import warnings

    import graphnn as gn
    labels, probabilities = np.array([[0.0], [1.0], [1.0]]), np.array([[0.2], [0.7], [0.9]])
    with pytest.warns(UserWarning, match=r"are the arguments swapped\? The order is eval\(Y, Yhat\)"):
        gn.LogLoss().eval(probabilities, labels)  # PyTorch's order: prediction first
    with pytest.warns(UserWarning, match="arguments swapped"):
        gn.LogLoss().gradient(probabilities, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # The right order, and hard estimates beside hard labels, say nothing.
        assert gn.LogLoss().eval(labels, probabilities) == pytest.approx(
            -np.mean(np.log([0.8, 0.7, 0.9])), rel=1e-12)
        gn.LogLoss().eval(labels, labels)
        # One estimate inside (0, 1) is an ordinary saturated prediction: no hint.
        gn.LogLoss().eval(np.full((2, 1), 0.5), np.array([[1.0], [0.3]]))
