"""examples/kidcreative.py: the seed's Part 3 (one forward-backward pass over Kid Creative)."""
import importlib.util
import subprocess
import xml.etree.ElementTree as ET
import sys
from pathlib import Path

import numpy as np
import pytest

from graphnn import FullyConnectedLayer, InputLayer, LogisticSigmoidLayer, LogLoss
from graphnn.datasets import KIDCREATIVE_COLUMNS, KIDCREATIVE_FEATURES, DatasetError, load_kidcreative

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "kidcreative.py"
REAL_FILE = ROOT / "data" / "KidCreative.csv"  # CI copies the course file here


def _load_example():
    # examples/ is not a package: load the script as a module from its path.
    spec = importlib.util.spec_from_file_location("example_kidcreative", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would (dataclasses look the module up)
    spec.loader.exec_module(module)
    return module


kc = _load_example()


@pytest.fixture(scope="module")
def data():
    return load_kidcreative(REAL_FILE)


@pytest.fixture(scope="module")
def report(data):
    X, Y = data
    return kc.forward_backward(kc.build_graph(X, seed=0), X, Y)


def run_script(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=60,
    )


# --- the numbers -----------------------------------------------------------------------------

def test_graph_has_the_named_nodes(data):
    graph = kc.build_graph(data[0], seed=0)
    assert set(graph.inputs) == {"X", "Y"}
    assert graph.predecessors("input") == ["X"]
    assert graph.predecessors("fc") == ["input"]
    assert graph.predecessors("sigmoid") == ["fc"]
    assert graph.predecessors("logloss") == ["Y", "sigmoid"]
    fc = graph.op("fc")
    assert (fc.sizeIn, fc.sizeOut) == (16, 1)


def test_initial_weights_are_drawn_in_the_seeds_range(report):
    assert report.weights.shape == (16, 1) and report.biases.shape == (1, 1)
    assert np.all(np.abs(report.weights) <= 1e-4) and np.all(np.abs(report.biases) <= 1e-4)


def test_logloss_and_sigmoid_mean_gradients_match_the_seed(report):
    assert report.mean_logloss == pytest.approx(kc.SEED_MEAN_LOGLOSS, abs=1e-3)
    assert report.mean_sigmoid == pytest.approx(kc.SEED_MEAN_SIGMOID, abs=1e-3)
    # The seed's values typed into the example are the ones in its Part 3.
    assert kc.SEED_MEAN_LOGLOSS == 1.25697004 and kc.SEED_MEAN_SIGMOID == 0.31424251
    assert kc.SEED_MEAN_FC.shape == (16,)


def test_objective_is_near_ln2_for_tiny_weights(report):
    # sigmoid(~0) = 0.5 for everyone, so J = -ln(0.5).
    assert report.J == pytest.approx(np.log(2), abs=1e-3)


def test_fc_mean_gradient_is_sigmoid_mean_gradient_times_W_transpose(report):
    assert report.mean_fc.shape == (16,)
    expected = report.mean_sigmoid * report.weights[:, 0]
    np.testing.assert_allclose(report.mean_fc, expected, rtol=0, atol=1e-12)
    assert report.linearity_error <= 1e-12


def test_seeds_fc_numbers_are_its_sigmoid_mean_times_weights_in_range():
    # The explanation's claim about the seed's own run: its FC numbers divided by its sigmoid
    # mean are weights that a draw in [-1e-4, 1e-4] could have given.
    implied = kc.SEED_MEAN_FC / kc.SEED_MEAN_SIGMOID
    assert np.all(np.abs(implied) <= 1e-4)


def test_same_numbers_as_driving_the_layers_by_hand(data, report):
    # The seed's loop from the "Objectives and Gradients" slides, with separately built layers.
    X, Y = data
    layers = [InputLayer(X), FullyConnectedLayer(16, 1, seed=0), LogisticSigmoidLayer(), LogLoss()]
    h = X
    for layer in layers[:-1]:
        h = layer.forward(h)
    J = layers[-1].eval(Y, h)
    grad = layers[-1].gradient(Y, h)
    means = [grad.mean(axis=0)]
    for layer in reversed(layers[1:-1]):  # sigmoid, then FC (the seed stops before the input layer)
        grad = layer.backward(grad)
        means.append(grad.mean(axis=0))
    assert report.J == J
    assert report.mean_logloss == means[0][0]
    assert report.mean_sigmoid == means[1][0]
    assert np.array_equal(report.mean_fc, means[2])
    assert np.array_equal(report.weights, layers[1].getWeights())


def test_seed_option_changes_fc_numbers_but_hardly_the_first_two(data, report):
    X, Y = data
    other = kc.forward_backward(kc.build_graph(X, seed=1), X, Y)
    assert not np.allclose(other.mean_fc, report.mean_fc, rtol=0.1, atol=0)
    assert other.mean_logloss == pytest.approx(report.mean_logloss, abs=1e-3)
    assert other.mean_sigmoid == pytest.approx(report.mean_sigmoid, abs=1e-3)
    assert other.mean_logloss != report.mean_logloss  # but the weights do reach them a little
    np.testing.assert_allclose(other.mean_fc, other.mean_sigmoid * other.weights[:, 0], rtol=0, atol=1e-12)


def test_same_seed_gives_the_same_numbers(data, report):
    X, Y = data
    again = kc.forward_backward(kc.build_graph(X, seed=0), X, Y)
    assert again.J == report.J and np.array_equal(again.mean_fc, report.mean_fc)


# --- the printout ----------------------------------------------------------------------------

def test_format_report_shows_the_three_reports_seed_values_and_explanation(report):
    text = kc.format_report(report)
    assert f"{report.J:.8f}" in text
    for label in ("1. LogLoss", "2. Logistic Sigmoid", "3. Fully Connected"):
        assert label in text
    assert "1.25697004" in text and "0.31424251" in text
    assert f"{report.mean_logloss:.8f}" in text and f"{report.mean_sigmoid:.8f}" in text
    for feature, ours, seed in zip(KIDCREATIVE_FEATURES, report.mean_fc, kc.SEED_MEAN_FC):
        row = next(line for line in text.splitlines() if line.startswith(feature + " "))
        assert f"{ours:.8e}" in row and f"{seed:.8e}" in row
    assert "W^T" in text and "random initial weights" in text
    assert "max |mean_fc - mean_sigmoid * W^T|" in text
    assert "2 (548 - 125) / 673" in text


def test_write_outputs_creates_the_folder_the_report_both_diagrams_and_the_replay(tmp_path, data):
    out = tmp_path / "a" / "b"
    X, Y = data
    graph = kc.build_graph(X, seed=0)
    report = kc.forward_backward(graph, X, Y)
    written = kc.write_outputs(graph, report, out)
    assert written == [out / "report.txt", out / "network.svg", out / "gradients.svg", out / "replay.html"]
    assert (out / "report.txt").read_text() == kc.format_report(report)
    page = (out / "replay.html").read_text(encoding="utf-8")
    assert page == graph.replay().html() and "Backward step 1 of 4: 'logloss'" in page
    for name in ("network", "gradients"):
        svg = ET.parse(out / f"{name}.svg").getroot()  # valid XML
        titles = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}title")}
        assert {"X", "Y", "input", "fc", "sigmoid", "logloss"} <= titles
        assert (out / f"{name}.dot").read_text() == graph.to_dot(view=name).source


def test_without_dot_the_example_keeps_the_dot_files_and_says_how_to_install(tmp_path, data, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    X, Y = data
    graph = kc.build_graph(X, seed=0)
    report = kc.forward_backward(graph, X, Y)
    written = kc.write_outputs(graph, report, tmp_path / "out")
    assert written == [tmp_path / "out" / n for n in ("report.txt", "network.dot", "gradients.dot")]
    assert all(path.exists() for path in written) and not (tmp_path / "out" / "replay.html").exists()
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and "replay" in err


# --- the script ------------------------------------------------------------------------------

def test_script_runs_prints_the_reports_and_writes_report_txt(tmp_path, report):
    out = tmp_path / "out"
    result = run_script("--data", REAL_FILE, "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    text = result.stdout
    for label in ("1. LogLoss", "2. Logistic Sigmoid", "3. Fully Connected", "Objective J"):
        assert label in text
    assert f"{report.J:.8f}" in text
    assert f"{report.mean_logloss:.8f}" in text and f"{report.mean_fc[0]:.8e}" in text
    saved = (out / "report.txt").read_text()
    assert saved in text and "1. LogLoss" in saved


def test_script_runs_from_another_directory_with_the_default_data(tmp_path):
    # Neither graphnn nor the data need the repository as the working directory.
    result = run_script("--out", tmp_path / "o", "--seed", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "with seed 3" in result.stdout
    assert (tmp_path / "o" / "report.txt").exists()


def test_main_returns_0_and_out_folder_is_created_only_by_writing(tmp_path, capsys):
    out = tmp_path / "new"
    assert kc.main(["--data", str(REAL_FILE), "--out", str(out)]) == 0
    assert (out / "report.txt").exists()
    assert "wrote" in capsys.readouterr().out


def _loader_message(path):
    with pytest.raises(DatasetError) as excinfo:
        load_kidcreative(path)
    return str(excinfo.value)


def test_missing_file_exits_2_with_the_loaders_message(tmp_path):
    missing = tmp_path / "nowhere.csv"
    result = run_script("--data", missing, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert f"error: {_loader_message(missing)}" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_malformed_file_exits_2_with_the_loaders_message(tmp_path):
    bad = tmp_path / "kc.csv"
    bad.write_text(
        ",".join(KIDCREATIVE_COLUMNS) + "\n"
        "1,0,24000,1,0,1,1,0,0,26,0,0,0,1,0,0,0,0\n"
        "2,1,lots,1,1,1,1,0,0,15,1,0,1,1,1,1,1,0\n"
    )
    result = run_script("--data", bad, "--out", tmp_path / "out")
    assert result.returncode == 2
    message = _loader_message(bad)
    assert "'lots'" in message and "Income" in message
    assert f"error: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_main_returns_2_on_a_bad_file_without_raising(tmp_path, capsys):
    assert kc.main(["--data", str(tmp_path / "nowhere.csv"), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.startswith("error: Kid Creative data file not found")


@pytest.mark.parametrize("seed", ["-1", "abc"])
def test_bad_seed_is_an_argparse_error(seed, capsys):
    with pytest.raises(SystemExit) as excinfo:
        kc.main(["--seed", seed])
    assert excinfo.value.code == 2
    assert "--seed" in capsys.readouterr().err


def test_script_with_train_reports_the_trained_model_against_the_baseline(tmp_path):
    result = run_script("--data", REAL_FILE, "--out", tmp_path, "--train")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Mean gradient coming backwards out of each module" in text  # the pass comes first
    assert "449 training / 224 validation rows" in text
    assert "81.4%" in text  # always answering "no"
    validation = next(line for line in text.splitlines() if line.startswith("validation"))
    val_loss, val_accuracy = validation.split()[1:3]
    assert float(val_loss) < 0.4826  # beats predicting the buy rate for everyone
    assert float(val_accuracy.rstrip("%")) > 81.4
    assert (tmp_path / "kidcreative_learning_curve.png").stat().st_size > 0
