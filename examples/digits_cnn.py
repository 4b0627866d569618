"""A small convolutional network on scikit-learn's bundled handwritten digits.

The same 1,797 images of 8 x 8 pixels, the same stratified split and the same seed as
``examples/digits.py`` (the MLP), so the two test accuracies compare directly. Each image is
fed as it is, ``1 x 8 x 8``, rather than as 64 numbers in a row. The graph::

    X (N x 1 x 8 x 8) -> InputLayer (z-score) -> Conv 1->16 3x3, padding 1 -> ReLU
      -> MaxPool 2x2 -> Flatten (256) -> FC 256->64 -> ReLU -> FC 64->10 -> Softmax
      -> CrossEntropy <- Y (one-hot)

Two choices beyond the MLP's: the training images are augmented with copies shifted by one
pixel up, down, left and right (a convolution shares its kernels across positions, but the
fully connected layer after it does not, and 1,294 training images show it few positions),
and the learning rate falls from 2e-3 to 0 along a half cosine over the epochs (a
``LambdaCallback`` sets the optimizer's ``lr`` at the start of each epoch), so that the last
epochs settle rather than jitter. Measured on this split: 98.6% test accuracy with seeds 0 and
1, 97.5% with seed 2 (the MLP: 97.8%); the same network without the two, trained by PyTorch
for 30 epochs, reached 96.9% to 97.2% over three seeds. The kernels start as
``ConvolutionalLayer`` draws them, the fully connected layers with He and Glorot weights, as
in the MLP example.

Written to ``--out``: the learning curves (``digits_cnn_learning_curve.png``), the sixteen
kernels after training (``digits_cnn_kernels.png``) and a replay of one forward and backward
pass of eight test images (``digits_cnn_replay.html``, open it in a browser).

    python examples/digits_cnn.py [--epochs 12] [--seed 0] [--out out] [--quick]

``--quick`` (for the tests) trains for 2 epochs.
"""
import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

try:
    import graphnn as gn
except ImportError:  # running from a source checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import graphnn as gn

from graphnn.training.callbacks import LambdaCallback
from graphnn.training.fit import evaluate, fit, predict, train_validation_split
from graphnn.training.optim import Adam

EPOCHS = 12
QUICK_EPOCHS = 2
CHANNELS = 16
HIDDEN = 64
BATCH_SIZE = 64
LEARNING_RATE = 2e-3
TEST_FRACTION = 0.2
VALIDATION_FRACTION = 0.1
SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1))  # (rows, columns): down, up, right, left
REPLAY_IMAGES = 8
CURVE_NAME = "digits_cnn_learning_curve.png"
KERNELS_NAME = "digits_cnn_kernels.png"
REPLAY_NAME = "digits_cnn_replay.html"


def load_digit_images():
    """``(X, Y)``: ``N x 1 x 8 x 8`` pixel intensities (0..16) and ``N x 10`` one-hot targets."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        sys.exit('examples/digits_cnn.py needs scikit-learn: from the graphnn checkout, '
                 'pip install -e ".[examples]"')
    digits = load_digits()
    return digits.images[:, None, :, :].astype(np.float64), np.eye(10)[digits.target]


def shifted(images, rows, columns):
    """``images`` (``N x C x H x W``) moved ``rows`` down and ``columns`` right, by one pixel
    or so, with zeros (the digits' background) filling the pixels that came in."""
    out = np.zeros_like(images)
    height, width = images.shape[-2:]
    target = (slice(max(rows, 0), height + min(rows, 0)), slice(max(columns, 0), width + min(columns, 0)))
    source = (slice(max(-rows, 0), height + min(-rows, 0)), slice(max(-columns, 0), width + min(-columns, 0)))
    out[..., target[0], target[1]] = images[..., source[0], source[1]]
    return out


def augmented(X, Y):
    """``X`` and its four one-pixel shifts, one after the other, with ``Y`` repeated."""
    copies = [X] + [shifted(X, rows, columns) for rows, columns in SHIFTS]
    return np.concatenate(copies), np.concatenate([Y] * len(copies))


def build_graph(X_train, seed):
    """The network of the module's docstring; ``X_train`` gives the z-scoring statistics."""
    rng = np.random.default_rng(seed)
    conv = gn.ConvolutionalLayer(1, CHANNELS, 3, padding=1, rng=rng)
    flat = CHANNELS * 4 * 4  # 8 x 8 halved by the pool
    fc1 = gn.FullyConnectedLayer(flat, HIDDEN, rng=rng)
    fc2 = gn.FullyConnectedLayer(HIDDEN, 10, rng=rng)
    fc1.setWeights(rng.normal(0.0, np.sqrt(2.0 / flat), (flat, HIDDEN)))  # He, before the ReLU
    limit = np.sqrt(6.0 / (HIDDEN + 10))
    fc2.setWeights(rng.uniform(-limit, limit, (HIDDEN, 10)))  # Glorot, before the softmax
    fc1.setBiases(np.zeros((1, HIDDEN)))
    fc2.setBiases(np.zeros((1, 10)))
    graph = gn.Graph.sequential(
        gn.InputLayer(X_train), conv, gn.ReLULayer(), gn.MaxPoolLayer(2), gn.FlatteningLayer(),
        fc1, gn.ReLULayer(), fc2, gn.SoftmaxLayer(), objective=gn.CrossEntropy(),
    )
    return graph, conv


def cosine_schedule(optimizer, epochs):
    """A callback setting ``optimizer.lr`` to ``LEARNING_RATE * (1 + cos(pi e / epochs)) / 2``
    at the start of epoch ``e`` (0-based): from the full rate down towards 0."""
    def set_rate(epoch, logs=None):
        optimizer.lr = LEARNING_RATE * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))
    return LambdaCallback(on_epoch_begin=set_rate)


def run(epochs=EPOCHS, seed=0, out_dir="out", quiet=False):
    """Train and test; print the report unless ``quiet``; return the numbers as a dict."""
    X, Y = load_digit_images()
    (X_train, Y_train), (X_test, Y_test) = train_validation_split(X, Y, TEST_FRACTION, seed=seed)
    # the validation images are held out before augmenting, so that no shifted copy of one
    # of them is trained on
    (X_fit, Y_fit), (X_val, Y_val) = train_validation_split(X_train, Y_train, VALIDATION_FRACTION, seed=seed)
    X_big, Y_big = augmented(X_fit, Y_fit)
    graph, conv = build_graph(X_fit, seed)
    optimizer = Adam(graph.parameters(), lr=LEARNING_RATE)
    start = time.perf_counter()
    history = fit(graph, X_big, Y_big, epochs, batch_size=BATCH_SIZE, optimizer=optimizer,
                  validation_data=(X_val, Y_val), seed=seed,
                  callbacks=[cosine_schedule(optimizer, epochs)],
                  progress=False if quiet else None)
    seconds = time.perf_counter() - start
    test = evaluate(graph, X_test, Y_test)
    predicted = predict(graph, X_test).argmax(axis=1)
    correct = int((predicted == Y_test.argmax(axis=1)).sum())

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    notes = draw(history, conv, out)
    replay_path = out / REPLAY_NAME
    graph.forward(X=X_test[:REPLAY_IMAGES], Y=Y_test[:REPLAY_IMAGES])
    graph.backward()
    graph.replay().save(replay_path)
    notes.append(f"replay of one pass ({REPLAY_IMAGES} test images): {replay_path}")

    stopped = " (interrupted)" if history.interrupted else ""
    lines = [
        "digits_cnn: Input -> Conv 1->16 3x3 pad 1 -> ReLU -> MaxPool 2x2 -> Flatten -> "
        f"FC 256->{HIDDEN} -> ReLU -> FC {HIDDEN}->10 -> Softmax -> CrossEntropy",
        f"split: {len(Y_fit)} training / {len(Y_val)} validation / {len(Y_test)} test images, "
        f"stratified by digit (seed {seed}); training images with 4 one-pixel shifts: {len(Y_big)}",
        f"training: Adam lr={LEARNING_RATE} on a half cosine to 0, minibatches of {BATCH_SIZE}, "
        f"{history.epochs} epochs{stopped} in {seconds:.2f} s",
        f"last epoch: training loss {history['loss'][-1]:.4f}, accuracy {100 * history['accuracy'][-1]:.1f}%; "
        f"validation loss {history['val_loss'][-1]:.4f}, accuracy {100 * history['val_accuracy'][-1]:.1f}%",
        f"test: cross entropy {test['loss']:.4f}, accuracy {100 * test['accuracy']:.1f}% "
        f"({correct} of {len(Y_test)} images)",
        *notes,
    ]
    report = "\n".join(lines)
    if not quiet:
        print(report, flush=True)
    return {
        "test_loss": test["loss"], "test_accuracy": test["accuracy"], "test_correct": correct,
        "n_test": len(Y_test), "epochs": history.epochs, "seconds": seconds,
        "history": history, "graph": graph, "report": report, "replay": replay_path,
    }


def draw(history, conv, out):
    """The learning curves and the kernels, as PNGs in ``out``; one line of report each."""
    try:
        from graphnn.views.plotting import plot_history
    except ImportError as err:  # pragma: no cover - matplotlib is in the examples extra
        return [f"learning curves and kernels: not drawn ({err})"]
    curve, kernels = out / CURVE_NAME, out / KERNELS_NAME
    plot_history(history, curve, title="digits, CNN conv16-pool-64-10")
    gn.plot_kernels(conv, kernels, title="the 16 kernels after training")
    return [f"learning curves: {curve}", f"kernels: {kernels}"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=None, help=f"training epochs (default {EPOCHS})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the splits, the weights and the shuffling")
    parser.add_argument("--out", default="out", help="directory for the pictures and the replay (default: out)")
    parser.add_argument("--quick", action="store_true", help=f"a short run for the tests ({QUICK_EPOCHS} epochs)")
    args = parser.parse_args(argv)
    epochs = args.epochs if args.epochs is not None else QUICK_EPOCHS if args.quick else EPOCHS
    if epochs < 1:
        parser.error("--epochs must be at least 1")
    run(epochs=epochs, seed=args.seed, out_dir=args.out)


if __name__ == "__main__":
    main()
