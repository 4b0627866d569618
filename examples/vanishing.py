"""Vanishing gradients: a deep chain of tanh blocks on the digits, with two initialisations.

The graph (``--depth`` blocks, 20 by default)::

    X -> InputLayer (z-score) -> [FC width->width -> tanh] x depth -> FC -> Softmax -> CrossEntropy <- Y

is trained twice with the same data, optimizer and seed, and a ``graphnn.views.monitor.Monitor``:

- ``tiny``: ``FullyConnectedLayer``'s own initialisation, the seed's uniform ``[-1e-4, 1e-4]``.
  Every block multiplies the backward gradient by ``W^T`` (entries of 1e-4), so after 20 blocks
  it is about ``(1e-4 * sqrt(width))^20`` of what left the objective: the first layers get
  nothing to learn from, and the network learns only in its last layer;
- ``xavier``: Glorot/Xavier uniform weights, limit ``sqrt(6 / (fan_in + fan_out))``, zero
  biases. The gradient keeps its size through the chain and every layer learns.

Written into ``--out`` (default ``out/``): ``vanishing.png`` (the mean |gradient| reaching
each block against its depth, at the first and last epoch, and the training loss of both
runs), ``vanishing_<init>_dynamics.png`` (the monitor's small multiples for a few depths),
``vanishing_<init>_diagram.png`` (the network coloured by the mean |dJ/d output| of each node at
epoch 1) and ``vanishing_<init>_replay.html`` (that diagram over the epochs, in the player).

    python examples/vanishing.py [--depth 20] [--width 32] [--epochs 30] [--out out]
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
from graphnn.training.optim import SGD
from graphnn.training.fit import evaluate, fit

DEPTH, WIDTH, EPOCHS = 20, 32, 30
BATCH_SIZE, LEARNING_RATE, MOMENTUM = 128, 0.01, 0.9
INITS = ("tiny", "xavier")


def load_digits_one_hot():
    """``(X, Y)``: ``N x 64`` pixel intensities, ``N x 10`` one-hot targets."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        sys.exit('examples/vanishing.py needs scikit-learn: from the graphnn checkout, pip install -e ".[examples]"')
    digits = load_digits()
    return digits.data.astype(np.float64), np.eye(10)[digits.target]


def build_chain(X, depth, width, init, seed=0):
    """The chain; ``init`` ``"tiny"`` keeps the layers' own draws, ``"xavier"`` replaces them."""
    rng = np.random.default_rng(seed)
    sizes = [X.shape[1]] + [width] * depth + [10]
    layers = [gn.InputLayer(X)]
    for index, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        fc = gn.FullyConnectedLayer(n_in, n_out, rng=rng)
        if init == "xavier":
            limit = np.sqrt(6.0 / (n_in + n_out))
            fc.setWeights(rng.uniform(-limit, limit, (n_in, n_out)))
            fc.setBiases(np.zeros((1, n_out)))
        layers.append(fc)
        layers.append(gn.TanhLayer() if index < depth else gn.SoftmaxLayer())
    return gn.Graph.sequential(*layers, objective=gn.CrossEntropy())


def train(X, Y, depth, width, epochs, init):
    graph = build_chain(X, depth, width, init)
    monitor = Monitor()
    optimizer = SGD(graph.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    history = fit(graph, X, Y, epochs=epochs, batch_size=BATCH_SIZE, optimizer=optimizer,
                  progress=False, callbacks=[monitor])
    return graph, monitor, history


def fc_names(depth):
    """The fully connected layers, from the input side: fc1 ... fc(depth + 1)."""
    return [f"fc{i}" for i in range(1, depth + 2)]


def depth_profile(monitor, depth, index):
    """Mean |dJ/d output| of each fully connected layer at record ``index``."""
    return [monitor.series["grad"][name][index] for name in fc_names(depth)]


def comparison_figure(runs, depth, path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4), layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    for (init, (_, monitor, history)), colour in zip(runs.items(), ("C3", "C0")):
        for index, style, when in ((0, "-", "epoch 1"), (-1, "--", f"epoch {monitor.epochs[-1]}")):
            left.plot(range(1, depth + 2), depth_profile(monitor, depth, index), style, color=colour,
                      marker=".", label=f"{init}, {when}")
        right.plot(range(1, history.epochs + 1), history["loss"], color=colour, marker=".", label=init)
    left.set_yscale("log")
    left.set_xlabel("fully connected layer (1 = next to the input)")
    left.set_ylabel("mean |dJ/d output|, per observation")
    left.set_title("the gradient reaching each layer")
    right.set_xlabel("epoch")
    right.set_ylabel("training loss (cross-entropy)")
    right.set_title("learning")
    for axes in (left, right):
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8)
    figure.suptitle(f"{depth} tanh blocks on the digits: the seed's tiny initialisation against Xavier's")
    figure.savefig(path, dpi=100)


def run(depth=DEPTH, width=WIDTH, epochs=EPOCHS, out_dir="out"):
    X, Y = load_digits_one_hot()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = {init: train(X, Y, depth, width, epochs, init) for init in INITS}
    picked = sorted({1, 2, (depth + 1) // 2, depth, depth + 1})
    written = [out / "vanishing.png"]
    comparison_figure(runs, depth, written[0])
    for init, (graph, monitor, history) in runs.items():
        first, last = depth_profile(monitor, depth, 0), depth_profile(monitor, depth, -1)
        scores = evaluate(graph, X, Y)
        print(f"{init:>6}: loss {history['loss'][0]:.4f} -> {history['loss'][-1]:.4f}, training accuracy "
              f"{scores['accuracy']:.3f}; mean |grad| at fc1 / fc{depth + 1}: epoch 1 "
              f"{first[0]:.3g} / {first[-1]:.3g}, epoch {monitor.epochs[-1]} {last[0]:.3g} / {last[-1]:.3g}")
        monitor.plot(out / f"vanishing_{init}_dynamics.png", nodes=[f"fc{i}" for i in picked], ncols=len(picked),
                     title=f"{init} initialisation: gradients and updates at depths {picked}")
        monitor.diagram("grad", epoch=1, rankdir="TB").render(
            outfile=out / f"vanishing_{init}_diagram.png", cleanup=True)
        monitor.replay("grad", out / f"vanishing_{init}_replay.html", rankdir="TB")
        written += [out / f"vanishing_{init}_{kind}" for kind in ("dynamics.png", "diagram.png", "replay.html")]
    for path in written:
        print(f"wrote {path}")
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depth", type=int, default=DEPTH, help="tanh blocks (default %(default)s)")
    parser.add_argument("--width", type=int, default=WIDTH, help="units per block (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="epochs per run (default %(default)s)")
    parser.add_argument("--out", default="out", help="directory for the pictures (default %(default)s)")
    args = parser.parse_args(argv)
    run(args.depth, args.width, args.epochs, args.out)


if __name__ == "__main__":
    main()
