"""How much does ``Graph`` cost over driving the same layers by hand?

One "pass" is what a training step needs: forward through every layer, the objective's
``eval`` and ``gradient``, backward through every layer in reverse (parameter gradients
zeroed first, as ``Graph.backward`` does). Two networks:

(a) the seed's chain on Kid Creative (673 x 16):
    InputLayer -> FullyConnectedLayer(16, 1) -> LogisticSigmoidLayer -> LogLoss
(b) a deep, narrow chain (batch 32 x 32):
    50 x [FullyConnectedLayer(32, 32) -> TanhLayer] -> FullyConnectedLayer(32, 1)
    -> LogisticSigmoidLayer -> LogLoss

Each is timed through ``Graph`` (``forward`` + ``backward``) and by hand over a list of the
*same* layer objects, the two interleaved, as the median over ``--repeats`` batches of passes
(each batch about ``--batch-seconds`` long, garbage collection off, as ``timeit`` does), on
the wall clock and on this process's CPU clock (steadier when other processes share the
machine). The
goal is a ratio Graph / hand of at most 1.10 on the seed's chain.

Run by hand, never as a timed test::

    python benchmarks/graph_overhead.py [--repeats 9] [--batch-seconds 0.3] [--profile]

``--profile`` then runs cProfile over Graph passes of each network and prints where the time
goes (by own time), to find what the graph adds.
"""
import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

import numpy as np

try:
    import graphnn as gn
except ImportError:  # run from a checkout in which graphnn is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import graphnn as gn
from graphnn.datasets import load_kidcreative

GOAL = 1.10  # Graph / hand on the seed's chain


def seed_chain():
    """The seed's network on Kid Creative: ``(layers, objective, X, Y)``."""
    X, Y = load_kidcreative()
    layers = [gn.InputLayer(X), gn.FullyConnectedLayer(16, 1, seed=0), gn.LogisticSigmoidLayer()]
    return layers, gn.LogLoss(), X, Y


def deep_chain(depth=50, width=32, batch=32, seed=0):
    """``depth`` x [FC(width -> width) -> tanh], FC(width -> 1), sigmoid, LogLoss."""
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(depth):
        fc = gn.FullyConnectedLayer(width, width, rng=rng)
        fc.setWeights(rng.standard_normal((width, width)) / np.sqrt(width))  # activations O(1)
        layers += [fc, gn.TanhLayer()]
    layers += [gn.FullyConnectedLayer(width, 1, rng=rng), gn.LogisticSigmoidLayer()]
    X = rng.standard_normal((batch, width))
    Y = (rng.random((batch, 1)) < 0.5).astype(np.float64)
    return layers, gn.LogLoss(), X, Y


def hand_pass(layers, objective, X, Y):
    """The seed's loop over a list of layers; returns ``J``."""
    for layer in layers:
        layer.zero_grad()
    h = X
    for layer in layers:
        h = layer.forward(h)
    J = objective.eval(Y, h)
    grad = objective.gradient(Y, h)
    for layer in reversed(layers):
        grad = layer.backward(grad)
    return J


def graph_pass(graph, X, Y):
    J = graph.forward(X=X, Y=Y)
    graph.backward()
    return J


def time_batch(run, n):
    """``(wall, cpu)`` seconds per call of ``run()``, over ``n`` calls with the garbage
    collector off. The CPU time of this process (``time.process_time``) leaves out the time
    other processes held the CPU, so it is the steadier figure on a shared machine."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            run()
        return (time.perf_counter() - start) / n, (time.process_time() - start_cpu) / n
    finally:
        if enabled:
            gc.enable()


def calibrate(run, seconds):
    """How many calls of ``run()`` take about ``seconds``."""
    n = 1
    while True:
        elapsed = time_batch(run, n)[0] * n
        if elapsed >= 0.05:
            return max(1, round(n * seconds / elapsed))
        n *= 2


def compare(label, layers, objective, X, Y, repeats, seconds):
    """Time hand and Graph passes, interleaved; print and return ``(hand_us, graph_us)``."""
    # The same work as the hand loop: every module's own backward, gradients all the way back
    # to the data. (A default Graph skips the data's gradient and fuses the sigmoid into the
    # log loss: less work, which would flatter the ratio; it is timed too, as "default".)
    graph = gn.Graph.sequential(*layers, objective=objective, requires_grad=True, fuse=False)
    default_graph = gn.Graph.sequential(*layers, objective=objective)
    # The same numbers both ways (the same objects, so also a warm-up).
    J_hand, J_graph = hand_pass(layers, objective, X, Y), graph_pass(graph, X, Y)
    if J_hand != J_graph:
        raise AssertionError(f"{label}: hand J {J_hand!r} != Graph J {J_graph!r}")

    def by_hand():
        hand_pass(layers, objective, X, Y)

    def by_graph():
        graph_pass(graph, X, Y)

    def by_default_graph():
        graph_pass(default_graph, X, Y)

    n = calibrate(by_hand, seconds)
    hand, through_graph, through_default = [], [], []
    for repeat in range(repeats):
        # Alternate which goes first, so drifts (turbo, caches, other load) hit all alike.
        order = [(by_hand, hand), (by_graph, through_graph), (by_default_graph, through_default)]
        for run, times in order if repeat % 2 == 0 else reversed(order):
            times.append(time_batch(run, n))
    print(f"{label}")
    print(f"  {len(graph.nodes)} nodes; {repeats} repeats of {n} passes each (~{seconds} s a batch)")
    figures = {}
    for clock, index in [("wall", 0), ("cpu", 1)]:
        h = [t[index] * 1e6 for t in hand]
        gr = [t[index] * 1e6 for t in through_graph]
        hand_us, graph_us = statistics.median(h), statistics.median(gr)
        figures[clock] = (hand_us, graph_us)
        print(
            f"  {clock:4} us/pass: by hand {hand_us:9.1f} (spread {spread(h):3.0f}%)   "
            f"Graph {graph_us:9.1f} (spread {spread(gr):3.0f}%)   "
            f"ratio Graph/hand {graph_us / hand_us:.3f}  (Graph adds {graph_us - hand_us:+.1f} us)"
        )
    default_us = statistics.median(t[0] * 1e6 for t in through_default)
    print(f"  default Graph (constant data, fused output): {default_us:9.1f} us/pass, "
          f"{default_us / figures['wall'][0]:.3f} of the hand loop")
    return figures, graph


def spread(times):
    """(max - min) / median, in percent: how noisy the repeats were."""
    return (max(times) - min(times)) / statistics.median(times) * 100


def profile(label, graph, X, Y, passes, top=15):
    print(f"\ncProfile of {passes} Graph passes, {label} (sorted by own time):")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(passes):
        graph_pass(graph, X, Y)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=9, help="batches per variant (>= 7; default 9)")
    parser.add_argument("--batch-seconds", type=float, default=0.3, help="length of one batch (default 0.3)")
    parser.add_argument("--profile", action="store_true", help="also cProfile the Graph passes")
    args = parser.parse_args(argv)
    if args.repeats < 7:
        parser.error("--repeats must be at least 7")

    print(f"numpy {np.__version__}, Python {sys.version.split()[0]}")
    results = {}
    for label, build in [
        ("(a) seed chain, Kid Creative 673 x 16: Input -> FC(16->1) -> sigmoid -> LogLoss", seed_chain),
        ("(b) 50 x [FC(32->32) -> tanh] -> FC(32->1) -> sigmoid -> LogLoss, batch 32 x 32", deep_chain),
    ]:
        layers, objective, X, Y = build()
        figures, graph = compare(label, layers, objective, X, Y, args.repeats, args.batch_seconds)
        results[label] = (figures, graph, X, Y)
        print()

    figures = next(iter(results.values()))[0]
    for clock, (hand_us, graph_us) in figures.items():
        ratio = graph_us / hand_us
        verdict = "meets" if ratio <= GOAL else "MISSES"
        print(f"Seed chain ({clock} clock): Graph/hand = {ratio:.3f}, which {verdict} the goal of at most {GOAL:.2f}.")
    print(f"(load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs)")

    if args.profile:
        for label, (figures, graph, X, Y) in results.items():
            profile(label, graph, X, Y, passes=max(1, int(1.0 / (figures["wall"][1] * 1e-6))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
