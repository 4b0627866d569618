"""Optimizers against the published update rules, computed independently here.

Every expected value is computed element by element with Python floats and the ``math``
module from the rules as published (PyTorch's SGD documentation for momentum and Nesterov,
Kingma & Ba's Algorithm 1 for Adam), never by calling graphnn's optimizers.
"""
import math

import numpy as np
import pytest

import graphnn as gn
from graphnn import Parameter
from graphnn.training.optim import SGD, Adam

# A tiny linear regression: 4 observations, 2 features, 1 output.
X = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.25], [2.0, 1.0]])
Y = np.array([[1.0], [-2.0], [0.5], [3.0]])


def tiny_graph():
    fc = gn.FullyConnectedLayer(2, 1, seed=3)
    fc.setWeights([[0.3], [-0.7]])
    fc.setBiases([[0.1]])
    return gn.Graph.sequential(fc, objective=gn.SquaredError()), fc


def hand_gradients(W, b):
    """dJ/dW and dJ/db of J = mean (y - (x W + b))^2, with plain Python loops."""
    n = len(X)
    gW = [0.0, 0.0]
    gb = 0.0
    for x, (y,) in zip(X.tolist(), Y.tolist()):
        residual = y - (x[0] * W[0] + x[1] * W[1] + b)
        gW[0] += -2.0 * residual * x[0] / n
        gW[1] += -2.0 * residual * x[1] / n
        gb += -2.0 * residual / n
    return gW, gb


def run_steps(optimizer_factory, steps):
    """Take ``steps`` optimizer steps on the tiny graph; returns [(W list, b float)] after each."""
    graph, fc = tiny_graph()
    opt = optimizer_factory(graph.parameters())
    trajectory = []
    for _ in range(steps):
        graph.forward(X=X, Y=Y)
        graph.backward()
        opt.step()
        trajectory.append((fc.getWeights().ravel().tolist(), float(fc.getBiases()[0, 0])))
    return trajectory


def reference(rule, steps):
    """Apply ``rule(values, grads, state, t) -> new values`` to the flat list [W0, W1, b]."""
    values, state, trajectory = [0.3, -0.7, 0.1], {}, []
    for t in range(1, steps + 1):
        gW, gb = hand_gradients(values[:2], values[2])
        values = rule(values, gW + [gb], state, t)
        trajectory.append((values[:2], values[2]))
    return trajectory


def assert_trajectories_equal(actual, expected, rtol=1e-12):
    assert len(actual) == len(expected)
    for (W, b), (W_ref, b_ref) in zip(actual, expected):
        np.testing.assert_allclose(W, W_ref, rtol=rtol, atol=1e-15)
        np.testing.assert_allclose(b, b_ref, rtol=rtol, atol=1e-15)


def test_the_hand_gradients_are_the_graphs():
    graph, fc = tiny_graph()
    graph.forward(X=X, Y=Y)
    graph.backward()
    gW, gb = hand_gradients([0.3, -0.7], 0.1)
    np.testing.assert_allclose(fc.weights.grad.ravel(), gW, rtol=1e-13)
    np.testing.assert_allclose(fc.biases.grad.ravel(), [gb], rtol=1e-13)


def test_sgd_step_is_w_minus_lr_g():
    lr = 0.05

    def rule(w, g, state, t):
        return [wi - lr * gi for wi, gi in zip(w, g)]

    assert_trajectories_equal(run_steps(lambda p: SGD(p, lr=lr), 3), reference(rule, 3))


def test_sgd_weight_decay_adds_l2_to_the_gradient():
    lr, wd = 0.05, 0.1

    def rule(w, g, state, t):
        return [wi - lr * (gi + wd * wi) for wi, gi in zip(w, g)]

    assert_trajectories_equal(run_steps(lambda p: SGD(p, lr=lr, weight_decay=wd), 3), reference(rule, 3))


def test_momentum_follows_the_velocity_rule():
    lr, mu = 0.05, 0.9

    def rule(w, g, state, t):
        v = state.get("v", [0.0] * len(w))
        v = [mu * vi + gi for vi, gi in zip(v, g)]  # v_1 = g_1
        state["v"] = v
        return [wi - lr * vi for wi, vi in zip(w, v)]

    assert_trajectories_equal(run_steps(lambda p: SGD(p, lr=lr, momentum=mu), 4), reference(rule, 4))


def test_nesterov_follows_pytorchs_form():
    lr, mu = 0.05, 0.9

    def rule(w, g, state, t):
        v = state.get("v", [0.0] * len(w))
        v = [mu * vi + gi for vi, gi in zip(v, g)]
        state["v"] = v
        return [wi - lr * (gi + mu * vi) for wi, gi, vi in zip(w, g, v)]

    actual = run_steps(lambda p: SGD(p, lr=lr, momentum=mu, nesterov=True), 4)
    assert_trajectories_equal(actual, reference(rule, 4))


def test_first_momentum_step_equals_plain_sgd():
    plain = run_steps(lambda p: SGD(p, lr=0.05), 1)
    assert_trajectories_equal(run_steps(lambda p: SGD(p, lr=0.05, momentum=0.9), 1), plain)
    nesterov = run_steps(lambda p: SGD(p, lr=0.05, momentum=0.9, nesterov=True), 1)
    # Nesterov's first step is g + mu g: (1 + mu) times the plain one.
    start = [0.3, -0.7, 0.1]
    for before, after_plain, after_nesterov in zip(
        start, plain[0][0] + [plain[0][1]], nesterov[0][0] + [nesterov[0][1]]
    ):
        assert after_nesterov - before == pytest.approx(1.9 * (after_plain - before), rel=1e-12)


def adam_rule(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, wd=0.0):
    def rule(w, g, state, t):
        g = [gi + wd * wi for gi, wi in zip(g, w)]
        m = [beta1 * mi + (1 - beta1) * gi for mi, gi in zip(state.get("m", [0.0] * len(w)), g)]
        v = [beta2 * vi + (1 - beta2) * gi * gi for vi, gi in zip(state.get("v", [0.0] * len(w)), g)]
        state["m"], state["v"] = m, v
        m_hat = [mi / (1 - beta1 ** t) for mi in m]
        v_hat = [vi / (1 - beta2 ** t) for vi in v]
        return [wi - lr * mh / (math.sqrt(vh) + eps) for wi, mh, vh in zip(w, m_hat, v_hat)]

    return rule


def test_adam_defaults_are_the_published_ones():
    opt = Adam([Parameter(np.zeros((1, 1)))])
    assert (opt.lr, opt.betas, opt.eps, opt.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0.0)


def test_adam_steps_follow_algorithm_1():
    assert_trajectories_equal(run_steps(lambda p: Adam(p), 5), reference(adam_rule(), 5))


def test_adam_with_other_hyperparameters_and_weight_decay():
    settings = dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)
    rule = adam_rule(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-6, wd=0.05)
    assert_trajectories_equal(run_steps(lambda p: Adam(p, **settings), 5), reference(rule, 5))


def test_adams_first_step_is_about_lr_times_the_sign():
    # Bias correction makes m_hat / sqrt(v_hat) = g / |g| on the first step.
    p = Parameter(np.array([[3.0, -0.002, 50.0]]))
    p.grad[...] = [[0.5, -1e-3, -20.0]]
    Adam([p], lr=0.1).step()
    np.testing.assert_allclose(p.value, [[2.9, -0.002 + 0.1, 50.1]], rtol=0, atol=1e-5)  # eps moves it by ~lr eps / |g| = 1e-6


@pytest.mark.parametrize("factory", [
    lambda p: SGD(p, lr=0.1), lambda p: SGD(p, lr=0.1, momentum=0.5, nesterov=True), lambda p: Adam(p),
])
def test_step_updates_in_place_so_layers_see_it(factory):
    graph, fc = tiny_graph()
    array = fc.weights.value
    graph.forward(X=X, Y=Y)
    graph.backward()
    before = array.copy()
    factory(graph.parameters()).step()
    assert fc.weights.value is array
    assert not np.array_equal(array, before)
    np.testing.assert_array_equal(fc.forward(X), X @ array + fc.getBiases())


def test_float32_parameters_and_state_stay_float32():
    p = Parameter(np.ones((2, 3), dtype=np.float32))
    p.grad[...] = 0.25
    for opt in (SGD([p], lr=0.1, momentum=0.9), Adam([p])):
        opt.step()
        assert p.value.dtype == np.float32
        assert all(a.dtype == np.float32 for a in opt.state[0].values())


def test_a_parameter_listed_twice_is_updated_once():
    p = Parameter(np.array([[1.0]]))
    p.grad[...] = 1.0
    opt = SGD([p, p], lr=0.5)
    assert len(opt.params) == 1
    opt.step()
    assert p.value[0, 0] == 0.5


def test_zero_grad_clears_every_gradient():
    graph, fc = tiny_graph()
    graph.forward(X=X, Y=Y)
    graph.backward()
    opt = SGD(graph.parameters(), lr=0.1)
    opt.zero_grad()
    assert all(not p.grad.any() for p in graph.parameters())


def test_zero_gradient_leaves_the_weights_alone():
    p = Parameter(np.array([[1.0, -2.0]]))
    for opt in (SGD([p], lr=0.1, momentum=0.9), Adam([p])):
        opt.step()
    np.testing.assert_array_equal(p.value, [[1.0, -2.0]])


@pytest.mark.parametrize("make, message", [
    (lambda p: SGD(p, lr=0), "lr"),
    (lambda p: SGD(p, lr=-1), "lr"),
    (lambda p: SGD(p, lr=float("nan")), "lr"),
    (lambda p: SGD(p, lr=0.1, momentum=1.0), "momentum"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.1), "momentum"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), "nesterov"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), "beta2"),
    (lambda p: Adam(p, betas=0.9), "betas"),
    (lambda p: Adam(p, eps=0), "eps"),
    (lambda p: SGD([], lr=0.1), "no parameters"),
])
def test_bad_hyperparameters_are_refused_by_name(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(np.zeros((1, 1)))])


def test_params_must_be_parameters():
    with pytest.raises(TypeError, match="Parameter"):
        SGD([np.zeros((1, 1))], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        SGD(3, lr=0.1)
