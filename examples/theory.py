"""The seed's written answers, computed by graphnn: writes ``docs/theory.md``.

Part 1 of the seed (assignment 2) asks for Jacobians, losses and loss gradients on small
matrices and prints its own answers; Part 3 asks for the mean gradient coming backwards out of
each module of ``Input -> FC -> Logistic Sigmoid -> LogLoss`` on Kid Creative. This script
computes every one of them with graphnn's layers and objectives, sets each beside the number
the seed prints, says whether they agree, and writes the whole as Markdown, with the two
diagrams of the Part 3 network (``docs/img/kidcreative-{network,gradients}.{dot,svg}``).

Usage::

    python examples/theory.py            # (re)write docs/theory.md and the diagrams
    python examples/theory.py --check    # write nothing; exit 1 if any of them is stale

Nothing in ``docs/theory.md`` is typed by hand: ``tests/test_theory.py`` regenerates it and
fails when the committed file differs, so the write-up stays true of the code.

Exit status: 0 on success (or fresh files with ``--check``); 1 with ``--check`` when a file is
stale, or when a file cannot be written; 2 on a bad command line or a missing/malformed data
file (the loader's message is printed, no traceback).
"""
import argparse
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence

import numpy as np

HERE = Path(__file__).resolve().parent
try:
    import graphnn as gn
except ImportError:  # run from a checkout in which graphnn is not installed
    sys.path.insert(0, str(HERE.parent))
    import graphnn as gn
from graphnn.datasets import DatasetError, load_kidcreative
from graphnn.views.render import RenderError

sys.path.insert(0, str(HERE))  # the Part 3 pass is examples/kidcreative.py's
import kidcreative  # noqa: E402

DOCS = HERE.parent / "docs"
THEORY_FILE = DOCS / "theory.md"
IMAGE_DIR = DOCS / "img"
#: (view, file stem): the diagrams of the Part 3 network, as committed DOT source and SVG
DIAGRAMS = (("network", "kidcreative-network"), ("gradients", "kidcreative-gradients"))
COMMAND = "python examples/theory.py"

# --- The seed's inputs (Part 1) -----------------------------------------------------------
H = np.array([[1.0, 2.0, 3.0],
              [4.0, 5.0, 6.0]])
W = np.array([[1.0, 2.0],
              [3.0, 4.0],
              [5.0, 6.0]])
B = np.array([[-1.0, 2.0]])
Y_BINARY = np.array([[0.0], [1.0]])
YHAT_BINARY = np.array([[0.2], [0.3]])
Y_DISTRIBUTIONS = np.array([[1.0, 0.0, 0.0],
                            [0.0, 1.0, 0.0]])
YHAT_DISTRIBUTIONS = np.array([[0.2, 0.2, 0.6],
                               [0.2, 0.7, 0.1]])

# --- The seed's answers, as it prints them (typed in from shared/seed/assignment2.md) -----
_IDENTITY = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
_SOFTMAX = [[0.0819, -0.0220, -0.0599],  # the seed prints this one matrix for both rows
            [-0.0220, 0.1848, -0.1628],
            [-0.0599, -0.1628, 0.2227]]
SEED = {
    "1a": [_IDENTITY, _IDENTITY],
    "1b": [_SOFTMAX, _SOFTMAX],
    "1c": [[[0.19661193, 0, 0], [0, 0.10499359, 0], [0, 0, 0.04517666]],
           [[0.01766271, 0, 0], [0, 0.00664806, 0], [0, 0, 0.00246651]]],
    "1d": [[[0.419974342, 0, 0], [0, 0.070650824, 0], [0, 0, 0.009866037]],
           [[0.001340950, 0, 0], [0, 0.000181583, 0], [0, 0, 0.000024576]]],
    "1e": [_IDENTITY, _IDENTITY],
    "2": [[1, 3, 5], [2, 4, 6]],
    "3a": 0.265,
    "3b": 0.71356,
    "4": 0.983056,
    "5a": [[0.4], [-1.4]],
    "5b": [[1.25], [-3.3333]],
    "6": [[-5, 0, 0], [0, -1.42857143, 0]],
}


# --- What graphnn computes for each question -------------------------------------------------
def activation(layer_class):
    """A fresh ``layer_class`` after ``forward(H)``."""
    def make():
        layer = layer_class()
        layer.forward(H)
        return layer
    return make


def fully_connected():
    """The seed's fully connected layer, ``W`` (``3 x 2``) and ``b`` (``1 x 2``), after ``forward(H)``."""
    layer = gn.FullyConnectedLayer(3, 2)
    layer.setWeights(W)
    layer.setBiases(B)
    layer.forward(H)
    return layer


def chain_rule_gap(layer):
    """``max |layer.backward(G) - G J|`` for a random ``G`` (``N x D_out``), where ``J`` is
    ``layer.gradient()``: ``backward`` applies the Jacobian without building it, and this
    checks that the two agree. ``J`` is ``N x D_out x D_in`` (one Jacobian per observation)
    or, for the fully connected layer, the one ``D_out x D_in`` matrix ``W^T``."""
    jacobian = layer.gradient()
    incoming = np.random.default_rng(0).standard_normal((H.shape[0], jacobian.shape[-2]))
    if jacobian.ndim == 3:
        expected = np.einsum("ni,nij->nj", incoming, jacobian)
    else:
        expected = incoming @ jacobian
    return float(np.max(np.abs(layer.backward(incoming) - expected)))


@dataclass(frozen=True)
class Question:
    """One of the seed's Part 1 questions: what is asked, how graphnn answers it (``code`` is
    shown in the write-up, ``compute`` runs it, ``make_layer`` gives the layer for the
    chain-rule check), how many decimals the seed prints, and whether its printed numbers are
    exact (then they must agree to rounding, not to a printed digit)."""

    key: str
    title: str
    code: str
    compute: Callable[[], object]
    decimals: int
    why: str
    exact: bool = False
    make_layer: Optional[Callable[[], object]] = None


def layer_question(key, title, make_layer, code, decimals, why, exact=False):
    return Question(key, title, code, lambda: make_layer().gradient(), decimals, why, exact, make_layer)


def objective_question(key, title, objective_class, method, Y, Yhat, decimals, why, exact=False):
    code = f"{objective_class.__name__}().{method}(Y, Yhat)"
    return Question(key, title, code, lambda: getattr(objective_class(), method)(Y, Yhat), decimals, why, exact)


QUESTIONS = (
    layer_question("1a", "A ReLU layer", activation(gn.ReLULayer), "ReLULayer().forward(H); .gradient()", 0,
                   "ReLU'(z) = 1 for z > 0, and every entry of H is positive: the identity for each row.",
                   exact=True),
    layer_question("1b", "A Softmax layer", activation(gn.SoftmaxLayer), "SoftmaxLayer().forward(H); .gradient()", 4,
                   "dg_i/dz_j = g_i (delta_ij - g_j), a full matrix. The rows of H differ by a constant (3), "
                   "and softmax ignores constant shifts, so both rows have the same Jacobian."),
    layer_question("1c", "A Logistic Sigmoid layer", activation(gn.LogisticSigmoidLayer),
                   "LogisticSigmoidLayer().forward(H); .gradient()", 8,
                   "g'(z) = g(z) (1 - g(z)) = e^-z / (1 + e^-z)^2 on the diagonal: element-wise, so diagonal."),
    layer_question("1d", "A Tanh layer", activation(gn.TanhLayer), "TanhLayer().forward(H); .gradient()", 9,
                   "g'(z) = 1 - tanh(z)^2 = 4 e^z e^-z / (e^z + e^-z)^2 on the diagonal. "
                   "The seed truncates rather than rounds some of these (tanh'(6) = 0.0000245765... is "
                   "printed 0.000024576)."),
    layer_question("1e", "A Linear layer", activation(gn.LinearLayer), "LinearLayer().forward(H); .gradient()", 0,
                   "g(z) = z: the identity for each row.", exact=True),
    layer_question("2", "A fully connected layer with W = [[1, 2], [3, 4], [5, 6]] and b = [[-1, 2]]",
                   fully_connected,
                   "fc = FullyConnectedLayer(3, 2); fc.setWeights(W); fc.setBiases(b); fc.forward(H); fc.gradient()",
                   0, "d(h W + b)/dh = W^T, the same for every observation, so the seed answers one matrix.",
                   exact=True),
    objective_question("3a", "Squared error of Y = [[0], [1]], Yhat = [[0.2], [0.3]]", gn.SquaredError, "eval",
                       Y_BINARY, YHAT_BINARY, 3, "mean((Y - Yhat)^2) = (0.04 + 0.49) / 2.", exact=True),
    objective_question("3b", "Log loss of the same Y and Yhat", gn.LogLoss, "eval", Y_BINARY, YHAT_BINARY, 5,
                       "mean(-(Y ln Yhat + (1 - Y) ln(1 - Yhat))) = (-ln 0.8 - ln 0.3) / 2."),
    objective_question("4", "Cross entropy of Y = [[1, 0, 0], [0, 1, 0]], Yhat = [[0.2, 0.2, 0.6], [0.2, 0.7, 0.1]]",
                       gn.CrossEntropy, "eval", Y_DISTRIBUTIONS, YHAT_DISTRIBUTIONS, 6,
                       "-mean(sum over classes of Y ln Yhat) = (-ln 0.2 - ln 0.7) / 2."),
    objective_question("5a", "Gradient of the squared error with respect to Yhat", gn.SquaredError, "gradient",
                       Y_BINARY, YHAT_BINARY, 1,
                       "-2 (Y - Yhat), per observation (not divided by N: see [conventions.md](conventions.md)).",
                       exact=True),
    objective_question("5b", "Gradient of the log loss with respect to Yhat", gn.LogLoss, "gradient",
                       Y_BINARY, YHAT_BINARY, 4, "-(Y - Yhat) / (Yhat (1 - Yhat)), per observation."),
    objective_question("6", "Gradient of the cross entropy with respect to Yhat", gn.CrossEntropy, "gradient",
                       Y_DISTRIBUTIONS, YHAT_DISTRIBUTIONS, 8, "-Y / Yhat, per observation."),
)

#: how close an answer the seed prints exactly (0.265, W^T, the identity) must be: rounding only
EXACT_TOLERANCE = 1e-12


@dataclass(frozen=True, eq=False)
class Answer:
    """graphnn's answer to a ``Question`` beside the seed's printed one."""

    question: Question
    ours: np.ndarray
    seed: np.ndarray

    @property
    def difference(self):
        """The largest ``|graphnn - seed|`` over every entry."""
        return float(np.max(np.abs(self.ours - self.seed)))

    @property
    def tolerance(self):
        """``EXACT_TOLERANCE`` where the seed's numbers are exact; otherwise one unit in the
        last decimal it prints, since it rounds some numbers and truncates others."""
        return EXACT_TOLERANCE if self.question.exact else 10.0 ** -self.question.decimals

    @property
    def agrees(self):
        return self.difference <= self.tolerance


def answer(question, seed=SEED):
    ours = np.asarray(question.compute(), dtype=float)
    expected = np.asarray(seed[question.key], dtype=float)
    if ours.shape != expected.shape:  # a wrong shape is a wrong answer, not a broadcast
        raise ValueError(f"question {question.key}: graphnn gives {ours.shape}, the seed {expected.shape}")
    return Answer(question, ours, expected)


def answers(seed=SEED):
    """Every Part 1 answer, in the seed's order."""
    return [answer(question, seed) for question in QUESTIONS]


# --- Markdown ----------------------------------------------------------------------------------
def format_matrix(matrix, decimals):
    """Rows of a 2-D array, numbers right-aligned in columns, as a list of lines."""
    cells = [[f"{value + 0.0:.{decimals}f}" for value in row] for row in np.atleast_2d(matrix)]
    width = max(len(cell) for row in cells for cell in row)
    return ["[" + "  ".join(cell.rjust(width) for cell in row) + "]" for row in cells]


def side_by_side(left_title, left, right_title, right, gap=6):
    """Two blocks of lines beside each other, under their titles."""
    left, right = [left_title] + left, [right_title] + right
    width = max(len(line) for line in left) + gap
    rows = max(len(left), len(right))
    left += [""] * (rows - len(left))
    right += [""] * (rows - len(right))
    return [(a.ljust(width) + b).rstrip() for a, b in zip(left, right)]


# Rounding-level differences are printed as "below 1e-15", as in the Part 3 report, so that
# the write-up reads the same on every machine.
_number = kidcreative.format_difference


def answer_section(result):
    """The Markdown of one question: what graphnn ran, both answers, and the verdict."""
    q = result.question
    shown = q.decimals + 3  # graphnn's digits beyond the seed's show what it rounded away
    ours_title, seed_title = f"graphnn ({shown} decimals)", f"seed ({q.decimals} decimals)"
    lines = [f"### {_heading(q)}", "", f"`{q.code}`", "", q.why, "", "```text"]
    if result.ours.ndim == 3:  # a Jacobian per observation: the seed's tensor form
        for row, (ours, seed) in enumerate(zip(result.ours, result.seed)):
            if row:
                lines.append("")
            lines.append(f"observation {row}, z = {format_matrix(H[row], 0)[0]}")
            lines += side_by_side(ours_title, format_matrix(ours, shown),
                                  seed_title, format_matrix(seed, q.decimals))
    elif result.ours.ndim == 0:
        lines += side_by_side(ours_title, [f"{result.ours:.{shown}f}"], seed_title, [f"{result.seed:.{q.decimals}f}"])
    else:
        lines += side_by_side(ours_title, format_matrix(result.ours, shown),
                              seed_title, format_matrix(result.seed, q.decimals))
    lines += ["```", "", verdict(result), ""]
    if q.make_layer is not None:
        gap = chain_rule_gap(q.make_layer())
        lines += [f"And `backward(G)` applies this Jacobian without building it: for a random `G`, "
                  f"max |backward(G) - G J|: {_number(gap)}.", ""]
    return lines


def verdict(result):
    """``Largest |graphnn - seed| = ..., within ...: **agrees**.`` (or does not)."""
    if result.question.exact:
        bound = f"{_number(result.tolerance)} (the seed's numbers are exact here)"
    else:
        bound = f"{_number(result.tolerance)} (one unit in the seed's last decimal)"
    if result.agrees:
        return f"Largest |graphnn - seed|: {_number(result.difference)}, within {bound}: **agrees**."
    return f"Largest |graphnn - seed|: {_number(result.difference)}, more than {bound}: **DOES NOT AGREE**."


def summary_table(results):
    lines = ["| question | asks for | graphnn's answer agrees with the seed's |", "|---|---|---|"]
    for result in results:
        q = result.question
        lines.append(f"| [{q.key}](#{_anchor(q)}) | {q.title} | {'yes' if result.agrees else '**no**'} |")
    return lines


def _heading(question):
    return f"Question {question.key}: {question.title}"


def _anchor(question):
    """GitHub's anchor of a question's heading: lower case, punctuation dropped, spaces to ``-``."""
    heading = _heading(question).lower()
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


def part3_section(graph, report):
    lines = [
        "## Part 3: one forward-backward pass over Kid Creative",
        "",
        "`Input -> FC (16 -> 1) -> Logistic Sigmoid -> LogLoss` built as a `Graph` by",
        "`examples/kidcreative.py` (`build_graph` and `forward_backward`), with the FC weights",
        "drawn with seed 0; `python examples/kidcreative.py` prints the same report.",
        "The mean gradient coming backwards out of a module is the column mean of `g.grad_out(name)`.",
        "",
        "```text",
    ]
    lines += kidcreative.format_report(report).splitlines()
    lines += ["```", ""] + input_layer_paragraph(graph, report) + [
        "",
        "The network, with the shape of every value and the parameter count of every layer:",
        "",
        f"![The Part 3 network](img/{DIAGRAMS[0][1]}.svg)",
        "",
        "The gradient flowing back through it after the pass: each edge shows the mean gradient",
        "over the observations and its mean magnitude, coloured on a log scale",
        "([rendering.md](rendering.md) explains the colours and flags):",
        "",
        f"![The gradient flowing back through the Part 3 network](img/{DIAGRAMS[1][1]}.svg)",
        "",
    ]
    return lines


def input_layer_paragraph(graph, report):
    """The fourth module: the seed's submission asks for "the four modules", its Part 3 for three."""
    means = graph.grad_out("input").mean(axis=0)
    lines = [
        "The seed's submission list asks for the mean gradients out of \"the four modules\", while",
        "its Part 3 names three. The fourth, the input layer, z-scores each feature, so it sends back",
        "the fully connected layer's gradient divided by that feature's standard deviation:",
        "",
        "```text",
        f"{'feature':<20}{'mean gradient out of the input layer':>38}",
    ]
    lines += [f"{feature:<20}{mean:>38.8e}" for feature, mean in zip(report.features, means)]
    return lines + ["```"]


def theory_markdown(results, graph, report):
    """The whole of ``docs/theory.md``."""
    agreeing = sum(result.agrees for result in results)
    lines = [
        "# The seed's answers, computed by graphnn",
        "",
        f"<!-- Generated by `{COMMAND}` from graphnn's layers and objectives; do not edit by hand.",
        "     tests/test_theory.py fails when this file is stale. -->",
        "",
        "The seed (assignment 2) asks for Jacobians, losses and loss gradients on small matrices",
        "(Part 1), for layers and objectives that work on one observation and on many (Part 2),",
        "and for the mean gradients out of each module on Kid Creative (Part 3). Here every Part 1",
        "answer is computed by graphnn and set beside the number the seed prints;",
        f"**{agreeing} of {len(results)}** agree. An answer agrees when every entry is within one unit",
        "in the last decimal the seed prints (it rounds some numbers and truncates others).",
        "",
        "How to reproduce each part:",
        "",
        f"- Part 1: `{COMMAND}` rewrites this file.",
        "- Part 2: `python -m pytest tests/test_seed_part1.py tests/test_layer_contract.py "
        "tests/test_objectives.py` runs every Part 1 number again, for the two rows of `H` and",
        "  for each row alone, and the contract every layer and objective must meet.",
        "- Part 3: `python examples/kidcreative.py` prints the report below and draws both diagrams.",
        "",
        "Inputs: `H = [[1, 2, 3], [4, 5, 6]]`, one observation per row. Every activation layer's",
        "`gradient()` returns the seed's tensor form, an `N x D x D` array holding one Jacobian per",
        "observation.",
        "",
        "## Part 1: theory",
        "",
    ]
    lines += summary_table(results) + [""]
    for result in results:
        lines += answer_section(result)
    lines += part3_section(graph, report)
    return "\n".join(lines).rstrip("\n") + "\n"


# --- Writing and checking ------------------------------------------------------------------
def part3(data=None):
    """The Part 3 graph after its forward-backward pass, and its ``kidcreative.Report``."""
    X, Y = load_kidcreative() if data is None else load_kidcreative(data)
    graph = kidcreative.build_graph(X, seed=0)
    report = kidcreative.forward_backward(graph, X, Y, data="data/KidCreative.csv", seed=0)
    return graph, report


def generate(out_dir, data=None):
    """Write ``theory.md`` into ``out_dir`` and the diagrams (``.dot`` and ``.svg``) into
    ``out_dir/img``; returns the written paths. Needs Graphviz's ``dot``."""
    out_dir = Path(out_dir)
    graph, report = part3(data)
    (out_dir / "img").mkdir(parents=True, exist_ok=True)
    written = [out_dir / THEORY_FILE.name]
    written[0].write_text(theory_markdown(answers(), graph, report))
    for view, stem in DIAGRAMS:
        written.append(graph.render(out_dir / "img" / f"{stem}.svg", view=view))
        written.append(out_dir / "img" / f"{stem}.dot")
    return written


def svg_texts(path):
    """The text an SVG shows, in order: what a reader sees, independent of Graphviz's version
    (which moves coordinates and comments, not words)."""
    return re.findall(r"<text[^>]*>(.*?)</text>", Path(path).read_text(), flags=re.S)


def stale_files(docs_dir=DOCS, data=None):
    """The committed files under ``docs_dir`` that differ from freshly generated ones: the
    Markdown and the DOT source byte for byte, the SVGs by the text they show."""
    with tempfile.TemporaryDirectory() as fresh:
        stale = []
        for path in generate(fresh, data):
            committed = Path(docs_dir) / path.relative_to(fresh)
            if not committed.exists():
                stale.append(committed)
            elif path.suffix == ".svg":
                if svg_texts(path) != svg_texts(committed):
                    stale.append(committed)
            elif path.read_text() != committed.read_text():
                stale.append(committed)
        return stale


def _parser():
    parser = argparse.ArgumentParser(
        prog="theory.py",
        description="Compute the seed's Part 1 answers and Part 3 report with graphnn and write "
        "them, beside the seed's numbers, into docs/theory.md (and the two diagrams into docs/img).",
    )
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if docs/theory.md or a diagram is stale")
    parser.add_argument("--out", metavar="DIR", default=str(DOCS),
                        help="folder to write theory.md (and img/) into; default: the repository's docs/")
    parser.add_argument("--data", metavar="PATH", default=None,
                        help="the KidCreative.csv file (default: data/KidCreative.csv)")
    return parser


def main(argv: Optional[Sequence[str]] = None):
    """Run the script; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.check:
            stale = stale_files(args.out, args.data)
            for path in stale:
                print(f"stale: {path} (regenerate with: {COMMAND})", file=sys.stderr)
            if not stale:
                print(f"{Path(args.out) / THEORY_FILE.name} and its diagrams are up to date")
            return 1 if stale else 0
        written: List[Path] = generate(args.out, args.data)
    except DatasetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (OSError, RenderError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
