"""Train the seed's logistic regression on Kid Creative and report how well it predicts.

The graph is the seed's ``Input -> FC (16 -> 1) -> Logistic Sigmoid -> LogLoss``. The 673 rows
are split 2/3 for training and 1/3 for validation, stratified on ``Buy`` with a seeded
generator; the ``InputLayer``'s z-score statistics come from the training rows only, so no
information leaks from the validation rows. Training is full batch with Adam.

The report compares the accuracy with the majority-class baseline (always answering "no": 548
of the 673 people did not buy, 81.4%), computed from the data, and the log loss with a constant
prediction of the training buy rate. The learning curve is written as a PNG.

``examples/kidcreative.py --train`` calls ``run_training``; this file also runs on its own::

    python examples/kidcreative_training.py [--epochs 300] [--seed 0] [--out out] [--data PATH]
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

from graphnn.datasets import DatasetError, load_kidcreative
from graphnn.training.optim import Adam
from graphnn.training.fit import evaluate, fit, train_validation_split

EPOCHS = 300
LEARNING_RATE = 0.05
VALIDATION_FRACTION = 1 / 3
CURVE_NAME = "kidcreative_learning_curve.png"


def build_graph(X_train, seed):
    """The seed's logistic regression, z-scoring with the statistics of ``X_train``."""
    return gn.Graph.sequential(
        gn.InputLayer(X_train),
        gn.FullyConnectedLayer(X_train.shape[1], 1, seed=seed),
        gn.LogisticSigmoidLayer(),
        objective=gn.LogLoss(),
    )


def majority_baseline(Y):
    """``(label, accuracy, count)`` of always answering the most frequent of 0 and 1."""
    buyers = int((Y == 1).sum())
    others = len(Y) - buyers
    if others >= buyers:
        return 0, others / len(Y), others
    return 1, buyers / len(Y), buyers


def run_training(X, Y, seed=0, out_dir="out", epochs=EPOCHS, quiet=False):
    """Split, train, evaluate and plot; print the report unless ``quiet``; return the numbers.

    The returned dict holds ``train_loss``, ``train_accuracy``, ``val_loss``,
    ``val_accuracy``, ``baseline_accuracy`` (majority class on all rows),
    ``val_baseline_accuracy``, ``constant_val_loss``, ``n_train``, ``n_val``, ``epochs``,
    ``seconds``, ``curve`` (the PNG's path or ``None`` without matplotlib), ``history``,
    ``graph`` and ``report`` (the printed text).
    """
    (X_train, Y_train), (X_val, Y_val) = train_validation_split(X, Y, VALIDATION_FRACTION, seed=seed)
    graph = build_graph(X_train, seed)
    optimizer = Adam(graph.parameters(), lr=LEARNING_RATE)
    start = time.perf_counter()
    history = fit(graph, X_train, Y_train, epochs, optimizer=optimizer,
                  validation_data=(X_val, Y_val), seed=seed, progress=False if quiet else None)
    seconds = time.perf_counter() - start
    train = evaluate(graph, X_train, Y_train)  # with the final weights, not the epoch's mean
    val = evaluate(graph, X_val, Y_val)

    label, baseline, count = majority_baseline(Y)
    val_baseline = float(((Y_val > 0.5) == bool(label)).mean())
    rate = float(Y_train.mean())
    constant_val_loss = gn.LogLoss().eval(Y_val, np.full(Y_val.shape, rate))

    curve = Path(out_dir) / CURVE_NAME
    try:
        from graphnn.views.plotting import plot_history

        curve.parent.mkdir(parents=True, exist_ok=True)
        plot_history(history, curve, title="Kid Creative, logistic regression")
    except ImportError as err:
        curve = None
        curve_note = f"learning curve: not drawn ({err})"
    else:
        curve_note = f"learning curve: {curve}"

    answer = "no" if label == 0 else "yes"
    stopped = " (interrupted)" if history.interrupted else ""
    lines = [
        "Kid Creative: logistic regression, Input -> FC 16->1 -> Logistic Sigmoid -> LogLoss",
        f"split: {len(Y_train)} training / {len(Y_val)} validation rows, stratified on Buy (seed {seed})",
        f"training: Adam lr={LEARNING_RATE}, full batch, {history.epochs} epochs{stopped} in {seconds:.2f} s",
        f"{'':12}{'log loss':>10}{'accuracy':>10}",
        f"{'training':12}{train['loss']:>10.4f}{100 * train['accuracy']:>9.1f}%",
        f"{'validation':12}{val['loss']:>10.4f}{100 * val['accuracy']:>9.1f}%",
        f"baseline accuracy: always answering \"{answer}\" is right for {count} of {len(Y)} "
        f"people, {100 * baseline:.1f}% (on the validation rows: {100 * val_baseline:.1f}%)",
        f"baseline log loss: predicting the training buy rate ({100 * rate:.1f}%) for everyone "
        f"scores {constant_val_loss:.4f} on the validation rows",
        curve_note,
    ]
    report = "\n".join(lines)
    if not quiet:
        print(report, flush=True)
    return {
        "train_loss": train["loss"], "train_accuracy": train["accuracy"],
        "val_loss": val["loss"], "val_accuracy": val["accuracy"],
        "baseline_accuracy": baseline, "val_baseline_accuracy": val_baseline,
        "constant_val_loss": constant_val_loss, "n_train": len(Y_train), "n_val": len(Y_val),
        "epochs": history.epochs, "seconds": seconds, "curve": curve, "history": history,
        "graph": graph, "report": report,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"training epochs (default {EPOCHS})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and the initial weights")
    parser.add_argument("--out", default="out", help="directory for the learning curve (default: out)")
    parser.add_argument("--data", default="data/KidCreative.csv", help="path of KidCreative.csv")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    try:
        X, Y = load_kidcreative(args.data)
    except DatasetError as err:
        parser.exit(2, f"error: {err}\n")
    run_training(X, Y, seed=args.seed, out_dir=args.out, epochs=args.epochs, quiet=args.quiet)


if __name__ == "__main__":
    main()
