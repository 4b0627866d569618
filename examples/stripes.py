"""The course's first convolution exercise: one 3 x 3 kernel learns to tell vertical stripes
from horizontal ones.

The images are synthetic, 8 x 8 pixels of one channel: stripes one or two pixels wide, light
on dark at a random offset, vertical (label 1) or horizontal (label 0), with a little noise.
The graph::

    X (N x 1 x 8 x 8) -> Conv 1->1 3x3 -> ReLU -> MaxPool 6x6 -> Flatten -> FC 1->1
                      -> Sigmoid -> LogLoss <- Y (N x 1)

The max pool spans the whole 6 x 6 output of the convolution, so the network sees only how
strongly the kernel responded somewhere in the image. A kernel can only tell the two classes
apart by responding to one orientation and not to the other, which is what it learns: its
columns (or rows) take opposite signs, a detector of left-right (or up-down) change. The
kernel is printed before and after training and both are drawn side by side
(``stripes_kernels.png``).

    python examples/stripes.py [--epochs 40] [--seed 0] [--out out]
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

from graphnn.training.fit import evaluate, fit
from graphnn.training.optim import Adam

SIZE = 8  # image height and width
KERNEL = 3
N_TRAIN, N_TEST = 400, 200
EPOCHS = 40
BATCH_SIZE = 32
LEARNING_RATE = 0.05
NOISE = 0.1
KERNELS_NAME = "stripes_kernels.png"


def stripe_images(n, rng):
    """``(X, Y)``: ``n x 1 x SIZE x SIZE`` images of stripes and ``n x 1`` labels, 1 for
    vertical stripes and 0 for horizontal ones (half of each, in random order)."""
    labels = rng.permutation(np.arange(n) % 2)
    width = rng.integers(1, 3, size=n)  # stripes 1 or 2 pixels wide, as many dark between
    offset = rng.integers(0, 4, size=n)
    position = np.arange(SIZE)
    # one profile across the stripes per image: 1 on a stripe, 0 between
    profile = ((position[None, :] + offset[:, None]) // width[:, None]) % 2
    vertical = np.broadcast_to(profile[:, None, :], (n, SIZE, SIZE))  # constant down each column
    horizontal = np.broadcast_to(profile[:, :, None], (n, SIZE, SIZE))  # constant along each row
    images = np.where(labels[:, None, None] == 1, vertical, horizontal).astype(np.float64)
    images += rng.normal(0.0, NOISE, images.shape)
    return images[:, None, :, :], labels[:, None].astype(np.float64)


def build_graph(seed):
    """The network of the module's docstring; the kernel drawn by the layer's own
    initialisation (uniform in +-1/3, seeded with ``seed``)."""
    conv = gn.ConvolutionalLayer(1, 1, KERNEL, seed=seed)
    pool_size = SIZE - KERNEL + 1  # the whole output of the convolution
    fc = gn.FullyConnectedLayer(1, 1, seed=seed)
    fc.setWeights(np.ones((1, 1)))  # start by reading the response as it is
    graph = gn.Graph.sequential(
        conv, gn.ReLULayer(),
        gn.MaxPoolLayer(pool_size), gn.FlatteningLayer(), fc, gn.LogisticSigmoidLayer(),
        objective=gn.LogLoss(),
    )
    return graph, conv


def format_kernel(kernel):
    """A ``kh x kw`` kernel as aligned rows of numbers."""
    return "\n".join("    " + " ".join(f"{value:+.3f}" for value in row) for row in kernel)


def orientation(kernel):
    """``'vertical'`` when the kernel changes more from column to column than from row to row
    (it answers to vertical stripes), else ``'horizontal'``."""
    across_columns = np.abs(np.diff(kernel, axis=1)).sum()
    across_rows = np.abs(np.diff(kernel, axis=0)).sum()
    return "vertical" if across_columns > across_rows else "horizontal"


def run(epochs=EPOCHS, seed=0, out_dir="out", quiet=False):
    """Train and test; print the report unless ``quiet``; return the numbers as a dict."""
    rng = np.random.default_rng(seed)
    X_train, Y_train = stripe_images(N_TRAIN, rng)
    X_test, Y_test = stripe_images(N_TEST, rng)
    graph, conv = build_graph(seed)
    before = conv.getWeights()[0, 0].copy()
    start_test = evaluate(graph, X_test, Y_test)
    history = fit(graph, X_train, Y_train, epochs, batch_size=BATCH_SIZE,
                  optimizer=Adam(graph.parameters(), lr=LEARNING_RATE), seed=seed,
                  progress=False if quiet else None)
    after = conv.getWeights()[0, 0].copy()
    test = evaluate(graph, X_test, Y_test)

    drawing = Path(out_dir) / KERNELS_NAME
    try:
        draw_kernels(before, after, drawing)
    except ImportError as err:
        drawing, drawing_note = None, f"kernels: not drawn ({err})"
    else:
        drawing_note = f"kernels: {drawing}"

    lines = [
        f"stripes: {N_TRAIN} training and {N_TEST} test images of {SIZE} x {SIZE} pixels, "
        f"half vertical, half horizontal (seed {seed})",
        f"graph: Conv 1->1 {KERNEL}x{KERNEL} -> ReLU -> MaxPool {SIZE - KERNEL + 1}x{SIZE - KERNEL + 1}"
        " -> Flatten -> FC 1->1 -> Sigmoid -> LogLoss",
        "kernel before training:", format_kernel(before),
        f"test before training: log loss {start_test['loss']:.4f}, accuracy {100 * start_test['accuracy']:.1f}%",
        f"training: Adam lr={LEARNING_RATE}, minibatches of {BATCH_SIZE}, {history.epochs} epochs",
        "kernel after training:", format_kernel(after),
        f"the kernel answers to {orientation(after)} stripes",
        f"test: log loss {test['loss']:.4f}, accuracy {100 * test['accuracy']:.1f}%",
        drawing_note,
    ]
    report = "\n".join(lines)
    if not quiet:
        print(report, flush=True)
    return {"before": before, "after": after, "test_accuracy": test["accuracy"],
            "test_loss": test["loss"], "start_accuracy": start_test["accuracy"],
            "history": history, "graph": graph, "drawing": drawing, "report": report}


def draw_kernels(before, after, path):
    """The kernel before and after training, side by side, on one colour scale each
    (``gn.plot_kernels`` into the two halves of one figure), saved to ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 3.0), layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subfigures(1, 2)
    gn.plot_kernels(before, title="before training", figure=left)
    gn.plot_kernels(after, title="after training", figure=right)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"training epochs (default {EPOCHS})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the images, the kernel and the shuffling")
    parser.add_argument("--out", default="out", help="directory for the drawing (default: out)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    run(epochs=args.epochs, seed=args.seed, out_dir=args.out)


if __name__ == "__main__":
    main()
