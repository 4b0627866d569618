"""The seed's Part 3: one forward-backward pass over the Kid Creative data set.

Builds ``Input -> FC(16 -> 1) -> Logistic Sigmoid -> LogLoss`` as a graphnn ``Graph``, runs one
forward and one backward pass, and prints, for LogLoss, the sigmoid and the fully connected
layer, the mean over the observations of the gradient coming backwards out of each, beside the
numbers the seed reports. It also says why the first two agree with the seed and the FC ones
cannot. The printed report is written to ``OUT/report.txt`` too.

Usage::

    python examples/kidcreative.py [--data PATH] [--seed N] [--out DIR]

Exit status: 0 on success; 2 on a bad command line or a missing/malformed data file (the
loader's message is printed, no traceback); 1 if the output files cannot be written.

The functions are importable (``build_graph``, ``forward_backward``, ``format_report``,
``write_outputs``, ``main``); tests/test_example_kidcreative.py drives them.
"""
import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

try:
    import graphnn as gn
except ImportError:  # run from a checkout in which graphnn is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import graphnn as gn
from graphnn.datasets import KIDCREATIVE_FEATURES, DatasetError, kidcreative_path, load_kidcreative
from graphnn.views.render import RenderError

# The numbers the seed reports in its Part 3 ("Forwards-Backwards Propagate a Dataset"):
# the mean, over the 673 observations, of the gradient coming backwards out of each module.
SEED_MEAN_LOGLOSS = 1.25697004
SEED_MEAN_SIGMOID = 0.31424251
SEED_MEAN_FC = np.array([
    -2.94982167e-05, -2.52023890e-05, 3.15693841e-07, 9.83215445e-06,
    4.57662518e-06, 1.36992071e-05, 1.25418764e-06, 2.36893760e-05,
    -1.32203669e-05, 8.05898963e-06, -1.01927440e-05, 1.91218270e-05,
    -4.40532476e-06, -5.91548007e-06, -1.88423270e-05, -1.99929625e-05,
])

REPORT_FILE = "report.txt"
#: the two diagrams (graphnn.views.render): the network, and the gradient flowing back through it
DIAGRAMS = (("network", "network.svg"), ("gradients", "gradients.svg"))
#: the replay of the pass, step by step (graphnn.views.replay): open it in a browser
REPLAY_FILE = "replay.html"


@dataclass(frozen=True, eq=False)
class Report:
    """What one forward-backward pass gives.

    ``mean_logloss`` and ``mean_sigmoid`` are floats (one output column); ``mean_fc`` has one
    entry per input feature. ``weights`` (``16 x 1``) and ``biases`` (``1 x 1``) are the FC
    layer's parameters used in the pass. ``data`` and ``seed`` only label the printout.
    """

    J: float
    mean_logloss: float
    mean_sigmoid: float
    mean_fc: np.ndarray
    weights: np.ndarray
    biases: np.ndarray
    n_observations: int
    n_buyers: int
    features: Tuple[str, ...] = KIDCREATIVE_FEATURES
    data: Optional[str] = None
    seed: Optional[int] = None

    @property
    def linearity_error(self):
        """``max |mean_fc - mean_sigmoid W^T|``: 0 up to rounding, because the FC layer's
        backward is ``G W^T``, linear in ``G``, so the mean commutes with it."""
        predicted = np.array([[self.mean_sigmoid]]) @ self.weights.T
        return float(np.max(np.abs(self.mean_fc - predicted[0])))


def build_graph(X, seed=0):
    """``X -> input (z-score) -> fc (D -> 1) -> sigmoid -> logloss <- Y``.

    The FC weights and bias are drawn uniformly in ``[-1e-4, 1e-4]`` with ``seed``; the input
    layer's statistics come from ``X``. Node names: inputs ``"X"``, ``"Y"``; layers
    ``"input"``, ``"fc"``, ``"sigmoid"``, ``"logloss"``.
    """
    X = np.asarray(X)
    # fuse=False: every module runs its own backward, exactly the seed's loop (a fused graph
    # would send Yhat - Y past the sigmoid in one step; the same numbers up to rounding).
    graph = gn.Graph(fuse=False)
    # requires_grad: the data is a constant, but the seed's report asks for the gradient the
    # FC layer sends back to its input, so the pass must compute it.
    x, y = graph.input("X", requires_grad=True), graph.input("Y")
    h = graph.add(gn.InputLayer(X), x, name="input")
    h = graph.add(gn.FullyConnectedLayer(X.shape[1], 1, seed=seed), h, name="fc")
    p = graph.add(gn.LogisticSigmoidLayer(), h, name="sigmoid")
    graph.add(gn.LogLoss(), y, p, name="logloss")
    return graph


def forward_backward(graph, X, Y, *, data=None, seed=None):
    """One forward and one backward pass of a graph from ``build_graph``; returns a ``Report``.

    A module's "gradient coming backwards out of" it is the gradient it sends to its input
    (``Graph.grad_out``), one row per observation; the report holds its column means.
    """
    J = graph.forward(X=X, Y=Y)
    graph.backward()
    fc = graph.op("fc")
    Y = np.asarray(Y)
    return Report(
        J=float(J),
        mean_logloss=float(graph.grad_out("logloss").mean(axis=0)[0]),
        mean_sigmoid=float(graph.grad_out("sigmoid").mean(axis=0)[0]),
        mean_fc=graph.grad_out("fc").mean(axis=0),
        weights=fc.getWeights().copy(),
        biases=fc.getBiases().copy(),
        n_observations=int(Y.shape[0]),
        n_buyers=int(np.count_nonzero(Y == 1)),
        data=data,
        seed=seed,
    )


#: differences below this are rounding error, and their digits depend on the machine's BLAS
#: and libm: they are printed as "below 1e-15", so that the report reads the same everywhere
ROUNDING = 1e-15


def format_difference(value):
    """``value`` (a non-negative difference) to two digits, or ``"below 1e-15"``."""
    return f"below {ROUNDING:.0e}" if value < ROUNDING else f"{value:.1e}"


def format_report(report):
    """The printed report: ``J``, the three mean gradients beside the seed's, and why they
    agree or not."""
    r = report
    n, buyers = r.n_observations, r.n_buyers
    lines = ["Kid Creative: one forward-backward pass of Input -> FC(16 -> 1) -> Logistic Sigmoid -> LogLoss"]
    about = f"{n} observations, {len(r.features)} features, {buyers} buyers"
    lines.append(f"data: {r.data} ({about})" if r.data else f"data: {about}")
    drawn = f" with seed {r.seed}" if r.seed is not None else ""
    lines.append(f"FC weights and bias drawn uniformly in [-1e-4, 1e-4]{drawn}")
    lines.append("")
    lines.append(f"Objective J (LogLoss, mean over observations) = {r.J:.8f}")
    lines.append("")
    lines.append(f"Mean gradient coming backwards out of each module (averaged over the {n} observations)")
    lines.append("")
    lines.append(f"{'module':<24}{'ours':>16}{'seed':>16}{'ours - seed':>14}")
    for module, ours, seed in (
        ("1. LogLoss", r.mean_logloss, SEED_MEAN_LOGLOSS),
        ("2. Logistic Sigmoid", r.mean_sigmoid, SEED_MEAN_SIGMOID),
    ):
        lines.append(f"{module:<24}{ours:>16.8f}{seed:>16.8f}{ours - seed:>+14.1e}")
    lines.append("")
    lines.append("3. Fully Connected layer (one number per input feature)")
    lines.append("")
    lines.append(f"{'feature':<20}{'ours':>16}{'seed':>16}{'ours - seed':>14}{'our W':>14}")
    seed_fc = SEED_MEAN_FC if len(r.mean_fc) == len(SEED_MEAN_FC) else np.full(len(r.mean_fc), np.nan)
    for feature, ours, seed, w in zip(r.features, r.mean_fc, seed_fc, r.weights[:, 0]):
        lines.append(f"{feature:<20}{ours:>16.8e}{seed:>16.8e}{ours - seed:>+14.1e}{w:>+14.4e}")
    lines.append("")
    share = 2 * (n - 2 * buyers) / n if n else float("nan")
    sigmoid_guess = 0.5 - buyers / n if n else float("nan")
    implied = float(np.max(np.abs(SEED_MEAN_FC))) / SEED_MEAN_SIGMOID
    lines += [
        "Why the first two agree with the seed and the FC numbers do not:",
        "- With weights of size ~1e-4 the FC output is ~0, so the sigmoid gives ~0.5 for every",
        "  person and the first two gradients depend on the data only. LogLoss sends back",
        "  -(y - 0.5) / 0.25: +2 for a non-buyer, -2 for a buyer, whose mean is",
        f"  2 ({n - buyers} - {buyers}) / {n} = {share:.5f}. The sigmoid multiplies by 0.25 and sends",
        f"  back 0.5 - y, whose mean is 0.5 - {buyers}/{n} = {sigmoid_guess:.5f}. Both match the seed to",
        "  about 1e-4; what is left comes from the small random weights.",
        "- The FC layer sends back G W^T, so its mean gradient is the sigmoid's mean gradient",
        "  times W^T: the numbers scale with the random initial weights and cannot match",
        "  another run's draw. (The seed's numbers divided by its 0.31424251 are its own",
        f"  weights: at most {implied:.1e} in size, inside [-1e-4, 1e-4] as a draw should be.)",
        f"- check: max |mean_fc - mean_sigmoid * W^T| = {format_difference(r.linearity_error)}",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Files written into --out. For now the report; the lead adds the diagrams here once the
# rendering issue lands (the graph is passed in for that).
# ---------------------------------------------------------------------------------------------
def write_outputs(graph, report, out_dir):
    """Write the report, both diagrams and the replay player into ``out_dir`` (created if
    needed); returns the paths written. Without Graphviz's ``dot`` the diagrams stay as
    ``.dot`` source, the replay is not written, and a note on stderr says how to install it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report_path = out_dir / REPORT_FILE
    report_path.write_text(format_report(report))
    written = [report_path]
    for view, filename in DIAGRAMS:
        path = out_dir / filename
        try:
            written.append(graph.render(path, view=view))
        except RenderError as err:
            written.append(path.with_suffix(".dot"))
            print(f"note: {err}", file=sys.stderr)
    try:
        written.append(graph.replay().save(out_dir / REPLAY_FILE))
    except RenderError as err:
        print(f"note: {err}", file=sys.stderr)
    return written


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {value}")
    return value


def _parser():
    parser = argparse.ArgumentParser(
        prog="kidcreative.py",
        description="One forward-backward pass of Input -> FC(16 -> 1) -> Logistic Sigmoid -> "
        "LogLoss on the Kid Creative data (the seed's Part 3), with the mean gradients "
        "out of each module beside the seed's.",
    )
    parser.add_argument(
        "--data", metavar="PATH", default=None,
        help="the KidCreative.csv file (default: data/KidCreative.csv, here or in the repository)",
    )
    parser.add_argument(
        "--seed", metavar="N", type=_seed, default=0,
        help="seed of the FC layer's initial weights (default: 0)",
    )
    parser.add_argument(
        "--train", action="store_true",
        help="then train the network on a stratified 2/3-1/3 split and report log loss and "
        "accuracy against always answering 'no' (examples/kidcreative_training.py)",
    )
    parser.add_argument(
        "--out", metavar="DIR", default="out",
        help=f"folder for the files the example writes ({REPORT_FILE}); default: out/",
    )
    return parser


def main(argv=None):
    """Run the example; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        path = kidcreative_path() if args.data is None else kidcreative_path(args.data)
        X, Y = load_kidcreative(path)
    except DatasetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    graph = build_graph(X, seed=args.seed)
    report = forward_backward(graph, X, Y, data=_shown(path), seed=args.seed)
    print(format_report(report), end="")
    try:
        written = write_outputs(graph, report, args.out)
    except OSError as err:
        print(f"error: could not write into {args.out}: {err.strerror or err}", file=sys.stderr)
        return 1
    print()
    for path in written:
        print(f"wrote {path}")
    if args.train:
        # Beside this file; imported only when asked, as it needs the training machinery.
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from kidcreative_training import run_training

        print()
        run_training(X, Y, seed=args.seed, out_dir=args.out)
    return 0


def _shown(path):
    """The file read, as the user can find it: relative to the current folder when inside it."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _run():
    """``main()``, quiet when the reader stops reading (``python examples/kidcreative.py |
    head``): a closed pipe ends the program with status 1 instead of a traceback."""
    try:
        status = main()
        sys.stdout.flush()  # a closed pipe shows up here, while Python can still catch it
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at devnull so that fails no more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(_run())
