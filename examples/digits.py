"""A multi-class MLP on scikit-learn's bundled handwritten digits.

1,797 images of 8 x 8 pixels (no download: the data ship with scikit-learn, an optional extra:
``pip install -e ".[examples]"`` from a checkout). 20% of the images, stratified by digit,
are held out as the test set; ``fit`` holds out another 10% of the rest as the validation
set of the learning curve, so the test set is used once, at the end. The graph::

    X -> InputLayer (z-score) -> FC 64->64 -> ReLU -> FC 64->10 -> Softmax -> CrossEntropy <- Y (one-hot)

trained with Adam on minibatches of 64.

Initialisation: ``FullyConnectedLayer`` draws its weights uniformly in [-1e-4, 1e-4], the
seed's choice, which is fine for one layer but makes every hidden unit start almost at zero in
a two-layer network: the gradients reaching the first layer are scaled by the tiny weights of
the second, and training crawls for many epochs before it takes off. So this example replaces
the weights with the usual scales for the activation that follows: He (normal, variance
2 / fan_in) before the ReLU, Glorot (uniform, limit sqrt(6 / (fan_in + fan_out))) before the
softmax, and zero biases, through ``setWeights``/``setBiases``. The library default is left as
the seed has it.

    python examples/digits.py [--epochs 40] [--seed 0] [--out out] [--quick]

``--quick`` (for the tests) trains for 5 epochs, enough for about 95% test accuracy.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

try:
    import graphnn as gn
except ImportError:  # running from a source checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import graphnn as gn

from graphnn.training.optim import Adam
from graphnn.training.fit import evaluate, fit, predict, train_validation_split

EPOCHS = 40
QUICK_EPOCHS = 5
HIDDEN = 64
BATCH_SIZE = 64
LEARNING_RATE = 3e-3
TEST_FRACTION = 0.2
VALIDATION_FRACTION = 0.1
CURVE_NAME = "digits_learning_curve.png"


def load_digits_one_hot():
    """``(X, Y, labels)``: ``N x 64`` pixel intensities (0..16), ``N x 10`` one-hot targets."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        sys.exit('examples/digits.py needs scikit-learn: from the graphnn checkout, '
                 'pip install -e ".[examples]"')
    digits = load_digits()
    labels = digits.target
    return digits.data.astype(np.float64), np.eye(10)[labels], labels


def build_graph(X_train, seed):
    """The MLP, with He/Glorot initial weights drawn from a generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    n_in, n_out = X_train.shape[1], 10
    fc1 = gn.FullyConnectedLayer(n_in, HIDDEN, rng=rng)  # its draws are replaced just below
    fc2 = gn.FullyConnectedLayer(HIDDEN, n_out, rng=rng)
    fc1.setWeights(rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, HIDDEN)))  # He, before the ReLU
    limit = np.sqrt(6.0 / (HIDDEN + n_out))
    fc2.setWeights(rng.uniform(-limit, limit, (HIDDEN, n_out)))  # Glorot, before the softmax
    fc1.setBiases(np.zeros((1, HIDDEN)))
    fc2.setBiases(np.zeros((1, n_out)))
    return gn.Graph.sequential(
        gn.InputLayer(X_train), fc1, gn.ReLULayer(), fc2, gn.SoftmaxLayer(),
        objective=gn.CrossEntropy(),
    )


def run(epochs=EPOCHS, seed=0, out_dir="out", quiet=False):
    """Train and test; print the report unless ``quiet``; return the numbers as a dict."""
    X, Y, _ = load_digits_one_hot()
    (X_train, Y_train), (X_test, Y_test) = train_validation_split(X, Y, TEST_FRACTION, seed=seed)
    graph = build_graph(X_train, seed)
    start = time.perf_counter()
    history = fit(graph, X_train, Y_train, epochs, batch_size=BATCH_SIZE,
                  optimizer=Adam(graph.parameters(), lr=LEARNING_RATE),
                  validation_split=VALIDATION_FRACTION, seed=seed, progress=False if quiet else None)
    seconds = time.perf_counter() - start
    test = evaluate(graph, X_test, Y_test)
    predicted = predict(graph, X_test).argmax(axis=1)
    correct = int((predicted == Y_test.argmax(axis=1)).sum())

    curve = Path(out_dir) / CURVE_NAME
    try:
        from graphnn.views.plotting import plot_history

        curve.parent.mkdir(parents=True, exist_ok=True)
        plot_history(history, curve, title="digits, MLP 64-64-10")
    except ImportError as err:
        curve, curve_note = None, f"learning curve: not drawn ({err})"
    else:
        curve_note = f"learning curve: {curve}"

    n_fit = len(Y_train) - int(round(VALIDATION_FRACTION * len(Y_train)))
    stopped = " (interrupted)" if history.interrupted else ""
    lines = [
        f"digits: MLP Input -> FC 64->{HIDDEN} -> ReLU -> FC {HIDDEN}->10 -> Softmax -> CrossEntropy",
        f"split: {n_fit} training / {len(Y_train) - n_fit} validation / {len(Y_test)} test images, "
        f"stratified by digit (seed {seed})",
        f"training: Adam lr={LEARNING_RATE}, minibatches of {BATCH_SIZE}, {history.epochs} epochs"
        f"{stopped} in {seconds:.2f} s",
        f"last epoch: training loss {history['loss'][-1]:.4f}, accuracy {100 * history['accuracy'][-1]:.1f}%; "
        f"validation loss {history['val_loss'][-1]:.4f}, accuracy {100 * history['val_accuracy'][-1]:.1f}%",
        f"test: cross entropy {test['loss']:.4f}, accuracy {100 * test['accuracy']:.1f}% "
        f"({correct} of {len(Y_test)} images)",
        curve_note,
    ]
    report = "\n".join(lines)
    if not quiet:
        print(report, flush=True)
    return {
        "test_loss": test["loss"], "test_accuracy": test["accuracy"], "test_correct": correct,
        "n_test": len(Y_test), "epochs": history.epochs, "seconds": seconds, "curve": curve,
        "history": history, "graph": graph, "report": report,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=None, help=f"training epochs (default {EPOCHS})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the splits, the weights and the shuffling")
    parser.add_argument("--out", default="out", help="directory for the learning curve (default: out)")
    parser.add_argument("--quick", action="store_true", help=f"a short run for the tests ({QUICK_EPOCHS} epochs)")
    args = parser.parse_args(argv)
    epochs = args.epochs if args.epochs is not None else QUICK_EPOCHS if args.quick else EPOCHS
    if epochs < 1:
        parser.error("--epochs must be at least 1")
    run(epochs=epochs, seed=args.seed, out_dir=args.out)


if __name__ == "__main__":
    main()
