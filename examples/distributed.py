"""The way out to many machines: a graphnn network trained by PyTorch's DistributedDataParallel.

The road, step by step (docs/distributed.md tells when to take it):

1. build the network in graphnn: ``Input -> FC -> Tanh -> FC -> Sigmoid``, ``LogLoss``;
2. export it with ``graphnn.export.to_torch`` and save its weights (a ``state_dict``);
3. start two processes (``torch.multiprocessing``) that meet through a file in the run's
   folder and talk over the gloo backend (the CPU one) on 127.0.0.1. Each builds and exports the same network, loads the saved
   weights, wraps the module in ``DistributedDataParallel`` and takes SGD steps on its shard of
   every global batch (``DistributedSampler``); after each ``backward`` DDP has replaced every
   gradient by the mean of the processes' gradients, so all processes take the same step;
4. process 0 saves the trained weights; they are loaded into the exported module and brought
   back into graphnn with ``graphnn.export.from_torch``;
5. checks: graphnn's predictions equal PyTorch's, and one process taking the same steps on the
   whole global batches ends with the same weights as the two processes did.

The data: Kid Creative (``--data kidcreative``, needs data/KidCreative.csv) or, by default, a
small generated problem that runs anywhere. Run it from the repository root::

    python examples/distributed.py [--data synthetic|kidcreative] [--processes 2] [--epochs 20]
                                   [--batch-size 32] [--lr 0.5] [--hidden 8] [--seed 0]

With two processes on one machine this is no faster than graphnn (the model is tiny); the
same worker, started on each machine by ``torchrun`` (which meets at ``MASTER_ADDR``, the first
machine's address, through ``init_method="env://"``), is how it runs on many.
"""
import argparse
import os
import socket
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

try:
    import graphnn as gn
except ImportError:  # running from a source checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import graphnn as gn

from graphnn.export import from_torch, to_torch

HOST = "127.0.0.1"  # every process on this machine; on many machines, the first one's address
#: a run whose process is killed by a signal (a crash inside torch's native code: seen once in
#: a few runs of the full test suite, never alone) starts again this many times
CRASH_RETRIES = 1
TIMEOUT = 90  # seconds: the rendezvous, each collective and the whole run; a hang ends here
#: float64 tolerances, relative to the largest entry compared (docs/distributed.md says why)
PREDICTION_TOLERANCE = 1e-12
WEIGHT_TOLERANCE = 1e-12


# ---------------------------------------------------------------------------- the network
def synthetic_data(n=256, seed=0):
    """``n`` rows of 4 features on different scales and a 0/1 target, a noisy linear rule:
    ``(X n x 4, Y n x 1)``."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 4))
    X = Z * np.array([1.0, 10.0, 0.1, 100.0]) + np.array([0.0, 50.0, -1.0, 0.0])  # z-scoring matters
    Y = (Z[:, :1] + Z[:, 1:2] - 0.5 * Z[:, 2:3] + 0.3 * rng.normal(size=(n, 1)) > 0).astype(float)
    return X, Y


def build_graph(X, hidden=8, seed=0):
    """``Input -> FC (D -> hidden) -> Tanh -> FC (hidden -> 1) -> Sigmoid``, ``LogLoss``, in
    float64, z-scoring with the statistics of ``X``. The same arguments give the same graph,
    weights included: every process builds it this way."""
    return gn.Graph.sequential(
        gn.InputLayer(X),
        gn.FullyConnectedLayer(X.shape[1], hidden, seed=seed),
        gn.TanhLayer(),
        gn.FullyConnectedLayer(hidden, 1, seed=seed + 1),
        gn.LogisticSigmoidLayer(),
        objective=gn.LogLoss(),
    )


class Objective(torch.nn.Module):
    """The graph's ``J`` on a batch as a module's ``forward``: DistributedDataParallel averages
    the gradients of what its ``forward`` computes, so the objective must be computed there
    (calling ``net.objective`` beside the wrapper would bypass it)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, X, Y):
        return self.net.objective(X=X, Y=Y)


# ---------------------------------------------------------------------------- the processes
def loopback_interface():
    """The name of the loopback interface (``lo`` on Linux), for gloo to talk over, or None."""
    return next((name for _, name in socket.if_nameindex() if name.startswith("lo")), None)


def worker(rank, world_size, rendezvous, job):
    """One process of the run (``torch.multiprocessing`` calls it with its ``rank``).

    ``job`` holds the data, how to build the network, the start weights' file, the
    hyperparameters and where to write this process's result: its final ``state_dict``, its
    gradients after the first ``backward`` (DDP's mean), the global batch loss of every step
    and the rows of its shard at every step.
    """
    torch.set_num_threads(1)  # one core per process
    if HOST == "127.0.0.1" and loopback_interface() and "GLOO_SOCKET_IFNAME" not in os.environ:
        os.environ["GLOO_SOCKET_IFNAME"] = loopback_interface()
    # The processes meet through a file no other run uses: a port chosen in advance could be
    # taken by another program (any outgoing connection) before process 0 binds it.
    dist.init_process_group("gloo", init_method=f"file://{rendezvous}", rank=rank, world_size=world_size,
                            timeout=timedelta(seconds=job["timeout"]))
    try:
        X, Y = job["X"], job["Y"]
        net = to_torch(build_graph(X, *job["build"]))  # the same network in every process ...
        net.load_state_dict(torch.load(job["start"]))  # ... with the exported weights
        model = DistributedDataParallel(Objective(net))
        rows = torch.arange(len(X))
        dataset = TensorDataset(torch.tensor(X), torch.tensor(Y), rows)
        sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=job["seed"])
        loader = DataLoader(dataset, batch_size=job["batch_size"] // world_size, sampler=sampler)
        optimizer = torch.optim.SGD(model.parameters(), lr=job["lr"])
        first_gradients, losses, shards = None, [], []
        for epoch in range(job["epochs"]):
            sampler.set_epoch(epoch)  # a new shuffle each epoch, the same in every process
            for X_shard, Y_shard, shard_rows in loader:
                optimizer.zero_grad()
                J = model(X_shard, Y_shard)  # this shard's mean loss
                J.backward()  # DDP: every .grad is now the mean over the processes
                if first_gradients is None:
                    first_gradients = {name: p.grad.clone() for name, p in net.named_parameters()}
                optimizer.step()
                total = J.detach().clone()
                dist.all_reduce(total)  # for the report: the global batch's loss
                losses.append(total.item() / world_size)
                shards.append(shard_rows.tolist())
        result = {"state_dict": net.state_dict(), "first_gradients": first_gradients, "losses": losses,
                  "shards": shards}
        torch.save(result, Path(job["out"]) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def _run_processes(graph, X, Y, build, processes, epochs, batch_size, lr, seed, timeout):
    """One run of the ``processes`` workers (see ``train_distributed``): each one's result."""
    with tempfile.TemporaryDirectory(prefix="graphnn-ddp-") as folder:
        start = Path(folder) / "start.pt"
        torch.save(to_torch(graph).state_dict(), start)  # what each process loads
        job = {"X": X, "Y": Y, "build": tuple(build), "start": str(start), "out": folder, "epochs": epochs,
               "batch_size": batch_size, "lr": lr, "seed": seed, "timeout": timeout}
        rendezvous = Path(folder) / "rendezvous"  # made by the processes; must not exist before
        context = mp.start_processes(worker, args=(processes, str(rendezvous), job), nprocs=processes,
                                     join=False, start_method="spawn")
        deadline = time.monotonic() + timeout
        try:
            while not context.join(timeout=max(deadline - time.monotonic(), 0.1)):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the {processes} processes were not done after {timeout} s")
        finally:
            for process in context.processes:  # only after an error or the timeout
                if process.is_alive():
                    process.terminate()
                    process.join(5)
                    if process.is_alive():
                        process.kill()
        return [torch.load(Path(folder) / f"rank{rank}.pt") for rank in range(processes)]


def train_distributed(graph, X, Y, build=(), processes=2, epochs=20, batch_size=32, lr=0.5, seed=0,
                      timeout=TIMEOUT):
    """Train ``graph`` (made by ``build_graph(X, *build)``) with DistributedDataParallel in
    ``processes`` processes on this machine, each taking ``batch_size / processes`` rows of
    every global batch of ``batch_size``; ``graph`` itself is not changed.

    Returns a dict: ``state_dict`` (the trained weights, process 0's), ``states`` (every
    process's), ``first_gradients`` (process 0's gradients after the first step's
    ``backward``, DDP's mean), ``losses`` (each step's global batch loss), ``batches`` (each
    step's global batch: the rows of every shard, in rank order), ``seconds`` and ``attempts``
    (2 when a process crashed in native code and the run started again, ``CRASH_RETRIES``).
    Raises ``TimeoutError`` when the processes are not done within ``timeout`` seconds (they
    are stopped first), and a process's error if one fails (a Python error is never retried).
    """
    if batch_size % processes:
        raise ValueError(f"batch_size {batch_size} does not split into {processes} equal shards")
    start_time = time.perf_counter()
    for attempt in range(1, CRASH_RETRIES + 2):
        try:
            results = _run_processes(graph, X, Y, build, processes, epochs, batch_size, lr, seed, timeout)
            break
        except mp.ProcessExitedException as crash:  # killed by a signal: a crash in native code
            if attempt > CRASH_RETRIES or crash.signal_name is None:
                raise
            print(f"distributed run, attempt {attempt}: {crash}; starting again", file=sys.stderr)
    return {
        "state_dict": results[0]["state_dict"],
        "states": [r["state_dict"] for r in results],
        "first_gradients": results[0]["first_gradients"],
        "losses": results[0]["losses"],
        "batches": [list(step) for step in zip(*(r["shards"] for r in results))],
        "seconds": time.perf_counter() - start_time,
        "attempts": attempt,
    }


# ---------------------------------------------------------------------------- the checks
def global_batches(n, processes=2, epochs=20, batch_size=32, seed=0):
    """The rows of every step's global batch, as the processes' ``DistributedSampler`` deal
    them: for each step, one list of rows per process, in rank order. (The sampler repeats a
    few rows when ``n`` does not split into equal shards, so that every shard has the same
    size.)"""
    steps = []
    for epoch in range(epochs):
        per_process = []
        for rank in range(processes):
            sampler = DistributedSampler(range(n), num_replicas=processes, rank=rank, shuffle=True, seed=seed)
            sampler.set_epoch(epoch)
            rows = list(sampler)
            size = batch_size // processes
            per_process.append([rows[i:i + size] for i in range(0, len(rows), size)])
        steps += [list(step) for step in zip(*per_process)]
    return steps


def train_one_process(module, X, Y, batches, lr=0.5):
    """The same SGD steps in one process, on ``module`` (from ``to_torch``) in place: step ``k``
    on the whole global batch ``batches[k]`` (every shard's rows). Its mean loss is the mean of
    the shards' mean losses (the shards are the same size), so its gradient is DDP's."""
    X, Y = torch.tensor(X), torch.tensor(Y)
    optimizer = torch.optim.SGD(module.parameters(), lr=lr)
    for shards in batches:
        rows = torch.tensor([row for shard in shards for row in shard])
        optimizer.zero_grad()
        module.objective(X=X[rows], Y=Y[rows]).backward()
        optimizer.step()
    return module


def largest_difference(a, b):
    """``max |a - b| / max |b|``: the difference relative to the largest entry compared."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), np.finfo(float).tiny))


def accuracy(graph, X, Y):
    return float(((gn.predict(graph, X) > 0.5) == (Y > 0.5)).mean())


# ---------------------------------------------------------------------------- the script
def load_data(source, seed=0):
    if source == "kidcreative":
        return gn.load_kidcreative()
    return synthetic_data(seed=seed)


def run(source="synthetic", processes=2, epochs=20, batch_size=32, lr=0.5, hidden=8, seed=0, timeout=TIMEOUT):
    """The whole road (the module's docstring). Returns the numbers the report prints and the
    pieces they come from: ``X``, ``Y``, ``graph`` (the network before training, untouched),
    ``module`` (its export, holding the trained weights), ``back`` (``from_torch(module)``) and
    ``result`` (``train_distributed``'s)."""
    X, Y = load_data(source, seed)
    graph = build_graph(X, hidden, seed)
    module = to_torch(graph)

    result = train_distributed(graph, X, Y, build=(hidden, seed), processes=processes, epochs=epochs,
                               batch_size=batch_size, lr=lr, seed=seed, timeout=timeout)
    module.load_state_dict(result["state_dict"])
    back = from_torch(module)  # the trained network, in graphnn

    P_torch = module(torch.tensor(X)).detach().numpy()
    P_graphnn = gn.predict(back, X)
    one = train_one_process(to_torch(graph), X, Y, result["batches"], lr)
    trained = module.state_dict()
    return {
        "source": source, "rows": len(X), "processes": processes, "epochs": epochs, "batch_size": batch_size,
        "steps": len(result["batches"]), "seconds": result["seconds"], "losses": result["losses"],
        "accuracy_before": accuracy(graph, X, Y), "accuracy_after": accuracy(back, X, Y),
        "prediction_difference": largest_difference(P_graphnn, P_torch),
        "weight_difference": max(largest_difference(trained[k], v) for k, v in one.state_dict().items()),
        "processes_agree": all(torch.equal(s[k], v) for s in result["states"] for k, v in trained.items()),
        "batches_as_dealt": result["batches"] == global_batches(len(X), processes, epochs, batch_size, seed),
        "X": X, "Y": Y, "graph": graph, "module": module, "back": back, "result": result,
    }


def epoch_loss(r, epoch):
    """The mean of epoch ``epoch``'s global batch losses."""
    per_epoch = r["steps"] // r["epochs"]
    return float(np.mean(np.reshape(r["losses"], (r["epochs"], per_epoch))[epoch]))


def report(r):
    lines = [
        f"data: {r['source']}, {r['rows']} rows; {r['processes']} processes (gloo on {HOST}), "
        f"global batch {r['batch_size']} ({r['batch_size'] // r['processes']} rows per process), "
        f"{r['epochs']} epochs = {r['steps']} steps in {r['seconds']:.1f} s",
        f"mean global batch loss: first epoch {epoch_loss(r, 0):.4f}, last epoch {epoch_loss(r, -1):.4f}",
        f"accuracy on all rows: {100 * r['accuracy_before']:.1f}% before, {100 * r['accuracy_after']:.1f}% after",
        f"graphnn after from_torch vs PyTorch, predictions: largest relative difference "
        f"{r['prediction_difference']:.1e} (tolerance {PREDICTION_TOLERANCE:.0e})",
        f"{r['processes']} processes vs one process on the same global batches, weights: largest relative "
        f"difference {r['weight_difference']:.1e} (tolerance {WEIGHT_TOLERANCE:.0e})",
        f"every process ends with the same weights: {'yes' if r['processes_agree'] else 'NO'}",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=["synthetic", "kidcreative"], default="synthetic",
                        help="generated data (default) or data/KidCreative.csv")
    parser.add_argument("--processes", type=int, default=2, help="processes on this machine (default 2)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs (default 20)")
    parser.add_argument("--batch-size", type=int, default=32, help="global batch, split between the processes")
    parser.add_argument("--lr", type=float, default=0.5, help="SGD's learning rate (default 0.5)")
    parser.add_argument("--hidden", type=int, default=8, help="hidden units (default 8)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data, the weights and the shuffles")
    args = parser.parse_args(argv)
    try:
        r = run(args.data, args.processes, args.epochs, args.batch_size, args.lr, args.hidden, args.seed)
    except ValueError as err:  # a DatasetError (no data/KidCreative.csv), or a batch that does not split
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(report(r))
    ok = (r["prediction_difference"] <= PREDICTION_TOLERANCE and r["weight_difference"] <= WEIGHT_TOLERANCE
          and r["processes_agree"] and r["batches_as_dealt"])
    print("all checks passed" if ok else "A CHECK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
