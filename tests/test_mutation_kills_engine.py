"""What mutation testing found unchecked in the engine, ``graphnn.core`` (docs/reliability.md,
"Mutation testing"): which path a pass takes (the compiled program or the textbook loops) and
when the runner must fall back; the weight of an objective on the fast path; what the feed
copies, converts and reuses; the comments of the generated source; and the names, key words,
separators and placeholders of the engine's messages (unknown nodes, "(none)", a missing
objective, a fused step that sends NaN, layers shared by two graphs)."""
import traceback
import weakref

import numpy as np
import pytest

from graphnn import (AddLayer, FullyConnectedLayer, Graph, LogisticSigmoidLayer, LogLoss, ReLULayer,
                     SquaredError, TanhLayer)
from graphnn.core import GraphError, passes
from graphnn.core.plan import Plan
from graphnn.layers.Layer import Layer
from graphnn.parameter import Parameter


def message_of(function, *args, error=GraphError, **kwargs):
    with pytest.raises(error) as info:
        function(*args, **kwargs)
    return str(info.value)


def chain(weight=1.0, fuse=True):
    """``X -> fc1 -> sigmoid1 -> loss(Y, sigmoid1)``, ``N = 4``, ``D = 3``, one output."""
    g = Graph(fuse=fuse)
    g.input("X")
    g.input("Y")
    g.add(FullyConnectedLayer(3, 1, seed=0), "X", name="fc1")
    g.add(LogisticSigmoidLayer(), "fc1", name="sigmoid1")
    g.add(LogLoss(), "Y", "sigmoid1", name="loss", weight=weight)
    rng = np.random.default_rng(0)
    return g, {"X": rng.standard_normal((4, 3)), "Y": np.array([[1.0], [0.0], [1.0], [0.0]])}


def count_calls(g):
    """Record each call of the compiled program's passes: ``['forward', 'backward', ...]``."""
    calls = []
    program = g.fast_path.program
    forward, backward = program.forward, program.backward
    program.forward = lambda *a: calls.append("forward") or forward(*a)
    program.backward = lambda *a: calls.append("backward") or backward(*a)
    return calls


# ------------------------------------------------------------------ the fast path
@pytest.mark.parametrize("fuse", [True, False])
def test_an_objective_of_weight_two_weighs_its_gradient_on_the_fast_path_too(fuse):
    g, feed = chain(weight=2.0, fuse=fuse)
    g.forward(feed)
    g.backward()  # the textbook loops prove the signature
    spine = g.grad("fc1").copy(), g.op("fc1").weights.grad.copy()
    calls = count_calls(g)
    g.forward(feed)
    g.backward()
    assert calls == ["forward", "backward"]
    np.testing.assert_array_equal(g.grad("fc1"), spine[0])
    np.testing.assert_array_equal(g.op("fc1").weights.grad, spine[1])
    unweighted, feed = chain(weight=1.0, fuse=fuse)
    unweighted.forward(feed)
    unweighted.backward()
    np.testing.assert_array_equal(g.grad("fc1"), 2.0 * unweighted.grad("fc1"))
    sent_to = "fc1" if fuse else "sigmoid1"  # past the activation when fused
    assert f"    d_{sent_to} = 2.0 * d_{sent_to}  # times the objective's weight\n" in g.source


def test_targets_in_another_dtype_than_their_estimates_always_run_the_loops():
    """float32 estimates, float64 targets (no parameters, so nothing converts the feed): the
    objective's checks convert the targets, so no signature is proven and every pass gives
    the loops' numbers and dtypes."""
    g = Graph()
    g.input("X", requires_grad=True)
    g.input("Y")
    g.add(LogisticSigmoidLayer(), "X", name="p")
    g.add(LogLoss(), "Y", "p", name="loss")
    X = np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2)
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    J = g.forward(X=X, Y=Y)
    g.backward()
    first = g.grad("X").copy()
    for _ in range(2):
        assert g.forward(X=X, Y=Y) == J
        g.backward()
        assert g.grad("X").dtype == np.float32
        np.testing.assert_array_equal(g.grad("X"), first)
    assert g.fast_path.proven_forward == set() and g.fast_path.proven_backward == set()


class Picky(Layer):
    """The identity, whose backward refuses a gradient above 10 (a check of values, part of
    the math: the fast path runs it too) and counts its calls."""

    def __init__(self):
        super().__init__()
        self.backward_calls = 0

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(dataIn.copy())
        return self.getPrevOut()

    def gradient(self):
        return None

    def backward(self, gradIn):
        self.backward_calls += 1
        if np.abs(gradIn).max() > 10:
            raise ValueError("Picky: gradient above 10")
        return gradIn


def test_each_backward_runs_one_path_and_falls_back_to_the_loops_on_a_value_error():
    g = Graph()
    g.input("X", requires_grad=True)
    g.input("Y")
    picky = Picky()
    g.add(picky, "X", name="picky")
    g.add(SquaredError(), "Y", "picky", name="loss")
    X, small, large = np.ones((2, 1)), np.zeros((2, 1)), np.full((2, 1), 100.0)
    g.forward(X=X, Y=small)
    g.backward()
    calls = count_calls(g)
    for _ in range(2):
        g.forward(X=X, Y=small)
        g.backward()
    assert calls == ["forward", "backward"] * 2 and picky.backward_calls == 3  # one per backward
    g.forward(X=X, Y=large)
    assert "Picky: gradient above 10" in message_of(g.backward, error=ValueError)
    # the program met it first, then the loops ran the step again and raised it
    assert calls[-2:] == ["forward", "backward"] and picky.backward_calls == 5
    assert not g.has_gradients


def test_the_runner_fills_and_proves_only_the_record_of_its_last_pass():
    g, feed = chain()
    g.forward(feed)
    g.backward()
    g.forward(feed)
    g.backward()  # proven both ways: the program ran
    old = g.last_pass
    g.forward(feed)
    assert g.fast_path.backward(old) is False  # not its last pass: the graph would run the loops
    # a new signature, forward only; a backward proven for an older record proves nothing
    runner = g.fast_path
    proven = set(runner.proven_backward)
    g.forward({"X": feed["X"][:2], "Y": feed["Y"][:2]})
    runner.backward_proven(old)
    assert runner.proven_backward == proven
    g.recompile()  # a new plan, a new runner that has run no pass yet
    assert g.fast_path.backward(old) is False
    g.fast_path.backward_proven(old)
    assert g.fast_path.proven_backward == set()


class Negate(Layer):
    """``-x``, whose backward is a numpy function (no ``__func__``): called as it is."""

    def forward(self, dataIn):
        self.setPrevIn(dataIn)
        self.setPrevOut(-dataIn)
        return self.getPrevOut()

    def gradient(self):
        return None

    backward = np.negative


def test_a_method_that_is_not_a_python_method_is_called_as_it_is():
    g = Graph.sequential(FullyConnectedLayer(2, 1, seed=0), Negate(), objective=SquaredError())
    feed = {"X": np.ones((3, 2)), "Y": np.zeros((3, 1))}
    grads = []
    for _ in range(3):
        g.forward(feed)
        g.backward()
        grads.append(g.op("fc1").weights.grad.copy())
    assert g.fast_path.proven_backward
    np.testing.assert_array_equal(grads[2], grads[0])


def test_a_checked_method_of_another_layer_set_on_the_object_is_called_as_it_is():
    """``a.forward = b.forward``: both paths call ``b``'s (checked) forward, with ``b``'s
    weights, not the math of ``a``'s class bound to ``a``."""
    a, b = FullyConnectedLayer(2, 1, seed=0), FullyConnectedLayer(2, 1, seed=1)
    a.forward = b.forward
    g = Graph.sequential(a, objective=SquaredError())
    feed = {"X": np.ones((3, 2)), "Y": np.zeros((3, 1))}
    J = g.forward(feed)
    calls = count_calls(g)
    assert g.forward(feed) == J and calls == ["forward"]
    np.testing.assert_array_equal(g.value("fc1"), np.ones((3, 2)) @ b.weights.value + b.biases.value)


def test_the_program_names_its_frames_in_tracebacks():
    class Failing(TanhLayer):
        calls = 0

        def forward(self, dataIn):
            Failing.calls += 1
            if Failing.calls == 3:
                raise RuntimeError("Failing: third call")
            return super().forward(dataIn)

    g = Graph.sequential(Failing(), objective=SquaredError())
    feed = {"X": np.ones((2, 2)), "Y": np.zeros((2, 2))}
    g.forward(feed)
    g.forward(feed)
    with pytest.raises(RuntimeError) as info:
        g.forward(feed)  # the program's call
    frames = traceback.extract_tb(info.value.__traceback__)
    assert ("<graphnn program>", "forward") in [(f.filename, f.name) for f in frames]


# ------------------------------------------------------------------ the feed
def test_copy_false_feeds_the_callers_arrays_and_the_default_copies():
    g, feed = chain()
    g.forward(feed, copy=False)
    assert g.value("X") is feed["X"] and g.value("Y") is feed["Y"]
    g.forward(feed)
    assert g.value("X") is not feed["X"] and not np.shares_memory(g.value("X"), feed["X"])
    values = g.fast_path.feed.values(dict(feed))  # Feed.values copies by default, too
    assert values["X"] is not feed["X"] and not np.shares_memory(values["X"], feed["X"])


def test_copy_false_reads_a_converted_view_in_place():
    """A masked array is converted to a plain array over the same memory: with
    ``copy=False`` that view is what the pass reads, no copy."""
    g, feed = chain()
    X = feed["X"].view(np.ma.MaskedArray)
    g.forward(X=X, Y=feed["Y"], copy=False)
    assert type(g.value("X")) is np.ndarray and np.shares_memory(g.value("X"), feed["X"])
    g.forward(X=X, Y=feed["Y"])  # copied by default: backward reads X
    assert not np.shares_memory(g.value("X"), feed["X"])


class Holder:
    """An array-like that hands out the array it holds (as some array libraries do)."""

    def __init__(self, data):
        self.data = data

    def __array__(self, dtype=None, copy=None):
        return self.data


def test_an_array_like_handing_out_its_own_array_is_copied_before_backward_reads_it():
    g, feed = chain()
    held = Holder(feed["X"].copy())
    for _ in range(2):  # the second pass writes into the first pass's copy
        g.forward(X=held, Y=feed["Y"])
        held.data[...] = 100.0  # changed in place after forward: backward must not see it
        g.backward()
        reference, _ = chain()
        reference.forward(feed)
        reference.backward()
        np.testing.assert_array_equal(g.op("fc1").weights.grad, reference.op("fc1").weights.grad)
        held.data[...] = feed["X"]
    assert set(g.fast_path.feed.copies) == {"X", "Y"}


def test_a_value_that_conversion_made_is_private_already():
    g, feed = chain()
    g.forward(X=feed["X"].tolist(), Y=feed["Y"])  # a list: converted, into a new array
    assert set(g.fast_path.feed.copies) == {"Y"}
    np.testing.assert_array_equal(g.value("X"), feed["X"])


def test_half_precision_meets_a_network_without_parameters_as_float32():
    g = Graph.sequential(ReLULayer())
    g.forward(X=np.ones((2, 3), dtype=np.float16))
    assert g.plan.dtype is None
    assert g.value("X").dtype == np.float32 and g.value("relu1").dtype == np.float32


def test_the_private_copy_is_reused_when_only_the_layers_reading_it_hold_it():
    """X feeds two layers and both slots of an AddLayer (which remembers a list): four
    references the layers keep, counted, so the copy is written in place each pass."""
    g = Graph()
    g.input("X", requires_grad=True)
    g.input("Y")
    g.add(FullyConnectedLayer(2, 2, seed=0), "X", name="fc1")
    g.add(FullyConnectedLayer(2, 2, seed=1), "X", name="fc2")
    g.add(AddLayer(), "X", "X", name="twice")
    g.add(AddLayer(3), "fc1", "fc2", "twice", name="sum")
    g.add(SquaredError(), "Y", "sum", name="loss")
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    g.forward(X=X, Y=Y)
    g.backward()
    copy = weakref.ref(g.fast_path.feed.copies["X"])
    for scale in (2.0, 3.0):
        g.forward(X=scale * X, Y=Y)
        g.backward()
        assert g.fast_path.feed.copies["X"] is copy()
        np.testing.assert_array_equal(copy(), scale * X)


# ------------------------------------------------------------------ the generated source
class Mix(Layer):
    """``a * w + b``: two inputs and one parameter ``w`` (``1 x D``)."""

    n_inputs = 2

    def __init__(self, width):
        super().__init__()
        self.w = Parameter(np.ones((1, width)), "w")

    def parameters(self):
        return (self.w,)

    def forward(self, a, b):
        self.setPrevIn([a, b])
        self.setPrevOut(a * self.w.value + b)
        return self.getPrevOut()

    def gradient(self):
        return None

    def backward(self, gradIn):
        a, _ = self.getPrevIn()
        self.w.grad += (gradIn * a).sum(axis=0, keepdims=True) / len(a)
        return gradIn * self.w.value, gradIn


def mixed_twice():
    """y -> loss <- twice = mix + mix, mix = Mix(a, b): a parameters-only step and a fan-out."""
    g = Graph()
    for name in ("a", "b", "y"):
        g.input(name)
    g.add(Mix(2), "a", "b", name="mix")
    g.add(AddLayer(), "mix", "mix", name="twice")
    g.add(SquaredError(), "y", "twice", name="loss")
    return g


def test_the_source_comments_say_what_each_backward_step_is():
    g, _ = chain()
    source = g.source
    assert ("    d_fc1 = loss_fused_gradient(Y, sigmoid1)  # LogLoss fused with sigmoid1: "
            "Yhat - Y, sent to fc1\n") in source
    assert ("    fc1_backward_parameters(d_fc1)  # FullyConnectedLayer 3->1: parameter gradients "
            "only, its input needs none\n") in source
    assert "    fc1_zero_grad()\n" in source
    g, _ = chain(fuse=False)
    assert ("    d_sigmoid1 = loss_gradient(Y, sigmoid1)  # LogLoss: dJ/dYhat per observation, "
            "sent to sigmoid1\n") in g.source
    assert "    d_fc1 = sigmoid1_backward(d_sigmoid1)  # LogisticSigmoidLayer\n" in g.source

    g = mixed_twice()
    source = g.source
    assert ("    mix_backward_parameters(d_mix)  # Mix: parameter gradients only, "
            "its inputs need none\n") in source
    assert ("    d_mix_from_twice, d_mix_from_twice_ = twice_backward(d_twice)  "
            "# AddLayer 2 inputs\n") in source
    feed = {"a": np.ones((2, 2)), "b": np.ones((2, 2)), "y": np.zeros((2, 2))}
    for _ in range(2):
        g.forward(feed)
        g.backward()
    # d_twice = 2 (2 (a w + b) - y) = 8, sent to mix twice: 16, times a, the mean over rows
    np.testing.assert_array_equal(g.op("mix").w.grad, [[16.0, 16.0]])


def test_the_source_writes_each_function_as_by_hand():
    g = mixed_twice()
    source = g.source
    assert "in topological order; returns J.\"\"\"\n" in source
    assert "in reverse topological order;\n    returns (grads, sent): " in source
    assert "sent back to its sources.\"\"\"\n" in source
    # one gradient per source: a tuple of one has its comma, a longer one none at its end
    assert "        'twice': (d_mix_from_twice, d_mix_from_twice_),\n" in source
    assert "        'mix': (None, None),\n" in source and "        'loss': (None, d_twice),\n" in source
    g, _ = chain()
    assert "        'loss': (d_fc1,),\n" in g.source
    assert "    return None\n" in Graph.sequential(ReLULayer()).source  # no objective, no J


def test_an_objective_between_two_computed_values_sends_to_its_estimate_only():
    """``loss(a, b)``: its target ``a`` is computed by a trainable layer too, but only the
    estimate ``b`` gets a gradient, so ``h`` (read by both) receives one, from ``b``."""
    g = Graph()
    g.input("x")
    g.add(FullyConnectedLayer(2, 2, seed=0), "x", name="h")
    g.add(FullyConnectedLayer(2, 2, seed=1), "h", name="a")
    g.add(FullyConnectedLayer(2, 2, seed=2), "h", name="b")
    g.add(SquaredError(), "a", "b", name="loss")
    assert "    d_h = b_backward(d_b)  # FullyConnectedLayer 2->2\n" in g.source
    assert "a_backward" not in g.source


def test_the_backward_function_reads_only_what_the_objectives_read():
    g, _ = chain(fuse=False)
    backward = g.source.split("def backward(values, record):")[1]
    reads = [line for line in backward.splitlines() if "= values[" in line]
    assert reads == ["    Y = values['Y']", "    sigmoid1 = values['sigmoid1']"]


# ------------------------------------------------------------------ the plan
def test_a_plan_fuses_by_default_as_a_graph_does():
    g, _ = chain()
    assert Plan(g.nx).fused == g.fused == {"loss": "sigmoid1"}
    assert Plan(g.nx, fuse=False).fused == {}


def test_only_layers_holding_a_parameter_another_layer_holds_share():
    g, _ = chain()
    assert g.plan.sharing == frozenset()  # fc1's weights and biases are two parameters of its own
    assert "keep_parameter_sums" not in g.source
    g = Graph()
    g.input("x")
    g.input("y")
    fc1, fc2 = FullyConnectedLayer(2, 2, seed=0), FullyConnectedLayer(2, 2, seed=1)
    fc2.weights = fc1.weights
    g.add(fc1, "x", name="fc1")
    g.add(fc2, "fc1", name="fc2")
    g.add(FullyConnectedLayer(2, 2, seed=2), "fc2", name="fc3")
    g.add(SquaredError(), "y", "fc3", name="loss")
    assert g.plan.sharing == frozenset({"fc1", "fc2"})


# ------------------------------------------------------------------ messages
def test_a_bad_name_or_source_says_the_rule():
    g, _ = chain()
    assert message_of(g.input, "2x").endswith("letters, digits, '_', '.' or '-', not starting with a digit")
    assert message_of(g.add, ReLULayer(), "loss").endswith(
        "reads objective 'loss': an objective's value is a number that ends the graph, "
        "it cannot feed another node")


def test_a_layer_added_twice_says_where_it_is_and_how_to_share_weights():
    g, _ = chain()
    fc = g.op("fc1")
    assert message_of(g.add, fc, "X").startswith(
        "cannot add node '(unnamed)': this FullyConnectedLayer 3->1 is already node 'fc1', ")
    message = message_of(g.add, fc, "X", name="fc2")
    assert message.startswith("cannot add node 'fc2': ")
    assert message.endswith(
        "so it can sit at one node only (to share weights, give two layers the same Parameter)")


def swapped_message(n_layers):
    g = Graph()
    g.input("X")
    g.input("Y")
    node = "X"
    for k in range(1, n_layers + 1):
        node = g.add(FullyConnectedLayer(2, 2, seed=k), node, name=f"fc{k}")
    return message_of(g.add, SquaredError(), node, "Y", name="loss")


def test_slots_that_look_swapped_name_up_to_three_trainable_layers():
    assert "computed by trainable layer(s) 'fc1', while its estimate" in swapped_message(1)
    assert "computed by trainable layer(s) 'fc1', 'fc2', 'fc3', while its estimate" in swapped_message(3)
    message = swapped_message(4)
    assert message.startswith(
        "node 'loss' (SquaredError): its slots look swapped. Its target (slot 0) 'fc4' ")
    assert ("computed by trainable layer(s) 'fc1', 'fc2', 'fc3', ..., "
            "while its estimate (slot 1) 'Y' ") in message
    assert "could learn from it. An objective reads (target, estimate), targets first (" in message
    assert "take the prediction first): g.add(SquaredError(), 'Y', 'fc4'). If 'Y' really is" in message
    assert message.endswith("build it with requires_grad=True")


def test_an_unknown_node_lists_the_nodes_or_none():
    assert message_of(Graph().op, "fc") == "unknown node 'fc'; nodes: (none)"
    g, feed = chain()
    assert message_of(g.op, "fc") == \
        "unknown node 'fc'; nodes: 'X', 'Y', 'fc1', 'sigmoid1', 'loss'"
    assert message_of(g.connect, "fc1", "fc", 0).endswith("nodes: 'X', 'Y', 'fc1', 'sigmoid1', 'loss'")
    g.forward(feed)
    assert message_of(g.last_pass.value, "fc").endswith("; nodes: 'X', 'Y', 'fc1', 'sigmoid1', 'loss'")
    empty = Graph()
    assert empty.forward() is None
    assert message_of(empty.last_pass.value, "fc") == "unknown node 'fc'; nodes: (none)"


def test_a_class_whose_signature_cannot_be_read_gets_an_instance_hint_with_arguments():
    class Odd(ReLULayer):
        __signature__ = "unreadable"  # inspect.signature raises TypeError

    assert message_of(Graph().add, Odd).endswith("pass an instance, Odd(...)")


def test_an_unknown_input_names_the_inputs_and_hints_at_an_objective_only_without_one():
    g, feed = chain()
    assert message_of(g.forward, X=feed["X"], Y=feed["Y"], Z=feed["Y"]).endswith("; inputs: ['X', 'Y']")
    g = Graph.sequential(FullyConnectedLayer(2, 1, seed=0), LogisticSigmoidLayer())
    message = message_of(g.forward, X=np.ones((2, 2)), Z=np.ones((2, 1)))
    assert "inputs: ['X']. The graph has no objective" in message
    assert message.endswith("add one, e.g. Graph.sequential(..., objective=LogLoss()), or "
                            "g.add(LogLoss(), g.input('Z'), 'sigmoid1')")


def test_backward_without_an_objective_says_what_to_add():
    g = Graph.sequential(FullyConnectedLayer(2, 1, seed=0), LogisticSigmoidLayer())
    assert message_of(g.backward).startswith("backward: call forward first")
    g.forward(X=np.ones((2, 2)))
    message = message_of(g.backward)
    assert message.startswith("backward: the graph has no objective")
    assert "(forward returned None, as J needs one). Add one reading (target, estimate), e.g. " in message
    assert message.endswith("e.g. g.add(LogLoss(), g.input('Y'), 'sigmoid1') or "
                            "Graph.sequential(..., objective=LogLoss())")


def test_a_node_refusing_its_inputs_lists_every_shape_it_read():
    g = Graph()
    g.input("a")
    g.input("b")
    g.add(AddLayer(), "a", "b")
    assert message_of(g.forward, a=np.ones((2, 3)), b=np.ones((2, 4))).startswith(
        "node 'add1' (AddLayer 2 inputs) reading [a 2 x 3, b 2 x 4]: ")


def test_check_finite_names_a_fused_step_by_its_activation():
    class Exploding(LogLoss):  # fused with the sigmoid still: only the activation's class counts
        def fused_gradient(self, Y, Yhat):
            return super().fused_gradient(Y, Yhat) * np.inf

    g = Graph.sequential(FullyConnectedLayer(3, 1, seed=0), LogisticSigmoidLayer(), objective=Exploding())
    assert g.fused == {"exploding1": "sigmoid1"}
    g.forward(X=np.ones((2, 3)), Y=np.array([[1.0], [0.0]]))
    message = message_of(g.backward, check_finite=True, error=FloatingPointError)
    assert message.startswith(
        "node 'sigmoid1 -> fc1' (LogisticSigmoidLayer): gradient 2 x 1 holds 2 NaN or inf")


def test_the_gradient_questions_say_what_to_run():
    g, feed = chain()
    g.forward(feed)
    assert message_of(g.last_pass.backward_steps).endswith("call backward first")
    g.backward()
    assert message_of(g.grad, "X").startswith("input 'X' is a constant: ")
    g.forward(feed)
    message = message_of(g.grad, "fc1")
    assert message.startswith("no gradients for 'fc1': a later forward pass")
    assert message.endswith("replaced those of the last backward; call backward again")


def test_a_record_of_the_loops_run_on_their_own_is_of_a_pass_without_backward_yet():
    """``passes.forward`` alone (no graph to set the record's mode or say whether a backward
    was replaced): no node is mode-dependent, and no earlier backward was replaced."""
    g, feed = chain()
    record = passes.forward(g.plan, dict(feed))
    assert record.mode_of("fc1") is None and record.mode_of("X") is None
    assert message_of(record.grad, "fc1") == "no gradients for 'fc1' yet: call forward, then backward"


def test_no_gradient_names_the_constant_inputs_upstream_of_an_objectives_estimate():
    g = Graph()
    for name in ("b", "a", "y"):
        g.input(name)
    g.add(AddLayer(), "b", "a", name="sum")
    g.add(SquaredError(), "y", "sum", name="loss")
    g.forward(a=np.ones((2, 1)), b=np.ones((2, 1)), y=np.zeros((2, 1)))
    g.backward()
    message = message_of(g.grad_out, "loss")
    assert message.startswith("the gradient out of node 'loss' was not computed")
    assert "build the input(s) 'a', 'b' with requires_grad=True" in message
    assert message.endswith("run forward and backward again")


def test_a_backward_overtaken_by_another_graphs_forward_says_how_to_go_on():
    fc = FullyConnectedLayer(2, 1, seed=0)
    train = Graph.sequential(fc, objective=SquaredError())
    predict = Graph.sequential(fc)
    feed = {"X": np.ones((2, 2)), "Y": np.zeros((2, 1))}
    train.forward(feed)
    predict.forward(X=np.ones((3, 2)))
    message = message_of(train.backward)
    assert message.startswith("backward: layer 'fc1' (FullyConnectedLayer 2->1) is also node 'fc1'")
    assert "wrong gradients from it. Run this graph's forward again, then backward (" in message
    assert "its own layer objects, sharing Parameters if they should share weights)" in message
