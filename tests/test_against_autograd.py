"""graphnn's gradients agree with PyTorch autograd's on random graphs: fan-out, residual adds,
one value filling two slots, concatenations, tied weights, weighted objectives, fused and
unfused heads. The torch computation is built node by node from the graph's plan, so it is
the same function; both run in float64."""
import numpy as np
import pytest

from graphnn import (
    AddLayer, ConcatLayer, FullyConnectedLayer, LinearLayer, LogisticSigmoidLayer, LogLoss,
    ReLULayer, SquaredError, TanhLayer,
)
from test_program import _random_graph

torch = pytest.importorskip("torch")


def _torch_twin(g, feed):
    """``J`` of graph ``g`` on ``feed`` computed by torch, and the leaves: ``{id(Parameter):
    tensor}`` (a tied parameter is one leaf) and ``{input: tensor}``."""
    leaves, inputs, values = {}, {}, {}

    def leaf(parameter):
        if id(parameter) not in leaves:
            leaves[id(parameter)] = torch.tensor(parameter.value, requires_grad=True)
        return leaves[id(parameter)]

    J = 0.0
    for node in g.plan.order:
        args = [values[s] for s in node.sources]
        op = node.op
        if node.kind == "input":
            inputs[node.name] = torch.tensor(feed[node.name], requires_grad=g.requires_grad(node.name))
            values[node.name] = inputs[node.name]
        elif isinstance(op, FullyConnectedLayer):
            values[node.name] = args[0] @ leaf(op.weights) + leaf(op.biases)
        elif isinstance(op, AddLayer):
            values[node.name] = sum(args[1:], args[0])
        elif isinstance(op, ConcatLayer):
            values[node.name] = torch.cat(args, dim=1)
        elif isinstance(op, (TanhLayer, ReLULayer, LogisticSigmoidLayer, LinearLayer)):
            f = {TanhLayer: torch.tanh, ReLULayer: torch.relu, LogisticSigmoidLayer: torch.sigmoid,
                 LinearLayer: lambda x: x}[type(op)]
            values[node.name] = f(args[0])
        elif isinstance(op, SquaredError):
            Y, Yhat = args
            J = J + g.plan.weights[node.name] * ((Y - Yhat) ** 2).sum() / Y.shape[0]
        elif isinstance(op, LogLoss):
            Y, P = args
            loss = -(Y * torch.log(P) + (1 - Y) * torch.log1p(-P)).sum() / Y.shape[0]
            J = J + g.plan.weights[node.name] * loss
        else:  # pragma: no cover - the generator makes nothing else
            raise AssertionError(type(op))
    return J, leaves, inputs


@pytest.mark.parametrize("seed", range(12))
def test_gradients_agree_with_autograd_on_random_graphs(seed):
    g, feed = _random_graph(seed)
    J = g.forward(feed)
    g.backward()
    J_torch, leaves, inputs = _torch_twin(g, feed)
    J_torch.backward()
    assert J == pytest.approx(J_torch.item(), rel=1e-12)
    for parameter in g.parameters():  # no gradient in torch: a branch that reaches no objective
        expected = leaves[id(parameter)].grad
        expected = np.zeros_like(parameter.value) if expected is None else expected.numpy()
        np.testing.assert_allclose(parameter.grad, expected, rtol=1e-9, atol=1e-12)
    for name, tensor in inputs.items():
        if tensor.requires_grad:  # graphnn's input gradients are per observation: N dJ/dx
            np.testing.assert_allclose(g.grad(name), tensor.grad.numpy() * len(feed[name]),
                                       rtol=1e-9, atol=1e-12)
