"""The convolutional examples, run as a user runs them: ``examples/stripes.py`` (one 3 x 3
kernel learns to tell vertical stripes from horizontal ones) and ``examples/digits_cnn.py``
(a CNN on scikit-learn's digits: at least 98% test accuracy, issue 26). Each report is
checked against itself and against what the run wrote (PNGs, the replay page)."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PNG = b"\x89PNG\r\n\x1a\n"
TIME_LIMIT = 600  # seconds; only catches a runaway (the full digits run takes about 30 s alone)


def run_example(script, *args, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIME_LIMIT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def load_module(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kernel_after(text):
    """The 3 x 3 kernel printed after training, as an array."""
    block = text.split("kernel after training:\n", 1)[1].splitlines()[:3]
    return np.array([[float(v) for v in line.split()] for line in block])


# ---------------------------------------------------------------------------- stripes
def test_stripes_learns_an_oriented_kernel(tmp_path):
    text = run_example("stripes.py", "--out", str(tmp_path), cwd=tmp_path)
    assert "test before training:" in text and "accuracy 50.0%" in text  # a blank start
    accuracy = float(re.search(r"\ntest: log loss [\d.]+, accuracy ([\d.]+)%", text).group(1))
    assert accuracy >= 95.0
    kernel = kernel_after(text)
    # it changes much more across its columns than down them: a detector of vertical stripes
    across_columns = np.abs(np.diff(kernel, axis=1)).sum()
    across_rows = np.abs(np.diff(kernel, axis=0)).sum()
    assert across_columns > 3 * across_rows
    assert "the kernel answers to vertical stripes" in text
    assert (tmp_path / "stripes_kernels.png").read_bytes()[:8] == PNG


def test_stripes_images_and_orientation():
    stripes = load_module("stripes")
    X, Y = stripes.stripe_images(6, np.random.default_rng(0))
    assert X.shape == (6, 1, 8, 8) and Y.shape == (6, 1) and Y.sum() == 3
    clean = np.round(X[:, 0])  # the noise is small next to the stripes
    for image, label in zip(clean, Y[:, 0]):
        constant_axis = 0 if label == 1 else 1  # vertical stripes: constant down each column
        assert (np.ptp(image, axis=constant_axis) == 0).all()
        assert np.ptp(image) == 1  # light and dark both present
    assert stripes.orientation(np.array([[-1, 1, 0]] * 3)) == "vertical"
    assert stripes.orientation(np.array([[-1, 1, 0]] * 3).T) == "horizontal"


def test_stripes_run_is_reproducible(tmp_path):
    stripes = load_module("stripes")
    a = stripes.run(epochs=3, seed=4, out_dir=tmp_path, quiet=True)
    b = stripes.run(epochs=3, seed=4, out_dir=tmp_path, quiet=True)
    assert np.array_equal(a["after"], b["after"]) and not np.array_equal(a["before"], a["after"])


# ---------------------------------------------------------------------------- digits
def check_digits_cnn_report(text, epochs):
    accuracy = float(re.search(r"test: cross entropy [\d.]+, accuracy ([\d.]+)%", text).group(1))
    correct, total = map(int, re.search(r"\((\d+) of (\d+) images\)", text).groups())
    assert total == 359  # 20% of 1,797, the MLP example's split
    assert accuracy == pytest.approx(100 * correct / total, abs=0.05)
    assert f"{epochs} epochs" in text
    assert "1294 training / 144 validation / 359 test images" in text
    assert "training images with 4 one-pixel shifts: 6470" in text
    return accuracy


def test_digits_cnn_quick_run_writes_its_pictures_and_replay(tmp_path):
    text = run_example("digits_cnn.py", "--quick", "--out", str(tmp_path), cwd=tmp_path)
    assert check_digits_cnn_report(text, epochs=2) >= 85.0  # 2 epochs give about 90%
    for name in ("digits_cnn_learning_curve.png", "digits_cnn_kernels.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG
    page = (tmp_path / "digits_cnn_replay.html").read_text(encoding="utf-8")
    assert "<html" in page.lower() and "conv1" in page and "MaxPool" in page


def test_digits_cnn_full_run_reaches_98_percent(tmp_path):
    text = run_example("digits_cnn.py", "--out", str(tmp_path), "--seed", "0", cwd=tmp_path)
    assert check_digits_cnn_report(text, epochs=12) >= 98.0


def test_digits_cnn_shifts():
    digits_cnn = load_module("digits_cnn")
    image = np.arange(16.0).reshape(1, 1, 4, 4)
    down = digits_cnn.shifted(image, 1, 0)
    assert (down[0, 0, 0] == 0).all() and np.array_equal(down[0, 0, 1:], image[0, 0, :3])
    left = digits_cnn.shifted(image, 0, -1)
    assert (left[0, 0, :, 3] == 0).all() and np.array_equal(left[0, 0, :, :3], image[0, 0, :, 1:])
    X, Y = digits_cnn.augmented(image, np.ones((1, 10)))
    assert X.shape == (5, 1, 4, 4) and Y.shape == (5, 10) and np.array_equal(X[0], image[0])
