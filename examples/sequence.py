"""Backpropagation through time: an Elman RNN and a GRU on the adding problem.

Each sequence has ``--steps`` time steps (T, 20 by default) of two features: a random number
in [0, 1] and a marker, 1 at two of the steps and 0 elsewhere. The target is the sum of the
two marked numbers: the network must remember a number from early in the sequence until the
end, so the task needs memory, and the gradient must reach back through time to learn it.
Always answering 1 (the mean target) gives a squared error of about 1/6.

Both networks are unrolled into a graph by ``gn.unroll`` (every step's layers hold the cell's
shared ``Parameter`` objects) and trained by ``fit`` on the same data::

    X (N x 2T) -> [cell] x T -> h_T -> FC H->1 -> SquaredError <- Y

Written into ``--out`` (default ``out/``):

- ``sequence_loss.png``: the validation loss of both over the epochs;
- ``sequence_gradients.png``: the mean |dJ/dh_t| at each time step ``t``, as a
  ``graphnn.views.monitor.Monitor`` records it on the first minibatch of epochs 1 (the initial
  weights), 2 and the last. At the initial weights the gradient shrinks back through time in
  both; after one epoch (epoch 2's record) it shrinks by a constant factor per step in the RNN
  (to about 1e-6 of its size at h_T over 20 steps), much less in the GRU (its update gate lets
  ``h_{t-1}`` through), which goes on to learn the task where the RNN barely starts to;
- ``sequence_<cell>_network.png``: the unrolled network, its time steps folded into one box
  (and its ``.dot`` source beside it);
- ``sequence_replay.html``: a replay of one BPTT pass of a small RNN (T = 4), in which the
  shared weight ``W_hh``'s gradient fills up one time step at a time.

    python examples/sequence.py [--steps 20] [--hidden 16] [--epochs 30] [--rows 2000] [--out out]
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

from graphnn.views.monitor import Monitor

STEPS, HIDDEN, EPOCHS, ROWS, BATCH_SIZE = 20, 16, 30, 2000, 50
CELLS = {"rnn": gn.RNNCell, "gru": gn.GRUCell}


def adding_problem(n, steps, seed=0):
    """``(X, Y)``: ``X`` is ``n x 2 steps`` (step ``t``'s number and marker in columns ``2t``,
    ``2t + 1``), ``Y`` is ``n x 1``, the sum of the two marked numbers. The first mark falls in
    the first half of the sequence, the second in the second half."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, steps))
    marks = np.zeros((n, steps))
    half = max(steps // 2, 1)
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, steps, size=n) if steps > 1 else first
    marks[np.arange(n), first] = 1.0
    marks[np.arange(n), second] = 1.0
    X = np.stack([values, marks], axis=2).reshape(n, 2 * steps)
    Y = (values * marks).sum(axis=1, keepdims=True)
    return X, Y


def sequence_model(kind, steps, hidden, seed=0):
    """``(graph, cell, states)``: the cell unrolled over ``steps`` steps of 2 features, a linear
    readout of the last state, the squared error against ``Y``."""
    g = gn.Graph()
    cell = CELLS[kind](2, hidden, seed=seed)
    states = gn.unroll(g, cell, g.input("X"), steps=steps)
    readout = gn.FullyConnectedLayer(hidden, 1, rng=np.random.default_rng(seed + 1))
    readout.setWeights(np.random.default_rng(seed + 1).uniform(-0.3, 0.3, (hidden, 1)))
    g.add(gn.SquaredError(), g.input("Y"), g.add(readout, states[-1], name="readout"))
    return g, cell, states


class TimeGradients:
    """The mean |dJ/dh_t| at each time step ``t`` (per observation), as a ``Monitor`` recorded
    it on the first minibatch of epoch 1 (the initial weights: ``first``), of epoch 2 (the
    weights after one epoch: ``second``) and of the last epoch (``last``)."""

    def __init__(self, monitor, states):
        per_step = [monitor.series["grad"][h] for h in states]
        self.first = [float(g[0]) for g in per_step]
        self.second = [float(g[min(1, len(g) - 1)]) for g in per_step]
        self.last = [float(g[-1]) for g in per_step]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--hidden", type=int, default=HIDDEN)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--out", type=Path, default=Path("out"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    X, Y = adding_problem(args.rows, args.steps, seed=0)
    X_val, Y_val = adding_problem(500, args.steps, seed=1)
    runs = {}
    for kind in CELLS:
        g, cell, states = sequence_model(kind, args.steps, args.hidden)
        monitor = Monitor()
        history = gn.fit(g, X, Y, epochs=args.epochs, batch_size=BATCH_SIZE,
                         optimizer=gn.Adam(g.parameters(), lr=0.01),
                         validation_data=(X_val, Y_val), callbacks=[monitor], progress=False)
        watch = TimeGradients(monitor, states)
        runs[kind] = (g, history, watch)
        first, second, last = watch.first, watch.second, watch.last
        print(f"{kind}: val loss {history['val_loss'][0]:.4f} -> {history['val_loss'][-1]:.4f} "
              f"(always 1: {np.mean((Y_val - 1.0) ** 2):.4f}); mean |grad| at h_1 / h_T: "
              f"epoch 1 {first[0]:.3g} / {first[-1]:.3g}, epoch 2 {second[0]:.3g} / {second[-1]:.3g}, "
              f"epoch {args.epochs} {last[0]:.3g} / {last[-1]:.3g}")
        path = g.render(args.out / f"sequence_{kind}_network.png")
        print(f"wrote {path}")
    _figures(runs, args)
    small, cell, _ = sequence_model("rnn", 4, 3)
    small.forward(X=X[:8, :8], Y=Y[:8])
    small.backward()
    path = small.replay().save(args.out / "sequence_replay.html")
    print(f"wrote {path}")


def _figures(runs, args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for kind, (_, history, _) in runs.items():
        ax.plot(range(1, len(history["val_loss"]) + 1), history["val_loss"], label=kind.upper())
    ax.axhline(1 / 6, color="grey", linestyle=":", label="always answer 1")
    ax.set(xlabel="epoch", ylabel="validation loss (squared error)", yscale="log",
           title=f"The adding problem, T = {args.steps}")
    ax.legend()
    fig.tight_layout()
    path = args.out / "sequence_loss.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    steps = np.arange(1, args.steps + 1)
    for ax, (kind, (_, _, watch)) in zip(axes, runs.items()):
        ax.plot(steps, watch.first, "o-", label="epoch 1 (initial weights)")
        ax.plot(steps, watch.second, "^-", label="epoch 2")
        ax.plot(steps, watch.last, "s-", label=f"epoch {args.epochs}")
        ax.set(xlabel="time step t", yscale="log", title=f"{kind.upper()}: mean |dJ/dh_t|")
        ax.legend()
    axes[0].set_ylabel("per observation")
    fig.tight_layout()
    path = args.out / "sequence_gradients.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
