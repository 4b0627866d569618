"""graphnn.export's ONNX half for convolutional networks (issue 26): ``Conv``, ``MaxPool``,
``Flatten`` and element-wise layers on ``N x C x H x W`` images, written by ``to_onnx`` and
read by ``from_onnx``; models from ``torch.onnx.export``; what graphnn cannot represent.

Engines: float32 models run in onnxruntime; float64 ones in onnx's reference evaluator, since
onnxruntime's CPU build has no float64 ``Conv`` kernel (checked below, as docs/export.md says).
Tolerances as in ``export_cases.TOLERANCE``; a round trip through ONNX gives graphnn the same
numpy computation again, so its values and gradients are compared exactly.
"""
import io
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from hypothesis import given, settings, strategies as st
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import graphnn as gn
from export_cases import (
    DTYPES, IMAGE, IMAGE_LAYERS, TOLERANCE, cnn_feed, cnn_graph, forward_value, image_layer_graph, images_for,
)
from graphnn.export import OPSET, ExportError, from_onnx, to_onnx

FLOATS = pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])


def run_onnx(model, feed, engine="onnxruntime"):
    """``{output: value}`` of ``model`` on ``feed``, run by onnxruntime (CPU) or by onnx's
    reference evaluator."""
    if engine == "reference":
        names = [o.name for o in model.graph.output]
        return dict(zip(names, ReferenceEvaluator(model).run(None, feed)))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feed)))


def engine_for(dtype):
    """onnxruntime for float32, the reference evaluator for float64 (no float64 Conv in ORT's CPU build)."""
    return "onnxruntime" if dtype == np.float32 else "reference"


def checked(model):
    """The model after onnx's full check and strict shape inference (which raise if it fails)."""
    onnx.checker.check_model(model, full_check=True)
    return onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)


def dims(info):
    return [d.dim_param or d.dim_value for d in info.type.tensor_type.shape.dim]


# ---------------------------------------------------------------------------- to_onnx
@FLOATS
@pytest.mark.parametrize("name", IMAGE_LAYERS)
def test_every_image_layer_runs_with_graphnns_values(name, dtype):
    g = image_layer_graph(name, dtype)
    g.forward(X=images_for(dtype, 2))  # an activation alone fixes no rank: a pass tells it (the model's N stays open)
    model = checked(to_onnx(g, dtype=dtype))
    for n in (1, 7):  # the batch dimension is dynamic
        feed = {"X": images_for(dtype, n)}
        expected = forward_value(g, feed, "out")
        for engine in {engine_for(dtype), "reference"}:
            got = run_onnx(model, feed, engine)["out"]
            assert got.dtype == dtype and got.shape == expected.shape
            np.testing.assert_allclose(got, expected, **TOLERANCE[dtype])


def test_the_operators_and_attributes_written():
    g = gn.Graph()
    h = g.add(gn.ConvolutionalLayer(2, 4, (3, 2), stride=(2, 1), padding=(1, 2), seed=0), g.input("X"), name="conv")
    h = g.add(gn.MaxPoolLayer((3, 2), stride=(1, 2)), h, name="pool")
    g.add(gn.FlatteningLayer(), h, name="flat")
    model = to_onnx(g)
    nodes = {node.name: node for node in model.graph.node}
    assert [node.op_type for node in model.graph.node] == ["Conv", "MaxPool", "Flatten"]
    attributes = {name: {a.name: helper.get_attribute_value(a) for a in node.attribute} for name, node in nodes.items()}
    assert attributes["conv"] == dict(kernel_shape=[3, 2], strides=[2, 1], pads=[1, 2, 1, 2], dilations=[1, 1], group=1)
    assert attributes["pool"] == dict(kernel_shape=[3, 2], strides=[1, 2])  # no pads, floor (ceil_mode 0)
    assert attributes["flat"] == dict(axis=1)
    assert list(nodes["conv"].input) == ["X", "conv.weights", "conv.biases"]
    initializers = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    np.testing.assert_array_equal(initializers["conv.weights"], g.op("conv").weights.value)  # O x C x kh x kw
    assert initializers["conv.biases"].shape == (4,)


def test_inputs_and_outputs_are_declared_batch_first_with_the_sizes_the_graph_fixes():
    g = gn.Graph()
    h = g.add(gn.ConvolutionalLayer(2, 3, 3, seed=0), g.input("X"), name="conv")
    g.add(gn.ReLULayer(), h, name="relu")
    model = checked(to_onnx(g))  # never run: the convolution fixes the channels only
    assert dims(model.graph.input[0]) == ["N", 2, "X_height", "X_width"]
    assert dims(model.graph.output[0]) == ["N", 3, "relu_height", "relu_width"]
    g.forward(X=images_for(np.float64, 2, shape=(2, 6, 5)))  # a pass: every size is known
    model = checked(to_onnx(g))
    assert dims(model.graph.input[0]) == ["N", 2, 6, 5] and dims(model.graph.output[0]) == ["N", 3, 4, 3]
    cnn = cnn_graph(np.float64)  # its InputLayer fixes the image's size, and the layers the rest
    model = checked(to_onnx(cnn, objective=True))
    assert [dims(i) for i in model.graph.input] == [["N", *IMAGE], ["N", 3]]
    assert [dims(o) for o in model.graph.output] == [["N", 3], []]


@FLOATS
def test_the_cnns_prediction_and_objective_agree(dtype):
    g, feed = cnn_graph(dtype), cnn_feed(dtype, n=9)
    J = g.forward(**feed)
    got = run_onnx(checked(to_onnx(g, objective=True)), feed, engine_for(dtype))
    np.testing.assert_allclose(got["p"], g.value("p"), **TOLERANCE[dtype])
    np.testing.assert_allclose(got["loss"], J, **TOLERANCE[dtype])


def test_a_float64_cnn_exported_in_float32_runs_in_onnxruntime():
    g, feed = cnn_graph(np.float64), cnn_feed(np.float64)
    g.forward(**feed)
    got = run_onnx(to_onnx(g, dtype=np.float32), {"X": feed["X"].astype(np.float32)})["p"]
    np.testing.assert_allclose(got, g.value("p"), rtol=1e-5, atol=1e-6)


def test_onnxruntimes_cpu_build_has_no_float64_conv_but_float64_maxpool():
    """What docs/export.md says a float64 convolutional model needs: this keeps it true."""
    X = images_for(np.float64, 2)
    with pytest.raises(Exception, match="NOT_IMPLEMENTED.*Conv"):
        run_onnx(to_onnx(image_layer_graph("Conv", np.float64)), {"X": X})
    g = image_layer_graph("MaxPool", np.float64)
    np.testing.assert_array_equal(run_onnx(to_onnx(g), {"X": X})["out"], forward_value(g, {"X": X}, "out"))


# ---------------------------------------------------------------------------- round trip
def same_after_round_trip(g, feed):
    """``from_onnx(to_onnx(g))`` with ``g``'s objectives added back: the same nodes, values,
    parameter gradients and diagrams."""
    back = from_onnx(to_onnx(g).SerializeToString())
    for name in g.objectives:
        target, estimate = g.predecessors(name)
        back.add(type(g.op(name))(), back.input(target), estimate, name=name)
    assert back.nodes == g.nodes
    assert [g.op(n).describe() for n in g.nodes[1:] if g.op(n)] == [back.op(n).describe() for n in g.nodes[1:] if back.op(n)]
    g.forward(**feed)
    back.forward(**feed)
    for name in g.nodes:
        np.testing.assert_array_equal(back.value(name), g.value(name))
    if g.objectives:
        g.backward()
        back.backward()
        for (node, p), (node_back, p_back) in zip(g.named_parameters(), back.named_parameters()):
            assert node == node_back
            np.testing.assert_array_equal(p_back.grad, p.grad)
        assert back.to_dot(view="gradients").source == g.to_dot(view="gradients").source
    assert back.to_dot().source == g.to_dot().source
    return back


@FLOATS
@pytest.mark.parametrize("name", IMAGE_LAYERS)
def test_round_trip_of_every_image_layer(name, dtype):
    g = image_layer_graph(name, dtype)
    back = same_after_round_trip(g, {"X": images_for(dtype)})
    assert type(back.op("out")) is type(g.op("out"))


@FLOATS
def test_round_trip_of_the_cnn_gives_the_same_values_gradients_and_diagrams(dtype):
    back = same_after_round_trip(cnn_graph(dtype), cnn_feed(dtype))
    assert back.op("conv1").padding == (1, 1) and back.op("pool").stride == (2, 2)
    assert back.op("input").meanX.shape == (1, 2, 1, 1)  # z-scored channel by channel, as graphnn does


@settings(max_examples=20, deadline=None)
@given(
    channels=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    padding=st.tuples(st.integers(0, 1), st.integers(0, 1)),
    pool=st.integers(1, 2),
    n=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_random_convolutions_agree_in_both_engines_and_after_the_round_trip(channels, kernel, stride, padding, pool,
                                                                              n, seed):
    g = gn.Graph()
    h = g.add(gn.ConvolutionalLayer(*channels, kernel, stride=stride, padding=padding, seed=seed), g.input("X"),
              name="conv")
    g.add(gn.MaxPoolLayer(pool), g.add(gn.TanhLayer(), h, name="tanh"), name="pool")
    X = images_for(np.float64, n, seed, shape=(channels[0], 6, 5))
    same_after_round_trip(g, {"X": X})
    expected = g.value("pool")
    np.testing.assert_allclose(run_onnx(to_onnx(g), {"X": X}, "reference")["pool"], expected, **TOLERANCE[np.float64])
    got = run_onnx(to_onnx(g, dtype=np.float32), {"X": X.astype(np.float32)})["pool"]
    np.testing.assert_allclose(got, expected, **TOLERANCE[np.float32])


# ---------------------------------------------------------------------------- from torch.onnx.export
class ViewNet(torch.nn.Module):
    """Conv -> ReLU -> MaxPool -> flattened by ``flatten`` -> Linear."""

    def __init__(self, flatten):
        super().__init__()
        self.conv, self.pool, self.fc, self.flatten = torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.MaxPool2d(2), \
            torch.nn.Linear(12, 2), flatten

    def forward(self, x):
        return self.fc(self.flatten(self.pool(torch.relu(self.conv(x)))))


FLATTENS = {  # how a model flattens, and the ONNX operators torch.onnx.export writes for it
    "view(N, -1)": lambda x: x.view(x.size(0), -1),  # Reshape of Shape/Gather/Unsqueeze/Concat (a fixed batch: a constant)
    "reshape(-1, 12)": lambda x: x.reshape(-1, 12),  # Reshape to the constant [-1, 12]
    "torch.flatten(x, 1)": lambda x: torch.flatten(x, 1),  # Flatten
    "nn.Flatten()": torch.nn.Flatten(),
}


def torch_export(net, dtype=torch.float64, dynamic=True, shape=(2, 2, 4, 4)):
    """``net`` through ``torch.onnx.export`` (the TorchScript exporter: the dynamo one needs
    onnxscript), as bytes; input ``X`` with a dynamic batch ``N`` when ``dynamic``."""
    data = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(shape, dtype=dtype),), data, dynamo=False, input_names=["X"],
                          output_names=["P"], dynamic_axes={"X": {0: "N"}} if dynamic else None)
    return data.getvalue()


@pytest.mark.parametrize("dynamic", [True, False], ids=["dynamic batch", "fixed batch"])
@pytest.mark.parametrize("flatten", FLATTENS)
def test_a_torch_cnn_exported_to_onnx_comes_in_with_torchs_values_and_gradients(flatten, dynamic):
    torch.manual_seed(0)
    net = ViewNet(FLATTENS[flatten]).double()
    g = from_onnx(torch_export(net, dynamic=dynamic))
    assert [type(g.op(n)).__name__ for n in g.nodes[1:]] == [
        "ConvolutionalLayer", "ReLULayer", "MaxPoolLayer", "FlatteningLayer", "FullyConnectedLayer"]
    assert g.nodes[1] == "_conv_Conv"  # torch's node "/conv/Conv", made a graphnn name
    X = images_for(np.float64, 5, shape=(2, 4, 4))  # not the batch of 2 it was traced with
    X_torch = torch.tensor(X, requires_grad=True)
    out = net(X_torch)
    np.testing.assert_allclose(forward_value(g, {"X": X}, g.nodes[-1]), out.detach().numpy(), **TOLERANCE[np.float64])
    Y = np.random.default_rng(1).normal(size=(5, 2))
    g.add(gn.SquaredError(), g.input("Y"), g.nodes[-1], name="loss")
    J = g.forward(X=X, Y=Y)
    g.backward()
    J_torch = ((torch.tensor(Y) - out) ** 2).sum(dim=1).mean()
    J_torch.backward()
    assert J == pytest.approx(J_torch.item(), rel=1e-12)
    np.testing.assert_allclose(g.op("_conv_Conv").weights.grad, net.conv.weight.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(g.op("_conv_Conv").biases.grad, net.conv.bias.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_a_float32_torch_cnn_comes_in_as_float32_and_a_conv_without_bias_gets_zero_biases():
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, bias=False), torch.nn.Tanh(), torch.nn.Flatten())
    g = from_onnx(torch_export(net, torch.float32))
    conv = g.op(g.nodes[1])
    assert conv.weights.value.dtype == np.float32
    np.testing.assert_array_equal(conv.biases.value, np.zeros(3, dtype=np.float32))
    X = images_for(np.float32, 3, shape=(2, 4, 4))
    np.testing.assert_allclose(forward_value(g, {"X": X}, g.nodes[-1]), net(torch.tensor(X)).detach().numpy(),
                               **TOLERANCE[np.float32])


# ---------------------------------------------------------------------------- what graphnn cannot represent
def image_model(nodes, initializers=(), shape=("N", 2, 5, 5), opset=OPSET, out=("N", "C", "H", "W")):
    graph = helper.make_graph(
        nodes, "test", [helper.make_tensor_value_info("X", TensorProto.DOUBLE, list(shape))],
        [helper.make_tensor_value_info("Y", TensorProto.DOUBLE, list(out))], list(initializers),
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def weights(shape=(3, 2, 3, 3)):
    return onnx.numpy_helper.from_array(np.random.default_rng(0).normal(size=shape), "W")


def conv(**attributes):
    return helper.make_node("Conv", ["X", "W"], ["Y"], name="conv", **attributes)


def pool(outputs=("Y",), **attributes):
    return helper.make_node("MaxPool", ["X"], list(outputs), name="pool", **{"kernel_shape": [2, 2], **attributes})


@pytest.mark.parametrize("node, says", [
    (conv(dilations=[2, 2]), r"dilations=\[2, 2\]: a dilated kernel; graphnn's ConvolutionalLayer reads adjacent pixels"),
    (conv(group=2), "group=2: a grouped convolution; graphnn's ConvolutionalLayer connects every input channel"),
    (conv(pads=[1, 0, 0, 0]), r"pads=\[1, 0, 0, 0\]: asymmetric padding \(top, left \[1, 0\] != bottom, right \[0, 0\]\)"),
    (conv(auto_pad="SAME_UPPER"), "auto_pad=SAME_UPPER: padding the engine decides at run time; graphnn's "
                                  "ConvolutionalLayer takes explicit pads"),
    (conv(kernel_shape=[2, 2]), r"kernel_shape=\[2, 2\] for weights of 3 x 2 x 3 x 3"),
    (pool(ceil_mode=1), "ceil_mode=1: windows that run past the image's edge; graphnn's MaxPoolLayer keeps the windows that fit"),
    (pool(pads=[1, 1, 1, 1]), r"pads=\[1, 1, 1, 1\]: a padded pooling; graphnn's MaxPoolLayer does not pad"),
    (pool(storage_order=1), "storage_order=1: column-major indices"),
    (pool(dilations=[2, 1]), r"dilations=\[2, 1\]: a dilated window"),
    (pool(auto_pad="SAME_LOWER"), "auto_pad=SAME_LOWER: padding the engine decides"),
    (pool(outputs=("Y", "I")), "a MaxPool whose Indices output is read; graphnn's MaxPoolLayer gives the maxima only"),
    (helper.make_node("Flatten", ["X"], ["Y"], name="flat", axis=2),
     "Flatten at axis 2; graphnn flattens each observation \\(axis 1\\) only"),
])
def test_image_operators_graphnn_cannot_represent_are_refused_saying_why(node, says):
    model = image_model([node], [weights()] if node.op_type == "Conv" else [],
                        out=("N", "D") if node.op_type == "Flatten" else ("N", "C", "H", "W"))
    if node.output[-1] == "I":  # the indices are an output of the model too
        model.graph.output.append(helper.make_tensor_value_info("I", TensorProto.INT64, ["N", "C", "H", "W"]))
    with pytest.raises(ExportError, match=rf"node '{node.name}' \({node.op_type}\) on the way to output 'Y': {says}"):
        from_onnx(model)


def test_a_maxpool_whose_indices_nobody_reads_is_imported():
    g = from_onnx(image_model([pool(outputs=("Y", "unused"))]))
    assert type(g.op("pool")) is gn.MaxPoolLayer and g.op("pool").stride == (1, 1)  # ONNX's default stride is 1


def test_a_conv_of_another_rank_or_with_computed_weights_is_refused():
    with pytest.raises(ExportError, match=r"a 1-D convolution \(weights 3 x 2 x 3\); graphnn's ConvolutionalLayer is 2-D"):
        from_onnx(image_model([conv()], [weights((3, 2, 3))]))
    with pytest.raises(ExportError, match=r"input 'X' \(needed by output 'Y'\) is N x 2 x 5, 3-D"):  # an N x C x L signal
        from_onnx(image_model([conv()], [weights((3, 2, 3))], shape=("N", 2, 5), out=("N", 3, 3)))
    computed = helper.make_node("Conv", ["X", "X"], ["Y"], name="conv")
    with pytest.raises(ExportError, match="a Conv of a constant, or with computed"):
        from_onnx(image_model([computed]))


def test_valid_padding_and_a_missing_bias_are_what_graphnn_means_by_them():
    g = from_onnx(image_model([conv(auto_pad="VALID", strides=[2, 1])], [weights()]))
    layer = g.op("conv")
    assert (layer.padding, layer.stride, layer.kernel_size) == ((0, 0), (2, 1), (3, 3))
    np.testing.assert_array_equal(layer.biases.value, np.zeros(3))
    X = images_for(np.float64, 2, shape=(2, 5, 5))
    expected = run_onnx(image_model([conv(auto_pad="VALID", strides=[2, 1])], [weights()]), {"X": X}, "reference")["Y"]
    np.testing.assert_allclose(forward_value(g, {"X": X}, "conv"), expected, **TOLERANCE[np.float64])


def reshape_model(shape_constant, input_shape=("N", 2, 3, 3)):
    nodes = [helper.make_node("Reshape", ["X", "shape"], ["Y"], name="reshape")]
    return image_model(nodes, [onnx.numpy_helper.from_array(np.array(shape_constant, dtype=np.int64), "shape")],
                       shape=input_shape, out=["d"] * len(shape_constant))


@pytest.mark.parametrize("target, input_shape", [
    ([0, -1], ("N", 2, 3, 3)), ([-1, 18], ("N", 2, 3, 3)), ([4, -1], (4, 2, 3, 3)), ([4, 18], (4, 2, 3, 3)),
])
def test_a_reshape_that_flattens_each_observation_is_a_flattening_layer(target, input_shape):
    g = from_onnx(reshape_model(target, input_shape))
    assert type(g.op("reshape")) is gn.FlatteningLayer


@pytest.mark.parametrize("target, input_shape, says", [
    ([-1, 6], ("N", 2, 3, 3), r"a Reshape to \[-1, 6\] of a value of N x 2 x 3 x 3, which is not a flattening of each observation"),
    ([-1, 18], ("N", 2, "H", 3), r"a Reshape to \[-1, 18\] of a value of N x 2 x \? x 3, which is not a flattening"),
    ([3, -1], ("N", 2, 3, 3), r"a Reshape to \[3, -1\]"),  # a fixed batch the model does not declare
    ([0, 2, -1], ("N", 2, 3, 3), r"a Reshape to \[0, 2, -1\]"),
])
def test_a_reshape_that_mixes_observations_or_keeps_a_rank_is_refused(target, input_shape, says):
    with pytest.raises(ExportError, match=rf"node 'reshape' \(Reshape\) on the way to output 'Y': {says}"):
        from_onnx(reshape_model(target, input_shape))


def test_an_image_input_of_another_rank_is_refused():
    with pytest.raises(ExportError, match=r"input 'X' \(needed by output 'Y'\) is N x 2 x 5 x 5 x 5, 5-D: graphnn's "
                                          r"values are N x D matrices or N x C x H x W images"):
        from_onnx(image_model([helper.make_node("Relu", ["X"], ["Y"], name="relu")], shape=("N", 2, 5, 5, 5),
                              out=("N", 2, 5, 5, 5)))
