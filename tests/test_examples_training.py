"""The training examples, run as a user runs them: as subprocesses, checking what they print.

``examples/kidcreative_training.py`` (the job of ``examples/kidcreative.py --train``) and
``examples/digits.py`` (``--quick`` and the full run, both a few seconds). Each report is
checked against itself (percentages against counts), against the claims of the issue
(beats the 81.4% majority baseline; at least 95% on the digits test set) and, for Kid
Creative, against an in-process ``run_training`` with the same seed.
"""
import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from graphnn.datasets import load_kidcreative
from graphnn.training.fit import evaluate, train_validation_split

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PNG = b"\x89PNG\r\n\x1a\n"
TIME_LIMIT = 60  # seconds; each run takes about 2 s, the bound only catches a runaway


def run_example(script, *args, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / script), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=5 * TIME_LIMIT,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warnings, and no progress bar: stderr is not a terminal
    assert elapsed < TIME_LIMIT, f"{script} took {elapsed:.1f} s"
    return result.stdout


def load_module(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def number(pattern, text):
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in:\n{text}"
    return [float(g) for g in found.groups()] if len(found.groups()) > 1 else float(found.group(1))


# ---------------------------------------------------------------------------- Kid Creative
@pytest.fixture(scope="module")
def kidcreative_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("kc")
    return run_example("kidcreative_training.py", "--out", str(out), "--seed", "0", cwd=out), out


def test_kidcreative_reports_losses_and_accuracies_that_beat_the_baseline(kidcreative_run):
    text, out = kidcreative_run
    train_loss, train_acc = number(r"training\s+([\d.]+)\s+([\d.]+)%", text)
    val_loss, val_acc = number(r"validation\s+([\d.]+)\s+([\d.]+)%", text)
    assert "449 training / 224 validation rows" in text
    # The baseline is computed from the data: 548 of the 673 people did not buy.
    assert 'always answering "no" is right for 548 of 673 people, 81.4%' in text
    constant_loss = number(r"scores ([\d.]+) on the validation rows", text)
    assert val_acc > 81.4 and train_acc > 81.4
    assert val_loss < constant_loss and train_loss < constant_loss


def test_kidcreative_writes_its_learning_curve(kidcreative_run):
    text, out = kidcreative_run
    curve = out / "kidcreative_learning_curve.png"
    assert f"learning curve: {curve}" in text
    assert curve.read_bytes()[:8] == PNG


def test_kidcreative_report_is_what_run_training_computes(kidcreative_run, tmp_path):
    text, _ = kidcreative_run
    X, Y = load_kidcreative()
    result = load_module("kidcreative_training").run_training(X, Y, seed=0, out_dir=tmp_path, quiet=True)
    assert result["n_train"] == 449 and result["n_val"] == 224 and result["epochs"] == 300
    assert result["baseline_accuracy"] == 548 / 673
    assert (result["train_loss"], 100 * result["train_accuracy"]) == pytest.approx(
        number(r"training\s+([\d.]+)\s+([\d.]+)%", text), abs=0.051)
    assert (result["val_loss"], 100 * result["val_accuracy"]) == pytest.approx(
        number(r"validation\s+([\d.]+)\s+([\d.]+)%", text), abs=0.051)
    # The reported numbers are those of the returned graph.
    _, (Xv, Yv) = train_validation_split(X, Y, 1 / 3, seed=0)
    assert evaluate(result["graph"], Xv, Yv) == {"loss": result["val_loss"], "accuracy": result["val_accuracy"]}
    assert result["report"].splitlines()[3:6] == text.splitlines()[3:6]  # the table


# ---------------------------------------------------------------------------- digits
def check_digits_report(text, epochs):
    accuracy = number(r"test: cross entropy [\d.]+, accuracy ([\d.]+)%", text)
    correct, total = number(r"\((\d+) of (\d+) images\)", text)
    assert total == 359  # 20% of 1,797
    assert accuracy == pytest.approx(100 * correct / total, abs=0.05)
    assert f"{epochs} epochs" in text
    assert "1294 training / 144 validation / 359 test images" in text
    return accuracy


def test_digits_quick_run(tmp_path):
    text = run_example("digits.py", "--quick", "--out", str(tmp_path), cwd=tmp_path)
    accuracy = check_digits_report(text, epochs=5)
    assert accuracy >= 90.0  # 5 epochs already give about 96%
    assert (tmp_path / "digits_learning_curve.png").read_bytes()[:8] == PNG


def test_digits_full_run_reaches_95_percent(tmp_path):
    text = run_example("digits.py", "--out", str(tmp_path), "--seed", "0", cwd=tmp_path)
    assert check_digits_report(text, epochs=40) >= 95.0
    assert (tmp_path / "digits_learning_curve.png").read_bytes()[:8] == PNG


def test_digits_epochs_and_seed_flags(tmp_path):
    module = load_module("digits")
    a = module.run(epochs=2, seed=3, out_dir=tmp_path, quiet=True)
    b = module.run(epochs=2, seed=3, out_dir=tmp_path, quiet=True)
    assert a["epochs"] == 2 and a["n_test"] == 359
    assert a["test_accuracy"] == b["test_accuracy"] and dict(a["history"]) == dict(b["history"])
    assert np.isclose(a["test_accuracy"], a["test_correct"] / 359)
