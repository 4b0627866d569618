"""Dropout and batch normalization (issue 27): dropout's mask statistics and inverted scaling
on large inputs, backward with the forward's mask, the identity at inference; batch norm
against ``torch.nn.functional.batch_norm`` in training and inference, forward, backward,
parameter gradients and running statistics; the grading kit says why it does not check
their rows alone."""
import numpy as np
import pytest

import graphnn as gn
from graphnn.grading.checks import check_layer
from graphnn.grading.gradcheck import relative_error

torch = pytest.importorskip("torch")
F = torch.nn.functional


# --- dropout --------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_mask_statistics_and_inverted_scaling_on_large_inputs(p):
    layer = gn.DropoutLayer(p, seed=1)
    X = np.random.default_rng(0).uniform(1.0, 2.0, size=(2000, 500))    # a million entries
    out = layer.forward(X)
    mask = layer.mask
    kept = mask.mean()
    sigma = np.sqrt(p * (1 - p) / mask.size)
    assert abs(kept - (1 - p)) < 5 * sigma                            # Bernoulli(1 - p) per entry
    np.testing.assert_array_equal(out[~mask], 0.0)
    np.testing.assert_allclose(out[mask], X[mask] / (1 - p), rtol=1e-15)
    assert abs(out.mean() / X.mean() - 1) < 5 * sigma / (1 - p) * 2     # the expectation is kept
    per_column = mask.mean(axis=0)                                      # no column favoured
    assert np.abs(per_column - (1 - p)).max() < 6 * np.sqrt(p * (1 - p) / 2000)


def test_dropout_backward_uses_the_mask_of_the_last_forward():
    layer = gn.DropoutLayer(0.5, seed=3)
    X = np.ones((50, 40))
    G = np.random.default_rng(1).standard_normal(X.shape)
    layer.forward(X)
    first = layer.mask.copy()
    np.testing.assert_array_equal(layer.backward(G), G * first / 0.5)
    np.testing.assert_array_equal(layer.backward(G), G * first / 0.5)   # twice: the same mask
    layer.forward(X)
    assert not np.array_equal(layer.mask, first)                         # a fresh one per forward
    np.testing.assert_array_equal(layer.backward(G), G * layer.mask / 0.5)
    grad_torch = torch.tensor(G) * torch.tensor(layer.mask) / 0.5       # torch's rule, same mask
    np.testing.assert_array_equal(layer.backward(G), grad_torch.numpy())


def test_dropout_is_the_identity_at_inference_and_reproducible_with_a_seed():
    X = np.random.default_rng(2).standard_normal((6, 5))
    layer = gn.DropoutLayer(0.3, seed=7)
    layer.training = False
    assert layer.mode == "inference"
    np.testing.assert_array_equal(layer.forward(X), X)
    np.testing.assert_array_equal(layer.backward(X), X)
    assert layer.ran_in == "inference" and layer.mask is None
    a, b = gn.DropoutLayer(0.3, seed=7), gn.DropoutLayer(0.3, seed=7)
    np.testing.assert_array_equal(a.forward(X), b.forward(X))
    np.testing.assert_array_equal(gn.DropoutLayer(0.0).forward(X), X)
    for bad in (1.0, -0.1, "0.5", True, None):
        with pytest.raises(ValueError, match="0 <= p < 1"):
            gn.DropoutLayer(bad)
    with pytest.raises(ValueError, match="seed"):
        gn.DropoutLayer(0.5, seed=-1)


# --- batch norm -----------------------------------------------------------------------------

def torch_batch_norm(layer, X, G, training, running_mean, running_var):
    x = torch.tensor(X, requires_grad=True)
    w = torch.tensor(layer.scale.value[0], requires_grad=True)
    b = torch.tensor(layer.shift.value[0], requires_grad=True)
    rm, rv = torch.tensor(running_mean[0]), torch.tensor(running_var[0])
    y = F.batch_norm(x, rm, rv, w, b, training=training, momentum=layer.momentum, eps=layer.eps)
    y.backward(torch.tensor(G))
    return y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy(), rm.numpy(), rv.numpy()


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("n", [2, 9])
def test_batch_norm_agrees_with_torch(training, n):
    rng = np.random.default_rng([n, training])
    layer = gn.BatchNormLayer(4, momentum=0.2, eps=1e-3)
    layer.scale.value = rng.standard_normal((1, 4))
    layer.shift.value = rng.standard_normal((1, 4))
    layer.running_mean = rng.standard_normal((1, 4))
    layer.running_var = rng.uniform(0.5, 2.0, (1, 4))
    layer.training = training
    X = 3.0 * rng.standard_normal((n, 4)) + 1.0
    G = rng.standard_normal((n, 4))              # per observation, as graphnn's backward takes it
    before = layer.running_mean.copy(), layer.running_var.copy()
    out = layer.forward(X)
    layer.zero_grad()
    grad = layer.backward(G)
    y, gx, gw, gb, rm, rv = torch_batch_norm(layer, X, G, training, *before)
    assert relative_error(out, y) < 1e-10
    assert relative_error(grad, gx) < 1e-10
    # graphnn's parameter gradients are those of the mean objective: torch's sum over rows / N
    assert relative_error(layer.scale.grad, gw[None] / n) < 1e-10
    assert relative_error(layer.shift.grad, gb[None] / n) < 1e-10
    assert relative_error(layer.running_mean, rm[None]) < 1e-14
    assert relative_error(layer.running_var, rv[None]) < 1e-14
    assert layer.ran_in == ("training" if training else "inference")


def test_batch_norm_running_statistics_over_many_batches_then_inference_match_torch():
    rng = np.random.default_rng(4)
    layer = gn.BatchNormLayer(3)
    module = torch.nn.BatchNorm1d(3, dtype=torch.float64)
    for _ in range(30):
        X = rng.normal(loc=[5.0, -2.0, 0.0], scale=[2.0, 0.5, 3.0], size=(16, 3))
        layer.forward(X)
        module(torch.tensor(X))
    np.testing.assert_allclose(layer.running_mean[0], module.running_mean.numpy(), rtol=1e-13)
    np.testing.assert_allclose(layer.running_var[0], module.running_var.numpy(), rtol=1e-13)
    module.eval()
    layer.training = False
    X = rng.normal(size=(5, 3))
    np.testing.assert_allclose(layer.forward(X), module(torch.tensor(X)).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.forward(X[:1]), layer.forward(X)[:1], rtol=1e-15)  # rows alone


def test_batch_norm_of_one_row_gives_the_shift_and_keeps_the_running_variance():
    layer = gn.BatchNormLayer(2)
    layer.shift.value = np.array([[0.5, -0.5]])
    np.testing.assert_array_equal(layer.forward(np.array([[3.0, 4.0]])), [[0.5, -0.5]])
    np.testing.assert_array_equal(layer.running_var, np.ones((1, 2)))
    np.testing.assert_allclose(layer.running_mean, [[0.3, 0.4]])


def test_batch_norm_refuses_bad_arguments():
    for kwargs, match in (({"width": 0}, "width"), ({"width": 2, "momentum": 1.5}, "momentum"),
                          ({"width": 2, "eps": 0}, "eps")):
        with pytest.raises(ValueError, match=match):
            gn.BatchNormLayer(**kwargs)
    with pytest.raises(ValueError, match="BatchNormLayer 2"):
        gn.BatchNormLayer(2).forward(np.ones((3, 3)))


def test_the_grading_kit_says_why_it_does_not_check_their_rows_alone():
    report = check_layer(lambda: gn.BatchNormLayer(3), input_width=3)
    assert report.passed
    assert "not checked" in report["rows independent"].numbers
    assert "batch's mean and variance" in report["rows independent"].numbers
    assert "not checked" in report["backward = gradIn x gradient()"].numbers
    assert "worst relative error" in report["backward vs central differences"].numbers

    def frozen_dropout():
        layer = gn.DropoutLayer(0.5, seed=0)
        layer.keep_mask = True
        return layer

    report = check_layer(frozen_dropout)
    assert report.passed and "random mask" in report["rows independent"].numbers
    assert "not checked" not in report["backward = gradIn x gradient()"].numbers

    def inference_norm():
        layer = gn.BatchNormLayer(3)
        layer.training = False
        return layer

    report = check_layer(inference_norm, input_width=3)   # each row alone at inference: checked, and passes
    assert "not checked" not in report["rows independent"].numbers


def test_saved_parameters_keep_batch_norms_running_statistics(tmp_path):
    def model():
        return gn.Graph.sequential(gn.FullyConnectedLayer(3, 4, seed=0), gn.BatchNormLayer(4),
                                   objective=gn.SquaredError())

    g = model()
    X = np.random.default_rng(0).normal(loc=2.0, size=(20, 3))
    for _ in range(5):
        g.forward(X=X, Y=np.zeros((20, 4)))            # moves the running statistics
    gn.save_parameters(g, tmp_path / "bn.npz")
    with np.load(tmp_path / "bn.npz") as saved:
        assert {"batchnorm1/running_mean", "batchnorm1/running_var"} <= set(saved.files)
    h = model()
    gn.load_parameters(h, tmp_path / "bn.npz")
    np.testing.assert_array_equal(h.op("batchnorm1").running_mean, g.op("batchnorm1").running_mean)
    np.testing.assert_array_equal(h.op("batchnorm1").running_var, g.op("batchnorm1").running_var)
    g.eval(), h.eval()
    assert h.forward(X=X, Y=np.zeros((20, 4))) == g.forward(X=X, Y=np.zeros((20, 4)))
