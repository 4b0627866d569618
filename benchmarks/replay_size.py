"""Build time and file size of the replay's HTML player, for the Kid Creative chain, a
chain of 50 blocks (fully connected + tanh) and an RNN unrolled over 20 time steps. Run by hand: ``python benchmarks/replay_size.py``.

It prints, per graph: the number of frames; the seconds to make the frames (their DOT text),
to run ``dot`` on all of them, and to write the page; the page's size; and what the SVGs
would weigh stored one whole SVG per frame, for comparison with the player's encoding (each
distinct piece of SVG once, frames as their changes, compressed). See also
``benchmarks/replay_scale.py`` (chains of 50 to 305 nodes)."""
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "examples")]
import graphnn as gn  # noqa: E402
from replay_docs import kidcreative_graph  # noqa: E402  (the seed's chain, after one pass)


def chain(blocks=50, width=8, n=64):
    rng = np.random.default_rng(0)
    layers = []
    for i in range(blocks):
        layers += [gn.FullyConnectedLayer(width, width, seed=i), gn.TanhLayer()]
    g = gn.Graph.sequential(*layers, gn.FullyConnectedLayer(width, 1, seed=blocks),
                            objective=gn.SquaredError())
    g.forward(X=rng.standard_normal((n, width)), Y=rng.standard_normal((n, 1)))
    g.backward()
    return g


def measure(name, g):
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


def unrolled_rnn(T=20, n=3):
    g = gn.Graph()
    states = gn.unroll(g, gn.RNNCell(2, 4, seed=0), g.input("X"), steps=T)
    g.add(gn.SquaredError(), g.input("Y"), g.add(gn.FullyConnectedLayer(4, 1, seed=1), states[-1]))
    rng = np.random.default_rng(0)
    g.forward(X=rng.standard_normal((n, 2 * T)), Y=rng.standard_normal((n, 1)))
    g.backward()
    return g


if __name__ == "__main__":
    measure("Kid Creative", kidcreative_graph())
    measure("50-block chain", chain())
    measure("RNN unrolled over T = 20", unrolled_rnn())
