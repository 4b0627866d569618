"""How the replay scales with the length of a chain: build time and page size for chains of
about 50, 100, 200 and 305 nodes (``k`` pairs of fully connected 4->4 + tanh between ``X``
and a squared error on ``Y``: ``2k + 3`` nodes, ``4k + 4`` frames). Run by hand:

    python benchmarks/replay_scale.py             # the table
    python benchmarks/replay_scale.py --profile 100   # cProfile of one chain's build, top 25

Per chain it prints the nodes, the frames, the seconds to make the frames (their states and
DOT text, ``g.replay()``), to draw them (``r.svgs()``: Graphviz), to write the page
(``r.html()``), the total, and the page's size in MB. One run on a shared machine: read the
numbers as orders of magnitude."""
import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import graphnn as gn  # noqa: E402

#: the chains measured: pairs of FC + tanh, and the nodes that makes (2 * pairs + 3)
PAIRS = (24, 49, 99, 151)


def chain(pairs, width=4, n=8):
    """``pairs`` x (FC ``width``->``width`` + tanh) from ``X`` (``n x width``), squared error
    against ``Y`` (``n x width``), after one forward and one backward pass."""
    layers = []
    for i in range(pairs):
        layers += [gn.FullyConnectedLayer(width, width, seed=i), gn.TanhLayer()]
    g = gn.Graph.sequential(*layers, objective=gn.SquaredError())
    rng = np.random.default_rng(0)
    g.forward(X=rng.standard_normal((n, width)), Y=rng.standard_normal((n, width)))
    g.backward()
    return g


def build(g):
    """``(replay, page, seconds)``: the seconds of each stage, ``frames``, ``draw``, ``page``."""
    start = time.perf_counter()
    r = g.replay()
    frames = time.perf_counter()
    r.svgs()
    drawn = time.perf_counter()
    page = r.html()
    written = time.perf_counter()
    return r, page, {"frames": frames - start, "draw": drawn - frames, "page": written - drawn}


def table(pairs=PAIRS):
    print(f"{'nodes':>6} {'frames':>7} {'frames s':>9} {'draw s':>7} {'page s':>7} {'total s':>8} {'MB':>6}")
    for k in pairs:
        g = chain(k)
        r, page, seconds = build(g)
        total = sum(seconds.values())
        print(f"{len(g.nodes):>6} {len(r):>7} {seconds['frames']:>9.2f} {seconds['draw']:>7.2f} "
              f"{seconds['page']:>7.2f} {total:>8.2f} {len(page.encode('utf-8')) / 1e6:>6.2f}", flush=True)


def profile(nodes):
    g = chain(max(1, (nodes - 3) // 2))
    profiler = cProfile.Profile()
    profiler.enable()
    build(g)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=int, metavar="NODES", help="profile one chain of about NODES nodes")
    parser.add_argument("--nodes", type=int, nargs="*", help="chains of about these many nodes")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile)
    else:
        table(tuple(max(1, (n - 3) // 2) for n in args.nodes) if args.nodes else PAIRS)
