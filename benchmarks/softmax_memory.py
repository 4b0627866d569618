"""Peak memory of the softmax backward pass: O(N D), never the N x D x D Jacobian tensor.

Run by hand: ``python benchmarks/softmax_memory.py [--n 256] [--d 1000]``. numpy reports its
array allocations to ``tracemalloc``, so the peaks below count every temporary array. For
comparison it also measures ``gradient()`` (the seed's tensor form, N x D x D by design) and
the product with that tensor, which is what a backward pass built on it would cost.
"""
import argparse
import sys
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from graphnn import SoftmaxLayer  # noqa: E402


def peak_bytes(action):
    """Peak traced bytes allocated while ``action()`` runs (its result freed afterwards)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    result = action()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    del result
    return peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--d", type=int, default=1000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n, args.d))
    G = rng.standard_normal((args.n, args.d))
    layer = SoftmaxLayer()
    layer.forward(X)
    matrix = X.nbytes  # one N x D float64 array
    rows = [
        ("backward(G)", peak_bytes(lambda: layer.backward(G))),
        ("gradient() (N x D x D)", peak_bytes(layer.gradient)),
        ("einsum(G, gradient())", peak_bytes(lambda: np.einsum("nk,nkd->nd", G, layer.gradient()))),
    ]
    print(f"softmax, N = {args.n}, D = {args.d}: one N x D array is {matrix / 2**20:.2f} MiB")
    print(f"{'operation':<26}{'peak MiB':>10}{'N x D arrays':>14}")
    for name, peak in rows:
        print(f"{name:<26}{peak / 2**20:>10.2f}{peak / matrix:>14.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
