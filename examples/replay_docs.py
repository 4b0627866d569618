"""The replay pictures of the documentation, regenerated: ``python examples/replay_docs.py``.

Writes, under ``docs/`` (or ``--docs DIR``):

- ``replay/fanout.html``: the player of a small DAG with fan-out (docs/replay.md shows it):
  ``X -> fc1 -> tanh = a``; ``a`` is read twice, by ``fc2`` and by the residual
  ``AddLayer`` ``a + fc2(a)``; then ``fc3 -> sigmoid -> LogLoss``;
- ``img/kidcreative-replay-backward.svg``: one backward frame of the Kid Creative chain (the
  fully connected layer's step), the still in README.md.

``--check`` writes nothing and exits 1 naming every file that is out of date (compared by the
text the pictures show and the captions, which do not depend on Graphviz's version).
"""
import argparse
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
try:
    import graphnn as gn
except ImportError:  # run from a checkout in which graphnn is not installed
    sys.path.insert(0, str(ROOT))
    import graphnn as gn
from graphnn.views.player import read_page  # noqa: E402

PLAYER = Path("replay") / "fanout.html"
STILL = Path("img") / "kidcreative-replay-backward.svg"
#: the frame of the still: the fully connected layer's backward step
STILL_NODE = "fc"


def fanout_graph(n=5):
    """The DAG of docs/replay.md, after one forward and backward pass over ``n`` drawn
    observations of 3 features (seeded, so the same numbers every time)."""
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((n, 3)), (rng.random((n, 1)) < 0.5).astype(float)
    g = gn.Graph()
    x, y = g.input("X"), g.input("Y")
    a = g.add(gn.TanhLayer(), g.add(gn.FullyConnectedLayer(3, 2, seed=1), x, name="fc1"), name="tanh")
    b = g.add(gn.FullyConnectedLayer(2, 2, seed=2), a, name="fc2")
    s = g.add(gn.AddLayer(), a, b, name="residual")
    p = g.add(gn.LogisticSigmoidLayer(), g.add(gn.FullyConnectedLayer(2, 1, seed=3), s, name="fc3"),
              name="sigmoid")
    g.add(gn.LogLoss(), y, p, name="loss")
    g.forward(X=X, Y=Y)
    g.backward()
    return g


def kidcreative_graph():
    """The seed's chain over Kid Creative, after one forward and backward pass."""
    X, Y = gn.load_kidcreative()
    g = gn.Graph()
    x, y = g.input("X", requires_grad=True), g.input("Y")
    h = g.add(gn.InputLayer(X), x, name="input")
    h = g.add(gn.FullyConnectedLayer(16, 1, seed=0), h, name="fc")
    p = g.add(gn.LogisticSigmoidLayer(), h, name="sigmoid")
    g.add(gn.LogLoss(), y, p, name="loss")
    g.forward(X=X, Y=Y)
    g.backward()
    return g


def write(docs):
    """Write both files under ``docs``; returns their paths."""
    docs = Path(docs)
    for folder in (PLAYER.parent, STILL.parent):
        (docs / folder).mkdir(parents=True, exist_ok=True)
    player = fanout_graph().replay().save(docs / PLAYER)
    replay = kidcreative_graph().replay()
    frame = next(f for f in replay if f.phase == "backward" and f.node == STILL_NODE)
    still = docs / STILL
    still.write_text(replay.svgs()[frame.index], encoding="utf-8")
    return [player, still]


def shown_text(path):
    """What a file shows: the text of an SVG's ``<text>`` elements, or a player's captions
    and the text of its pictures (decoded as the page's script decodes them)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        try:
            return [(frame.caption, _texts(frame.svg)) for frame in read_page(text)]
        except ValueError:  # a page an older player wrote: out of date
            return None
    return _texts(text)


def _texts(svg):
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def stale_files(docs):
    """The files under ``docs`` that differ from freshly generated ones."""
    docs = Path(docs)
    with tempfile.TemporaryDirectory() as fresh:
        write(fresh)
        return [docs / name for name in (PLAYER, STILL)
                if not (docs / name).exists() or shown_text(docs / name) != shown_text(Path(fresh) / name)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default=str(ROOT / "docs"), help="the docs folder (default: docs/)")
    parser.add_argument("--check", action="store_true", help="only say which files are out of date")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.docs)
        for path in stale:
            print(f"out of date: {path} (run python examples/replay_docs.py)")
        return 1 if stale else 0
    for path in write(args.docs):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
