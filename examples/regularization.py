"""Dropout and batch normalization in the digits MLP, each with and without.

The network of examples/digits.py, made wider (256 hidden units) so that it can overfit the
1,437 training images, trained three times with the same data, weights, optimizer and seed:

- ``plain``:     X -> InputLayer -> FC 64->256 -> ReLU -> FC 256->10 -> Softmax -> CrossEntropy
- ``dropout``:   the same with a ``DropoutLayer(0.5)`` after the ReLU;
- ``batchnorm``: the same with a ``BatchNormLayer(256)`` between the first FC and the ReLU.

``fit`` trains each in training mode (dropout drops, batch norm normalizes with each
minibatch's statistics) and computes the validation loss in inference mode (dropout passes
values on, batch norm uses its running statistics): the graph's mode, switched for you.
Written into ``--out`` (default ``out/``): ``regularization.png``, the training and validation
loss of the three runs over the epochs.

    python examples/regularization.py [--epochs 40] [--seed 0] [--out out]
"""
import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import graphnn as gn
except ImportError:  # running from a source checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import graphnn as gn

from graphnn.training.fit import evaluate, fit, train_validation_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digits import load_digits_one_hot  # noqa: E402  (the example beside this one)

EPOCHS, HIDDEN, BATCH_SIZE, LEARNING_RATE = 40, 256, 64, 3e-3
VARIANTS = ("plain", "dropout", "batchnorm")


def build_graph(variant, X_train, seed):
    """The MLP of ``variant`` (see the module docstring), He/Glorot weights seeded by ``seed``."""
    rng = np.random.default_rng(seed)
    n_in = X_train.shape[1]
    fc1 = gn.FullyConnectedLayer(n_in, HIDDEN, rng=rng)
    fc2 = gn.FullyConnectedLayer(HIDDEN, 10, rng=rng)
    fc1.setWeights(rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, HIDDEN)))
    limit = np.sqrt(6.0 / (HIDDEN + 10))
    fc2.setWeights(rng.uniform(-limit, limit, (HIDDEN, 10)))
    fc1.setBiases(np.zeros((1, HIDDEN)))
    fc2.setBiases(np.zeros((1, 10)))
    middle = {"plain": [gn.ReLULayer()],
              "dropout": [gn.ReLULayer(), gn.DropoutLayer(0.5, seed=seed)],
              "batchnorm": [gn.BatchNormLayer(HIDDEN), gn.ReLULayer()]}[variant]
    return gn.Graph.sequential(gn.InputLayer(X_train), fc1, *middle, fc2, gn.SoftmaxLayer(),
                               objective=gn.CrossEntropy())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("out"))
    args = parser.parse_args(argv)
    X, Y, _ = load_digits_one_hot()
    (X_train, Y_train), (X_test, Y_test) = train_validation_split(X, Y, 0.2, seed=args.seed)
    histories = {}
    for variant in VARIANTS:
        graph = build_graph(variant, X_train, args.seed)
        history = fit(graph, X_train, Y_train, args.epochs, batch_size=BATCH_SIZE,
                      optimizer=gn.Adam(graph.parameters(), lr=LEARNING_RATE),
                      validation_split=0.1, seed=args.seed, progress=False)
        test = evaluate(graph, X_test, Y_test)
        histories[variant] = history
        print(f"{variant}: {graph.mode} mode after fit; last epoch training loss {history['loss'][-1]:.4f}, "
              f"validation loss {history['val_loss'][-1]:.4f} (best {min(history['val_loss']):.4f}); "
              f"test accuracy {100 * test['accuracy']:.1f}%")
    args.out.mkdir(parents=True, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for variant, history in histories.items():
        epochs = range(1, len(history["loss"]) + 1)
        axes[0].plot(epochs, history["loss"], label=variant)
        axes[1].plot(epochs, history["val_loss"], label=variant)
    axes[0].set(title="training loss (training mode)", xlabel="epoch", ylabel="cross entropy", yscale="log")
    axes[1].set(title="validation loss (inference mode)", xlabel="epoch", yscale="log")
    axes[1].legend()
    fig.tight_layout()
    path = args.out / "regularization.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
