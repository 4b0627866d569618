"""The local rule of each backward step, in words and in symbols: what the replay of a pass
(``graphnn.views.replay``) says a step did.

The rules are a table here (``RULES``, keyed by class and looked up along its bases) rather
than an attribute of each layer: the words are the replay's way of teaching, the layers stay
free of any view, and a user's class may still declare its own
``backward_rule = (words, symbols)``, which ``rule_of`` prefers. See docs/replay.md.

>>> import graphnn as gn
>>> rule_of(gn.TanhLayer())
('the gradient times the slope of tanh', 'g * (1 - t^2)')
"""
from ..core.plan import FUSED_STEP, PARAMETERS_STEP
from ..layers import (
    AddLayer, BatchNormLayer, ConcatLayer, ConvolutionalLayer, DropoutLayer, ElementwiseLayer,
    FlatteningLayer, FullyConnectedLayer, InitialStateLayer, MaxPoolLayer, InputLayer, Layer, LinearLayer, LogisticSigmoidLayer, MultiplyLayer, OneMinusLayer,
    ReLULayer, SliceLayer, SoftmaxLayer, TanhLayer,
)
from ..objectives import CrossEntropy, LogLoss, Objective, SquaredError

__all__ = ["RULES", "MODE_RULES", "FUSED_RULE", "PARAMETERS_RULE", "PARAMETERS_RULES", "rule_of"]

#: the local rule of each class's backward, ``(words, symbols)``: ``g`` (``G``) is the gradient
#: that arrived, ``N x K``; looked up along the class's bases (``rule_of``)
RULES = {
    InputLayer: ("z-scoring divides each column by its std, so the gradient is divided by it too",
                 "g / std"),
    FullyConnectedLayer: ("the input gets G times the transposed weights; the parameters get "
                          "their gradients averaged over the N observations",
                          "G W^T;  dW = X^T G / N;  db = mean(G)"),
    ConvolutionalLayer: ("each input pixel gets the gradients of the outputs whose windows read "
                         "it, weighted by the kernel entry that joined them (a full "
                         "cross-correlation with the flipped kernel); each kernel gets the input "
                         "cross-correlated with the gradient, the biases the gradient's sum, "
                         "both averaged over the N observations",
                         "G *full* flip(K);  dK = X * G / N;  db = sum(G) / N"),
    MaxPoolLayer: ("each window's gradient goes to the entry that was its maximum (the first, on "
                   "a tie); the other entries get 0",
                   "g to argmax of each window, 0 elsewhere"),
    FlatteningLayer: ("flattening only arranges the entries, so the gradient is put back into "
                      "the input's shape", "reshape(g, C x H x W)"),
    LinearLayer: ("the identity passes the gradient through unchanged", "g"),
    ReLULayer: ("the gradient passes where the input was positive and is 0 elsewhere",
                "g * [x > 0]"),
    LogisticSigmoidLayer: ("the gradient times the slope of the sigmoid", "g * s(1 - s)"),
    TanhLayer: ("the gradient times the slope of tanh", "g * (1 - t^2)"),
    SoftmaxLayer: ("row by row: s times (g minus its mean weighted by s)", "s * (g - sum(g * s))"),
    AddLayer: ("a sum passes the same gradient to each of its inputs", "g to every input"),
    ConcatLayer: ("the gradient is cut back into the column blocks of the inputs",
                  "[g_1 | g_2 | ...] -> g_1, g_2, ..."),
    MultiplyLayer: ("the product rule: each input gets the gradient times the other input",
                    "g * b to a;  g * a to b"),
    OneMinusLayer: ("1 - x turns the gradient's sign", "-g"),
    SliceLayer: ("the gradient goes back into the columns the slice took; the others get 0",
                 "[0 | g | 0]"),
    InitialStateLayer: ("the initial state is a parameter: it gets the gradient that reached the "
                        "start of the sequence, averaged over the N observations; the input none",
                        "d state = mean(G);  0 to the input"),
    ElementwiseLayer: ("the gradient times the function's derivative, entry by entry", "g * f'(x)"),
    Layer: ("the layer's own backward", "backward(g)"),
    SquaredError: ("the objective's weight times the derivative of (Y - Yhat)^2",
                   "w * -2 (Y - Yhat)"),
    LogLoss: ("the objective's weight times the derivative of the log loss",
              "w * (Yhat - Y) / (Yhat (1 - Yhat))"),
    CrossEntropy: ("the objective's weight times the derivative of the cross entropy", "w * -Y / Yhat"),
    Objective: ("the objective's weight times its gradient", "w * gradient(Y, Yhat)"),
}
#: the rules of the layers that behave differently per mode, ``{class: {mode: (words,
#: symbols)}}``: ``rule_of`` picks the one of the mode the pass ran in
MODE_RULES = {
    DropoutLayer: {
        "training": ("training mode: the gradient passes where the forward's mask kept the entry, "
                     "scaled as the value was, and is 0 where it dropped it", "g * M / (1 - p)"),
        "inference": ("inference mode: dropout is the identity, the gradient passes unchanged", "g"),
    },
    BatchNormLayer: {
        "training": ("training mode: every row's output depended on the batch's mean and variance, "
                     "so the gradient flows through them too; scale and shift get theirs",
                     "scale / sd * (G - mean(G) - xhat mean(G xhat));  dscale = mean(G xhat);  dshift = mean(G)"),
        "inference": ("inference mode: the running statistics are constants, so the gradient is "
                      "scaled as each entry was; scale and shift get theirs",
                      "G * scale / sd_running;  dscale = mean(G xhat);  dshift = mean(G)"),
    },
}
#: the rule of a fused objective step (``LogLoss`` after a sigmoid, ``CrossEntropy`` after a softmax)
FUSED_RULE = ("the loss and its activation at once: the activation's slope cancels the loss's "
              "division, leaving the error", "w * (Yhat - Y)")
#: the rule of a fully connected layer whose input needs no gradient
PARAMETERS_RULE = ("its input needs no gradient, so only the parameters get theirs",
                   "dW = X^T G / N;  db = mean(G)")
#: the rules of the other layers whose input needs no gradient, by class (looked up along
#: its bases)
PARAMETERS_RULES = {
    FullyConnectedLayer: PARAMETERS_RULE,
    ConvolutionalLayer: ("its input needs no gradient, so only the kernels and biases get theirs",
                         "dK = X * G / N;  db = sum(G) / N"),
}


def rule_of(op, kind=None, mode=None):
    """``(words, symbols)`` of the local rule of ``op``'s backward step of ``kind`` (a
    ``BackwardStep.kind``): the class's own ``backward_rule`` if it declares one, else
    ``MODE_RULES`` for ``mode`` (``'training'`` or ``'inference'``; ``None``: the mode ``op``'s
    last forward ran in) and ``RULES`` along its bases, with ``FUSED_RULE`` and
    ``PARAMETERS_RULES`` for those steps."""
    if kind == FUSED_STEP:
        return FUSED_RULE
    if kind == PARAMETERS_STEP:
        for cls in type(op).__mro__:
            if cls in PARAMETERS_RULES:
                return PARAMETERS_RULES[cls]
    declared = getattr(type(op), "backward_rule", None)
    if declared is not None:
        return tuple(declared)
    for cls in type(op).__mro__:
        if cls in MODE_RULES:
            return MODE_RULES[cls][mode or getattr(op, "ran_in", None) or "training"]
    for cls in type(op).__mro__:
        if cls in RULES:
            return RULES[cls]
    return ("its own backward", "backward(g)")

