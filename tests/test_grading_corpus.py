"""The grading kit judged against an independent oracle on a corpus of student-style classes
(tests/students/corpus.py): every right class passes ``check_layer(Cls)`` /
``check_objective(Cls)`` with the plain call, every wrong one fails, naming the check.

The oracle is torch autograd, written apart from the kit: it knows what each seed class
computes, builds the class as the seed does, and accepts every convention the assignment
allows (``gradient()`` as ``N x D`` or ``N x D x D``; weights ``D x K`` or ``K x D``; parameter
gradients as means or sums, one for both; ``eval`` a mean over ``N`` or over ``N x K`` for
squared error and log loss; an input layer's spread with ``ddof`` 0 or 1).
"""
import importlib.util
import inspect
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from graphnn.grading.checks import check_layer, check_objective  # noqa: E402

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("student_corpus", HERE / "students" / "corpus.py")
corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus)

T = torch.float64
ACTIVATIONS = {
    "LogisticSigmoidLayer": torch.sigmoid, "TanhLayer": torch.tanh, "ReLULayer": torch.relu,
    "LinearLayer": lambda x: x, "SoftmaxLayer": lambda x: torch.softmax(x, dim=1),
}


def close(a, b, tol=1e-7):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol * max(1.0, np.abs(b).max(initial=0)))


def jacobian_tensor(result, n, d):
    """The student's gradient() read as N x D x D, or None if it is no allowed form."""
    J = np.asarray(result, dtype=float)
    if J.shape == (n, d, d):
        return J
    if J.shape == (n, d):
        return np.einsum("nd,de->nde", J, np.eye(d))
    return None


def oracle_activation(cls, name):
    rng = np.random.default_rng(5)
    f = ACTIVATIONS[name]
    for n in (1, 4):
        X = rng.normal(size=(n, 3))
        X = np.where(np.abs(X) < 0.1, 0.5, X)
        layer = cls()
        out = layer.forward(X.copy())
        x = torch.tensor(X, dtype=T, requires_grad=True)
        y = f(x)
        if not close(out, y.detach().numpy()):
            return False
        truth = np.stack([torch.autograd.functional.jacobian(f, x[i:i + 1].detach())[0, :, 0, :].numpy()
                          for i in range(n)])
        J = jacobian_tensor(layer.gradient(), n, 3)
        if J is None or not close(J, truth):
            return False
        G = rng.normal(size=out.shape)
        (vjp,) = torch.autograd.grad(y, x, torch.tensor(G, dtype=T))
        if not close(layer.backward(G.copy()), vjp.numpy()):
            return False
    return True


def oracle_input_layer(cls):
    rng = np.random.default_rng(6)
    data = rng.normal(size=(30, 3)) * [1.0, 5.0, 0.2] + [3.0, -2.0, 10.0]
    X = data[:4] + 0.3
    layer = cls(data)
    for batch in (X, X[:1]):
        out = np.asarray(layer.forward(batch.copy()), dtype=float)
        t, d = torch.tensor(batch), torch.tensor(data)
        if not any(close(out, ((t - d.mean(0)) / d.std(0, correction=c)).numpy()) for c in (0, 1)):
            return False
    return True


def weights_of(layer):
    if hasattr(layer, "getWeights"):
        return np.array(layer.getWeights(), dtype=float), np.array(layer.getBiases(), dtype=float)
    for w, b in (("weights", "biases"), ("W", "b")):
        if hasattr(layer, w):
            return np.array(getattr(layer, w), dtype=float), np.array(getattr(layer, b), dtype=float)
    raise AssertionError("no weights")


def oracle_fully_connected(cls):
    rng = np.random.default_rng(7)
    n, d, k = 5, 4, 3
    layer = cls(d, k)
    X, G = rng.normal(size=(n, d)), rng.normal(size=(n, k))
    W, b = weights_of(layer)
    W_dk = W if W.shape == (d, k) else W.T
    x, w, bias = (torch.tensor(a, requires_grad=True) for a in (X, W_dk, b.reshape(1, k)))
    y = x @ w + bias
    out = layer.forward(X.copy())
    if not close(out, y.detach().numpy()):
        return False
    if not close(np.asarray(layer.gradient(), dtype=float), W_dk.T):
        return False
    if not close(layer.backward(G.copy()), (torch.tensor(G) @ w.T).detach().numpy()):
        return False
    if not hasattr(layer, "updateWeights"):
        return True
    gx, gw, gb = torch.autograd.grad((y * torch.tensor(G)).sum() / n, (x, w, bias))
    eta = 0.5
    if len(inspect.signature(layer.updateWeights).parameters) == 1:
        layer.updateWeights(eta)
    else:
        layer.updateWeights(G.copy(), eta)
    W2, b2 = weights_of(layer)
    dW = (W - W2) / eta
    dW = dW if dW.shape == (d, k) else dW.T
    db = ((b - b2) / eta).reshape(1, k)
    return any(close(dW, s * gw.numpy()) and close(db, s * gb.numpy()) for s in (1, n))


def oracle_objective(cls, name):
    rng = np.random.default_rng(8)
    seed = {"SquaredError": ([[0.0], [1.0]], [[0.2], [0.3]], 0.265),
            "LogLoss": ([[0.0], [1.0]], [[0.2], [0.3]], 0.71356),
            "CrossEntropy": ([[1, 0, 0], [0, 1, 0]], [[0.2, 0.2, 0.6], [0.2, 0.7, 0.1]], 0.983056)}[name]
    if abs(float(cls().eval(np.array(seed[0], float), np.array(seed[1], float))) - seed[2]) > 1e-4:
        return False
    for n, k in ((1, 3), (4, 3), (4, 1)):
        Y = rng.dirichlet(np.ones(k), size=n) if k > 1 else rng.integers(0, 2, size=(n, 1)).astype(float)
        P = rng.dirichlet(np.ones(k), size=n) * 0.9 + 0.05 if k > 1 else rng.uniform(0.1, 0.9, (n, 1))
        y, p = torch.tensor(Y), torch.tensor(P, requires_grad=True)
        per_entry = {"SquaredError": (y - p) ** 2,
                     "LogLoss": -(y * torch.log(p) + (1 - y) * torch.log(1 - p)),
                     "CrossEntropy": -y * torch.log(p)}[name]
        means = [per_entry.sum(1).mean()]  # a mean over N of each row's sum
        if name != "CrossEntropy":
            means.append(per_entry.mean())  # the seed's literal np.mean over N x K
        value = float(cls().eval(Y.copy(), P.copy()))
        matches = [m for m in means if abs(value - m.item()) < 1e-6 * max(1.0, abs(m.item()))]
        if not matches:
            return False
        (grad,) = torch.autograd.grad(means[0], p)
        if not close(cls().gradient(Y.copy(), P.copy()), n * grad.numpy(), 1e-5):
            return False
    return True


def oracle(cls):
    """True when the class is right, judged with torch alone."""
    name = cls.__name__
    try:
        if name in ACTIVATIONS:
            return oracle_activation(cls, name)
        if name == "InputLayer":
            return oracle_input_layer(cls)
        if name == "FullyConnectedLayer":
            return oracle_fully_connected(cls)
        return oracle_objective(cls, name)
    except Exception:
        return False


CASES = [(corpus.as_submitted(cls), tag, cls.__name__) for cls, tag in corpus.CORPUS]


@pytest.mark.parametrize("cls,tag,label", CASES, ids=[label for _, _, label in CASES])
def test_the_kit_judges_each_class_as_the_oracle_does(cls, tag, label):
    right = oracle(cls)
    assert right == (tag == "right"), f"the oracle says {label} is {'right' if right else 'wrong'}; tagged {tag}"
    check = check_layer if hasattr(cls, "forward") and not hasattr(cls, "eval") else check_objective
    report = check(cls)
    if right:
        assert report.passed, str(report)
    else:
        assert not report.passed and tag in report.failed, str(report)


def test_the_corpus_holds_every_convention_and_the_classic_mistakes():
    conventions = {}
    for cls, tag, _ in CASES:
        if tag == "right":
            check = check_layer if hasattr(cls, "forward") and not hasattr(cls, "eval") else check_objective
            for what, value in check(cls).conventions.items():
                conventions.setdefault(what, set()).add(value)
    assert conventions == {
        "gradient()": {"N x D", "N x K x D", "K x D"}, "weights": {"D x K", "K x D"},
        "parameter gradients": {"mean", "sum"}, "eval": {"mean over N", "mean over N x K"},
        "standard deviation": {"ddof=0", "ddof=1"}}
    assert sum(tag != "right" for _, tag, _ in CASES) >= 14
