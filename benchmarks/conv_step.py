"""Time one training step of a digits-sized CNN: graphnn's image layers against numpy written
by hand (im2col) and PyTorch eager, in float64 and float32.

Run by hand, never as a test: ``python benchmarks/conv_step.py [--repeats 5] [--seconds 1]
[--batch 64] [--no-torch]``.

The network, for a batch of 64 images of 1 x 8 x 8 (scikit-learn's digits):
``Conv(1->8, 3x3, padding 1) -> ReLU -> MaxPool(2) -> Flatten -> FC(128->10)``, then softmax
with cross entropy, whose gradient is ``Yhat - Y`` (fused, in all three). One step is the
forward pass, the backward pass (no input gradient for the data: the convolution's
``backward_parameters``) and a plain SGD update.

- ``graphnn``: the network as a ``Graph``, a step as a user writes it (``forward``,
  ``backward``, ``SGD.step``); the graph runs its fast path.
- ``layers``: the same layers driven by hand through their public (checked) methods, as the
  seed's hand-written loop does.
- ``numpy``: the same network in plain numpy, the floor: im2col as an ``N H W x 9`` matrix
  times ``9 x 8``, channels last, pooling by a reshape and a max, its gradient by a mask.
- ``torch f64`` / ``torch f32``: ``nn.Conv2d``, ``F.relu``, ``F.max_pool2d``, ``nn.Linear``,
  ``F.cross_entropy``, ``torch.optim.SGD``, eager, on the CPU.

Each measurement is the median over ``--repeats`` rounds (the implementations interleaved in
each round) of the mean step time over at least ``--seconds`` seconds, of wall time or (with
``--clock cpu``) of the process's CPU time. Prints µs per step and the ratios. On a shared
machine, ``OPENBLAS_NUM_THREADS=1`` and ``--clock cpu`` keep other processes' load out of the
numbers (and give PyTorch one thread: ``torch.set_num_threads`` follows ``--torch-threads``).
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import graphnn as gn  # noqa: E402
from graphnn.training.optim import SGD  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the torch columns are skipped, and the table says so
    torch = None

LEARNING_RATE = 0.05
CHANNELS, SIDE, CLASSES = 8, 8, 10


def make_data(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n, 1, SIDE, SIDE)).astype(dtype)
    Y = np.eye(CLASSES, dtype=dtype)[rng.integers(0, CLASSES, n)]
    return X, Y


def softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------- graphnn
def graphnn_step(n, dtype):
    X, Y = make_data(n, dtype)
    conv = gn.ConvolutionalLayer(1, CHANNELS, 3, padding=1, seed=0, dtype=dtype)
    relu, pool, flat = gn.ReLULayer(), gn.MaxPoolLayer(2), gn.FlatteningLayer()
    fc = gn.FullyConnectedLayer(CHANNELS * 16, CLASSES, seed=1, dtype=dtype)
    parameters = conv.parameters() + fc.parameters()

    def step():
        for p in parameters:
            p.zero_grad()
        H = flat.forward(pool.forward(relu.forward(conv.forward(X))))
        G = softmax(fc.forward(H)) - Y  # softmax + cross entropy, fused
        G = relu.backward(pool.backward(flat.backward(fc.backward(G))))
        conv.backward_parameters(G)
        for p in parameters:
            p.value -= LEARNING_RATE * p.grad

    return step


def graph_step(n, dtype):
    """The same network as a ``Graph`` (softmax and cross entropy fused by the graph), a step
    as a user writes it: ``forward``, ``backward``, the optimizer's ``step``."""
    X, Y = make_data(n, dtype)
    conv = gn.ConvolutionalLayer(1, CHANNELS, 3, padding=1, seed=0, dtype=dtype)
    fc = gn.FullyConnectedLayer(CHANNELS * 16, CLASSES, seed=1, dtype=dtype)
    graph = gn.Graph.sequential(conv, gn.ReLULayer(), gn.MaxPoolLayer(2), gn.FlatteningLayer(),
                                fc, gn.SoftmaxLayer(), objective=gn.CrossEntropy())
    optimizer = SGD(graph.parameters(), lr=LEARNING_RATE)
    feed = {"X": X, "Y": Y}

    def step():
        graph.forward(feed)
        graph.backward()
        optimizer.step()

    return step


# ----------------------------------------------------------------------------- numpy
def numpy_step(n, dtype):
    X, Y = make_data(n, dtype)
    rng = np.random.default_rng(0)
    K = rng.uniform(-1 / 3, 1 / 3, (9, CHANNELS)).astype(dtype)  # (kh kw) x out
    b = np.zeros(CHANNELS, dtype)
    W = rng.uniform(-0.1, 0.1, (16 * CHANNELS, CLASSES)).astype(dtype)
    c = np.zeros(CLASSES, dtype)

    def step():
        nonlocal K, b, W, c
        padded = np.pad(X[:, 0], ((0, 0), (1, 1), (1, 1)))
        cols = sliding_window_view(padded, (3, 3), axis=(1, 2)).reshape(n * 64, 9)  # im2col
        A = cols @ K + b  # N*8*8 x 8, channels last
        R = np.maximum(A, 0)
        blocks = R.reshape(n, 4, 2, 4, 2, CHANNELS)
        P = blocks.max(axis=(2, 4))  # N x 4 x 4 x 8
        H = P.reshape(n, -1)
        G = softmax(H @ W + c) - Y
        dW, dc = H.T @ G / n, G.mean(axis=0)
        dP = (G @ W.T).reshape(n, 4, 1, 4, 1, CHANNELS)
        mask = blocks == P.reshape(n, 4, 1, 4, 1, CHANNELS)  # ties: all of them (hand-code style)
        dA = (mask * dP).reshape(n * 64, CHANNELS) * (A > 0)
        dK, db = cols.T @ dA / n, dA.sum(axis=0) / n
        K -= LEARNING_RATE * dK
        b -= LEARNING_RATE * db
        W -= LEARNING_RATE * dW
        c -= LEARNING_RATE * dc

    return step


# ----------------------------------------------------------------------------- torch
def torch_step(n, dtype):
    X, Y = make_data(n, dtype)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    x = torch.tensor(X)
    y = torch.tensor(Y.argmax(axis=1))
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(1, CHANNELS, 3, padding=1).to(tdtype)
    fc = torch.nn.Linear(16 * CHANNELS, CLASSES).to(tdtype)
    optimizer = torch.optim.SGD(list(conv.parameters()) + list(fc.parameters()), lr=LEARNING_RATE)

    def step():
        optimizer.zero_grad()
        h = torch.flatten(F.max_pool2d(F.relu(conv(x)), 2), 1)
        F.cross_entropy(fc(h), y).backward()
        optimizer.step()

    return step


# ----------------------------------------------------------------------------- timing
def time_once(step, seconds, clock=time.perf_counter):
    """Mean seconds per step over a batch of at least ``seconds`` seconds of ``clock``."""
    count, start = 0, clock()
    while True:
        step()
        count += 1
        elapsed = clock() - start
        if elapsed >= seconds:
            return elapsed / count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch columns")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall time (default), or this process's CPU time: steadier on a "
                             "busy machine, but it adds up the time of every thread")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads (default: PyTorch's own choice)")
    args = parser.parse_args(argv)
    if torch is not None and args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    use_torch = torch is not None and not args.no_torch

    columns = []
    for dtype, suffix in ((np.float64, "f64"), (np.float32, "f32")):
        columns += [(f"numpy {suffix}", numpy_step, dtype), (f"layers {suffix}", graphnn_step, dtype),
                    (f"graphnn {suffix}", graph_step, dtype)]
        if use_torch:
            columns.append((f"torch {suffix}", torch_step, dtype))
    if not use_torch:
        print("torch is skipped (--no-torch) or not importable: no PyTorch columns")
    steps = {name: make(args.batch, dtype) for name, make, dtype in columns}
    for step in steps.values():
        step()  # warm up: first-call allocations, BLAS thread start
    samples = {name: [] for name in steps}
    for _ in range(args.repeats):
        for name, step in steps.items():
            samples[name].append(time_once(step, args.seconds, clock))
    med = {name: statistics.median(values) * 1e6 for name, values in samples.items()}

    print(f"digits CNN training step, batch {args.batch}: Conv(1->8, 3x3, pad 1) -> ReLU -> "
          f"MaxPool(2) -> Flatten -> FC(128->10), softmax + cross entropy, SGD")
    print(f"median µs per step ({args.clock} clock), {args.repeats} rounds of >= {args.seconds:g} s each"
          + (f", torch on {torch.get_num_threads()} threads" if use_torch else ""))
    for name in steps:
        print(f"  {name:<12}{med[name]:>10,.0f}")
    for suffix in ("f64", "f32"):
        line = (f"{suffix}: graphnn / numpy = {med[f'graphnn {suffix}'] / med[f'numpy {suffix}']:.3f}"
                f", layers / numpy = {med[f'layers {suffix}'] / med[f'numpy {suffix}']:.3f}")
        if use_torch:
            line += f";  torch / graphnn = {med[f'torch {suffix}'] / med[f'graphnn {suffix}']:.2f}x"
        print(line)
    print("(torch / graphnn above 1: graphnn is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
