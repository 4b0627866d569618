"""Optimizers: turn the gradients a ``Graph.backward`` leaves in each ``Parameter.grad`` into
updates of ``Parameter.value``.

An optimizer holds a list of ``Parameter`` objects (usually ``graph.parameters()``). Each
``step()`` reads every ``p.grad`` and updates ``p.value`` *in place*, so the layers holding
that array see the new values at once. ``Graph.backward`` zeroes the gradients itself before
accumulating (see ``graphnn.graph``), so the usual loop is just::

    opt = Adam(graph.parameters(), lr=1e-3)
    for _ in range(epochs):
        graph.forward(X=X, Y=Y)
        graph.backward()
        opt.step()

``zero_grad()`` is there for loops that accumulate gradients by hand, outside a graph.

The gradients are those of ``J``, the *mean* objective (docs/conventions.md), so the learning
rate does not need rescaling when the batch size changes.

Weight decay is the classic L2 penalty: ``weight_decay * w`` is added to the gradient before
the update, as if ``weight_decay / 2 * ||w||^2`` were added to ``J``. It applies to every
parameter the optimizer holds, biases included; to spare the biases, give them to a second
optimizer without weight decay. For ``Adam`` this is the *coupled* L2 of the original Adam
(and of PyTorch's ``Adam(weight_decay=...)``), not AdamW's decoupled decay: the penalty's
gradient goes through the adaptive scaling like any other gradient.

Optimizer state (velocities, moment estimates) is kept per parameter, in arrays of the
parameter's dtype, so a float32 model stays float32.
"""
import numbers

import numpy as np

from ..parameter import Parameter

__all__ = ["Optimizer", "SGD", "Adam"]


def _number(value, name, owner, low=0.0, high=None, low_open=False, high_open=True):
    """``value`` as a float within the stated bounds, or a ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = "" if high is None else (f"{high})" if high_open else f"{high}]")
        interval = f"{left}{low}, {right or 'inf)'}"
        raise ValueError(f"{owner}: {name} must lie in {interval}, got {value!r}")
    return value


class Optimizer:
    """Base class: holds the parameters and the hyperparameters common to every optimizer.

    ``params``: an iterable of ``Parameter`` (a parameter listed twice is kept once).
    ``lr``: the learning rate, ``> 0``. ``weight_decay``: the L2 coefficient, ``>= 0``.
    Subclasses implement ``_update(index, parameter, gradient)``, returning the step to
    subtract from the value before multiplying by ``lr``.
    """

    def __init__(self, params, lr, weight_decay=0.0):
        owner = type(self).__name__
        if isinstance(params, Parameter):
            params = [params]
        try:
            params = list(params)
        except TypeError:
            raise TypeError(
                f"{owner}: params must be an iterable of Parameter (e.g. graph.parameters()), "
                f"got {type(params).__name__}"
            ) from None
        unique, seen = [], set()
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(f"{owner}: params must hold Parameter objects, got {type(p).__name__}")
            if id(p) not in seen:
                seen.add(id(p))
                unique.append(p)
        if not unique:
            raise ValueError(f"{owner}: got no parameters to optimize")
        for p in unique:
            if np.asarray(p.value).dtype.kind != "f":
                raise ValueError(f"{owner}: {p!r} is not a floating-point array")
        self.params = unique
        self.lr = _number(lr, "lr", owner, low_open=True)
        self.weight_decay = _number(weight_decay, "weight_decay", owner)
        self.state = [{} for _ in unique]  # one dict of state arrays per parameter

    def zero_grad(self):
        """Set every parameter's gradient to zero (``Graph.backward`` does this itself)."""
        for p in self.params:
            p.zero_grad()

    def step(self):
        """Update every parameter in place from its current gradient."""
        for index, p in enumerate(self.params):
            grad = p.grad
            if self.weight_decay:
                grad = grad + self.weight_decay * p.value
            update = self._update(index, p, grad)
            p.value -= self.lr * update  # a Python float keeps float32 arrays float32

    def _state(self, index, p, name):
        """The state array ``name`` of parameter ``index``, created as zeros on first use."""
        state = self.state[index]
        if name not in state:
            state[name] = np.zeros_like(p.value)
        return state[name]

    def _update(self, index, p, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    With ``g = grad + weight_decay * w`` and momentum ``mu`` (PyTorch's documented form,
    with no dampening):

    - plain (``momentum=0``): ``w <- w - lr * g``
    - momentum: ``v <- mu * v + g`` (``v`` starts at 0, so the first ``v`` is ``g``);
      ``w <- w - lr * v``
    - Nesterov (``nesterov=True``): the same ``v``, and ``w <- w - lr * (g + mu * v)``

    >>> import numpy as np
    >>> from graphnn import Parameter
    >>> p = Parameter(np.array([[1.0, 2.0]]))
    >>> p.grad[...] = [[0.5, -1.0]]
    >>> SGD([p], lr=0.1).step()
    >>> p.value
    array([[0.95, 2.1 ]])
    """

    def __init__(self, params, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = _number(momentum, "momentum", "SGD", high=1.0)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov=True needs a momentum > 0")

    def step(self):
        """Update every parameter in place from its current gradient, as above."""
        if self.momentum or self.weight_decay:
            return super().step()
        lr = self.lr  # plain SGD, the most common step, without the general machinery
        for p in self.params:
            p.value -= lr * p.grad

    def _update(self, index, p, grad):
        if not self.momentum:
            return grad
        v = self._state(index, p, "velocity")
        v *= self.momentum
        v += grad
        return grad + self.momentum * v if self.nesterov else v


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), bias-corrected, with the published defaults
    ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8``.

    With ``g = grad + weight_decay * w`` (coupled L2, see the module docstring) and step
    counter ``t`` starting at 1::

        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)
        w <- w - lr * m_hat / (sqrt(v_hat) + eps)

    ``eps`` is added outside the square root, as in the paper.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr, weight_decay)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (_number(beta1, "beta1", "Adam", high=1.0), _number(beta2, "beta2", "Adam", high=1.0))
        self.eps = _number(eps, "eps", "Adam", low_open=True)
        self.t = 0  # steps taken; shared by every parameter, since step() updates them all

    def step(self):
        """Count one more step (``t``), then update every parameter in place as above."""
        self.t += 1
        super().step()

    def _update(self, index, p, grad):
        beta1, beta2 = self.betas
        m = self._state(index, p, "m")
        v = self._state(index, p, "v")
        m *= beta1
        m += (1.0 - beta1) * grad
        v *= beta2
        v += (1.0 - beta2) * grad * grad
        m_hat = m / (1.0 - beta1 ** self.t)
        v_hat = v / (1.0 - beta2 ** self.t)
        return m_hat / (np.sqrt(v_hat) + self.eps)
