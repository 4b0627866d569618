"""The monitor's cost per epoch on the digits MLP (examples/digits.py's graph, minibatches of
64): epochs timed without callbacks, with a ``Monitor()`` (the first minibatch of each epoch)
and with ``Monitor(histograms=True)``; each the median of ``--repeat`` runs of ``--epochs``
epochs, interleaved so that machine load hits them alike. Reported as ratios to the plain
epoch. Run by hand: ``python benchmarks/monitor_overhead.py``.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

from digits import BATCH_SIZE, build_graph, load_digits_one_hot  # noqa: E402

from graphnn.views.monitor import Monitor  # noqa: E402
from graphnn.training.optim import Adam  # noqa: E402
from graphnn.training.fit import fit  # noqa: E402


def seconds_per_epoch(X, Y, epochs, make_callbacks):
    graph = build_graph(X, seed=0)
    start = time.perf_counter()
    fit(graph, X, Y, epochs=epochs, batch_size=BATCH_SIZE, optimizer=Adam(graph.parameters(), lr=3e-3),
        progress=False, callbacks=make_callbacks())
    return (time.perf_counter() - start) / epochs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    X, Y, _ = load_digits_one_hot()
    cases = {"no callbacks": lambda: None, "Monitor()": lambda: [Monitor()],
             "Monitor(histograms=True)": lambda: [Monitor(histograms=True)]}
    times = {name: [] for name in cases}
    for _ in range(args.repeat):
        for name, make in cases.items():
            times[name].append(seconds_per_epoch(X, Y, args.epochs, make))
    base = statistics.median(times["no callbacks"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:>26}: {1e3 * median:7.2f} ms per epoch, {median / base:5.3f} x, "
              f"+{1e3 * (median - base):.2f} ms")


if __name__ == "__main__":
    main()
