"""Time one full training step (forward, loss, backward, SGD update), graphnn against its peers.

Run by hand, never as a test: ``python benchmarks/train_step.py [--repeats 5] [--seconds 1]
[--workloads W1,W3] [--no-torch]``.

Implementations, interleaved within each round so that machine noise hits all of them alike:

- ``graphnn``: a ``Graph`` and ``graphnn.training.optim.SGD``, as a user would write it;
- ``numpy``: the same network written directly in numpy, no abstraction (the floor for any
  numpy engine: fused output gradients, no input gradient for the data);
- ``torch f64`` / ``torch f32``: PyTorch eager on the CPU, when torch is importable.

Workloads (issue 7): W1 Kid Creative-sized logistic regression, W2 an MNIST-sized MLP, W3 a
deep narrow tanh chain (overhead-bound), W4 a wide MLP (BLAS-bound). Each measurement is the
median over ``--repeats`` rounds of the mean step time over at least ``--seconds`` seconds.
Prints a table (µs per step), the ratios to the numpy floor, and the share of the measured
peak matmul GFLOP/s each workload reaches.
"""
import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import graphnn as gn  # noqa: E402
from graphnn.training.optim import SGD  # noqa: E402

try:
    import torch
except ImportError:  # the torch columns are skipped, and the table says so
    torch = None

LEARNING_RATE = 0.01


# ----------------------------------------------------------------------------- workloads
def workload(name, n, widths, hidden, loss):
    """``widths`` = layer sizes from input to output; ``hidden`` = activation between layers;
    ``loss`` = 'logloss' (sigmoid output) or 'crossentropy' (softmax output)."""
    return dict(name=name, n=n, widths=widths, hidden=hidden, loss=loss)


WORKLOADS = [
    workload("W1", 673, [16, 1], None, "logloss"),
    workload("W2", 128, [784, 256, 128, 10], "relu", "crossentropy"),
    workload("W3", 32, [32] * 51 + [1], "tanh", "logloss"),
    workload("W4", 1024, [1024, 1024, 1024, 10], "relu", "crossentropy"),
]


def make_data(spec, dtype, seed=0):
    rng = np.random.default_rng(seed)
    n, widths = spec["n"], spec["widths"]
    X = rng.standard_normal((n, widths[0])).astype(dtype)
    if spec["loss"] == "logloss":
        Y = (rng.random((n, 1)) < 0.3).astype(dtype)
    else:
        Y = np.eye(widths[-1], dtype=dtype)[rng.integers(0, widths[-1], n)]
    weights = [
        (rng.standard_normal((a, b)) * np.sqrt(1.0 / a)).astype(dtype) for a, b in zip(widths, widths[1:])
    ]
    biases = [np.zeros((1, b), dtype=dtype) for b in widths[1:]]
    return X, Y, weights, biases


def flops_per_step(spec):
    """Matmul flops of one step: forward, the weight gradients, and every input gradient but
    the first layer's (nobody needs the data's gradient)."""
    n, widths = spec["n"], spec["widths"]
    layers = list(zip(widths, widths[1:]))
    forward = sum(2 * n * a * b for a, b in layers)
    weight_grads = forward
    input_grads = sum(2 * n * a * b for a, b in layers[1:])
    return forward + weight_grads + input_grads


# ----------------------------------------------------------------------------- graphnn
def graphnn_step(spec, dtype):
    X, Y, weights, biases = make_data(spec, dtype)
    graph = gn.Graph()
    node, target = graph.input("X"), graph.input("Y")
    for k, (W, b) in enumerate(zip(weights, biases)):
        fc = gn.FullyConnectedLayer(*W.shape, dtype=dtype)
        fc.setWeights(W)
        fc.setBiases(b)
        node = graph.add(fc, node)
        if k < len(weights) - 1:
            node = graph.add(gn.ReLULayer() if spec["hidden"] == "relu" else gn.TanhLayer(), node)
    if spec["loss"] == "logloss":
        graph.add(gn.LogLoss(), target, graph.add(gn.LogisticSigmoidLayer(), node))
    else:
        graph.add(gn.CrossEntropy(), target, graph.add(gn.SoftmaxLayer(), node))
    optimizer = SGD(graph.parameters(), lr=LEARNING_RATE)
    feed = {"X": X, "Y": Y}

    def step():
        graph.forward(feed)
        graph.backward()
        optimizer.step()

    return step


# ----------------------------------------------------------------------------- numpy by hand
def numpy_step(spec, dtype):
    X, Y, weights, biases = make_data(spec, dtype)
    n = X.shape[0]
    relu = spec["hidden"] == "relu"
    logloss = spec["loss"] == "logloss"
    lr = dtype(LEARNING_RATE)

    def step():
        activations = [X]
        h = X
        last = len(weights) - 1
        for k, (W, b) in enumerate(zip(weights, biases)):
            z = h @ W
            z += b
            if k < last:
                h = np.maximum(z, 0, out=z) if relu else np.tanh(z, out=z)
                activations.append(h)
        if logloss:
            p = 1.0 / (1.0 + np.exp(-z))
            loss = -np.mean(Y * np.log(p) + (1 - Y) * np.log1p(-p))
            delta = (p - Y) / n
        else:
            z -= z.max(axis=1, keepdims=True)
            s = np.exp(z)
            s /= s.sum(axis=1, keepdims=True)
            loss = -np.sum(Y * np.log(s)) / n
            delta = (s - Y) / n
        for k in range(last, -1, -1):
            h = activations[k]
            dW = h.T @ delta
            db = delta.sum(axis=0, keepdims=True)
            if k:
                delta = delta @ weights[k].T
                delta *= (h > 0) if relu else (1 - h * h)
            weights[k] -= lr * dW
            biases[k] -= lr * db
        return loss

    return step


# ----------------------------------------------------------------------------- PyTorch
def torch_step(spec, dtype):
    X, Y, weights, biases = make_data(spec, dtype)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    layers = []
    for k, (W, b) in enumerate(zip(weights, biases)):
        linear = torch.nn.Linear(*W.shape, dtype=tdtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b[0]))
        layers.append(linear)
        if k < len(weights) - 1:
            layers.append(torch.nn.ReLU() if spec["hidden"] == "relu" else torch.nn.Tanh())
    model = torch.nn.Sequential(*layers)
    x = torch.from_numpy(X)
    if spec["loss"] == "logloss":
        y = torch.from_numpy(Y)
        criterion = torch.nn.BCEWithLogitsLoss()
    else:
        y = torch.from_numpy(Y.argmax(axis=1))
        criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()

    return step


# ----------------------------------------------------------------------------- timing
def time_once(step, seconds):
    """Mean seconds per step over a batch of at least ``seconds`` seconds."""
    count, start = 0, time.perf_counter()
    while True:
        step()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / count


def minor_faults_per_step(step, steps=50):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        step()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps


def peak_gflops(seconds):
    a = np.random.default_rng(0).standard_normal((1024, 1024))
    b = a.copy()
    per_call = statistics.median(time_once(lambda: a @ b, seconds) for _ in range(3))
    return 2 * 1024**3 / per_call / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument("--no-torch", action="store_true",
                        help="skip the PyTorch columns (on a shared machine its threads add noise)")
    args = parser.parse_args(argv)
    global torch
    if args.no_torch:
        torch = None

    implementations = [("numpy", numpy_step, np.float64), ("graphnn", graphnn_step, np.float64)]
    if torch is not None:
        torch.set_num_threads(torch.get_num_threads())
        implementations += [("torch f64", torch_step, np.float64)]
    implementations += [("numpy f32", numpy_step, np.float32), ("graphnn f32", graphnn_step, np.float32)]
    if torch is not None:
        implementations += [("torch f32", torch_step, np.float32)]
    else:
        print("torch is skipped (--no-torch) or not importable: no PyTorch columns")

    peak = peak_gflops(args.seconds)
    print(f"peak matmul (1024 x 1024, float64): {peak:.1f} GFLOP/s")
    names = [name for name, _, _ in implementations]
    print(f"\nmedian µs per training step, {args.repeats} rounds of >= {args.seconds:g} s each")
    print(f"{'workload':<9}" + "".join(f"{n:>13}" for n in names)
          + f"{'graphnn/numpy':>15}{'f32 g/np':>10}{'f64 vs torch':>14}{'f32 vs torch':>14}"
          + f"{'faults g/np':>14}{'peak% np/g':>12}")
    for spec in WORKLOADS:
        if spec["name"] not in args.workloads.split(","):
            continue
        steps = {name: make(spec, dtype) for name, make, dtype in implementations}
        for step in steps.values():
            step()  # warm up: first-call allocations, BLAS thread start
        samples = {name: [] for name in steps}
        for _ in range(args.repeats):
            for name, step in steps.items():
                samples[name].append(time_once(step, args.seconds))
        med = {name: statistics.median(values) * 1e6 for name, values in samples.items()}
        faults = {name: minor_faults_per_step(steps[name]) for name in ("numpy", "graphnn")}
        gflop = flops_per_step(spec) / 1e9
        share = lambda name: 100 * gflop / (med[name] / 1e6) / peak  # noqa: E731
        row = f"{spec['name']:<9}" + "".join(f"{med[n]:>13,.0f}" for n in names)
        row += f"{med['graphnn'] / med['numpy']:>15.3f}"
        row += f"{med['graphnn f32'] / med['numpy f32']:>10.3f}"
        if torch is not None:
            row += f"{med['torch f64'] / med['graphnn']:>13.2f}x{med['torch f32'] / med['graphnn f32']:>13.2f}x"
        else:
            row += f"{'-':>14}{'-':>14}"
        row += f"{faults['graphnn']:>8.0f}/{faults['numpy']:<5.0f}"
        row += f"{share('numpy'):>6.0f}/{share('graphnn'):<5.0f}"
        print(row, flush=True)
    print("\n'f64 vs torch' = torch time / graphnn time (above 1: graphnn is faster).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
