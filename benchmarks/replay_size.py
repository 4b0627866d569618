"""Build time and file size of the replay's HTML player, for the Kid Creative chain and for a
chain of 50 blocks (fully connected + tanh). Run by hand: ``python benchmarks/replay_size.py``.

It prints, per graph: the number of frames; the seconds to make the frames (their DOT text),
to run ``dot`` on all of them, and to write the page; the page's size; and what the SVGs
would weigh stored one whole SVG per frame, for comparison with the player's encoding (each
distinct SVG line once, frames as runs of line numbers)."""
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import graphnn as gn  # noqa: E402


def kidcreative():
    X, Y = gn.load_kidcreative()
    g = gn.Graph()
    x, y = g.input("X", requires_grad=True), g.input("Y")
    h = g.add(gn.InputLayer(X), x, name="input")
    h = g.add(gn.FullyConnectedLayer(16, 1, seed=0), h, name="fc")
    p = g.add(gn.LogisticSigmoidLayer(), h, name="sigmoid")
    g.add(gn.LogLoss(), y, p, name="loss")
    return g, dict(X=X, Y=Y)


def chain(blocks=50, width=8, n=64):
    rng = np.random.default_rng(0)
    layers = []
    for i in range(blocks):
        layers += [gn.FullyConnectedLayer(width, width, seed=i), gn.TanhLayer()]
    g = gn.Graph.sequential(*layers, gn.FullyConnectedLayer(width, 1, seed=blocks),
                            objective=gn.SquaredError())
    return g, dict(X=rng.standard_normal((n, width)), Y=rng.standard_normal((n, 1)))


def measure(name, g, feed):
    g.forward(feed)
    g.backward()
    start = time.perf_counter()
    r = g.replay()
    frames = time.perf_counter()
    svgs = r.svgs()
    drawn = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        path = r.save(os.path.join(out, "replay.html"))
        written = time.perf_counter()
        size = path.stat().st_size
    whole = sum(len(s.encode("utf-8")) for s in svgs)
    print(f"{name}: {len(r)} frames; frames {frames - start:.2f} s, dot {drawn - frames:.2f} s, "
          f"page {written - drawn:.2f} s, total {written - start:.2f} s; page {size / 1e6:.2f} MB "
          f"(one whole SVG per frame would be {whole / 1e6:.2f} MB)")


if __name__ == "__main__":
    measure("Kid Creative", *kidcreative())
    measure("50-block chain", *chain())
