"""graphnn.export's ONNX half (issue 18): to_onnx checked by onnx's own checker and shape
inference and run by onnxruntime; from_onnx of graphnn's own models (the round trip), of a
``torch.onnx.export`` and of an sklearn ``MLPClassifier`` through skl2onnx; bad input.

Tolerances: onnxruntime's outputs must equal graphnn's forward values to ``rtol 1e-12`` in
float64 and ``rtol 1e-5`` in float32 (``export_cases.TOLERANCE``); a round trip through ONNX
gives graphnn the same numpy computation again, so its values are compared exactly.
"""
import io
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import given, settings, strategies as st
from onnx import TensorProto, helper

import graphnn as gn
from export_cases import (
    DTYPES, LAYERS, OBJECTIVES, TOLERANCE, feed_for, forward_value, layer_graph, mixed_graph, objective_case,
)
from graphnn.export import OPSET, ExportError, from_onnx, to_onnx

FLOATS = pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])


def run_onnx(model, feed):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feed)))


def checked(model):
    """The model after onnx's full check and strict shape inference (which raise if it fails)."""
    onnx.checker.check_model(model, full_check=True)
    return onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)


@FLOATS
@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_runs_in_onnxruntime_with_graphnns_values(name, dtype):
    g = layer_graph(name, dtype)
    model = checked(to_onnx(g, dtype=dtype))
    for n in (1, 7):  # the batch dimension is dynamic
        feed = feed_for(g, dtype, n=n)
        expected = forward_value(g, feed, "out")
        got = run_onnx(model, feed)["out"]
        assert got.dtype == dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, **TOLERANCE[dtype])


@FLOATS
def test_z_scoring_maps_a_constant_column_to_zero_in_onnxruntime(dtype):
    g = layer_graph("InputLayer", dtype)
    got = run_onnx(to_onnx(g, dtype=dtype), feed_for(g, dtype))["out"]
    assert np.all(got[:, 2] == 0)  # std 0: 0, as graphnn gives, not NaN or inf
    mean, std = np.array([2.2, 0.9]), np.array([np.std([1, 2, 0, 5, 3], ddof=1), np.std([-2, 0.5, 3, 1, 2], ddof=1)])
    np.testing.assert_allclose(got[:, :2], (feed_for(g, dtype)["X"][:, :2] - mean) / std, **TOLERANCE[dtype])


@FLOATS
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_the_objective_is_a_second_output_equal_to_graphnns(objective, dtype):
    g, feed = objective_case(objective, dtype, 9)
    J = g.forward(**feed)
    got = run_onnx(checked(to_onnx(g, objective=True)), feed)
    assert set(got) == {"loss", g.predecessors("loss")[1]}
    np.testing.assert_allclose(got["loss"], J, **TOLERANCE[dtype])
    np.testing.assert_allclose(got[g.predecessors("loss")[1]], g.value(g.predecessors("loss")[1]), **TOLERANCE[dtype])


def test_the_model_names_inputs_nodes_and_parameters_after_the_graph(tmp_path):
    g = mixed_graph(np.float64, gn.LogLoss())
    path = tmp_path / "model.onnx"
    model = to_onnx(g, path)
    assert onnx.load(str(path)) == model
    assert [(o.domain, o.version) for o in model.opset_import] == [("", OPSET)]
    assert [i.name for i in model.graph.input] == ["X"]  # Y is the objective's, not needed
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert (dims[0].dim_param, dims[1].dim_value) == ("N", 3)
    assert [o.name for o in model.graph.output] == ["estimate"]
    names = {node.name for node in model.graph.node}
    assert {"input", "input.scale", "fc_a", "fc_b", "head", "estimate"} <= names
    initializers = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    np.testing.assert_array_equal(initializers["head.weights"], g.op("head").weights.value)
    np.testing.assert_array_equal(initializers["fc_a.biases"], g.op("fc_a").biases.value)
    assert model.graph.node[[n.name for n in model.graph.node].index("head")].op_type == "Gemm"


def test_a_float64_graph_exports_in_float32_on_request():
    g = layer_graph("FullyConnectedLayer", np.float64)
    model = to_onnx(g, dtype=np.float32)
    feed = feed_for(g, np.float32)
    np.testing.assert_allclose(run_onnx(model, feed)["out"], forward_value(g, feed, "out"), rtol=1e-5)


# ---------------------------------------------------------------------------- round trip
def same_graph_after_round_trip(g, feed):
    """Import ``to_onnx(g)``, add ``g``'s objectives back by name; compare values and DOT."""
    back = from_onnx(to_onnx(g).SerializeToString())
    for name in g.objectives:
        target, estimate = g.predecessors(name)
        back.add(type(g.op(name))(), back.input(target), estimate, name=name)
    assert back.nodes == g.nodes
    assert back.training  # a graph read from ONNX trains, as any new graph
    back.training = g.training  # dropout, batch norm: compare in the same mode
    assert back.to_dot().source == g.to_dot().source  # before any pass
    g.forward(**feed)
    back.forward(**feed)
    for name in g.nodes:
        np.testing.assert_array_equal(back.value(name), g.value(name))
    assert back.to_dot().source == g.to_dot().source  # with shapes
    if g.objectives:
        g.backward()
        back.backward()
        assert back.to_dot(view="gradients").source == g.to_dot(view="gradients").source
    return back


@FLOATS
@pytest.mark.parametrize("name", LAYERS)
def test_round_trip_of_every_layer(name, dtype):
    g = layer_graph(name, dtype)
    back = same_graph_after_round_trip(g, feed_for(g, dtype))
    assert type(back.op("out")) is type(g.op("out"))


@FLOATS
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_round_trip_of_a_dag_with_every_layer_gives_the_same_values_and_diagrams(objective, dtype):
    g, feed = objective_case(objective, dtype, 8)
    back = same_graph_after_round_trip(g, feed)
    for (node, p), (node_back, p_back) in zip(g.named_parameters(), back.named_parameters()):
        assert node == node_back
        np.testing.assert_array_equal(p_back.grad, p.grad)


ACTIVATIONS = [gn.ReLULayer, gn.LogisticSigmoidLayer, gn.TanhLayer, gn.SoftmaxLayer, gn.LinearLayer]


@settings(max_examples=25)
@given(
    widths=st.lists(st.integers(1, 5), min_size=2, max_size=5),
    activations=st.lists(st.sampled_from(ACTIVATIONS), min_size=4, max_size=4),
    n=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_random_chains_agree_in_onnxruntime_and_after_the_round_trip(widths, activations, n, seed):
    rng = np.random.default_rng(seed)
    layers = []
    for k, (size_in, size_out) in enumerate(zip(widths, widths[1:])):
        fc = gn.FullyConnectedLayer(size_in, size_out, rng=rng)
        fc.setWeights(rng.normal(size=(size_in, size_out)))
        layers += [fc, activations[k]()]
    g = gn.Graph.sequential(*layers)
    feed = {"X": rng.normal(size=(n, widths[0]))}
    same_graph_after_round_trip(g, feed)
    expected = g.value(g.nodes[-1])
    np.testing.assert_allclose(run_onnx(to_onnx(g), feed)[g.nodes[-1]], expected, **TOLERANCE[np.float64])


# ---------------------------------------------------------------------------- models from elsewhere
def test_a_torch_onnx_export_of_a_sequential_loads_runs_and_draws_its_gradients():
    import torch  # the [torch] extra: CI installs it
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4), torch.nn.ReLU(),
        torch.nn.Linear(4, 2), torch.nn.Softmax(dim=1),
    ).double()
    data = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript exporter (dynamo=False) is deprecated, and needs no onnxscript
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            net, (torch.zeros(2, 3, dtype=torch.float64),), data, dynamo=False,
            input_names=["X"], output_names=["P"], dynamic_axes={"X": {0: "N"}},
        )
    g = from_onnx(data.getvalue())
    assert [type(g.op(n)).__name__ for n in g.nodes[1:]] == [
        "FullyConnectedLayer", "TanhLayer", "FullyConnectedLayer", "ReLULayer", "FullyConnectedLayer", "SoftmaxLayer",
    ]
    assert g.nodes[1] == "_0_Gemm"  # torch's node "/0/Gemm", made a graphnn name
    X = np.random.default_rng(0).normal(size=(10, 3))
    last = g.nodes[-1]
    np.testing.assert_allclose(forward_value(g, {"X": X}, last), net(torch.tensor(X)).detach().numpy(), rtol=1e-12)
    g.add(gn.CrossEntropy(), g.input("Y"), last, name="loss")
    g.forward(X=X, Y=np.eye(2)[np.arange(10) % 2])
    g.backward()
    dot = g.to_dot(view="gradients").source
    assert "_0_Gemm" in dot and "mean" in dot


def test_an_sklearn_mlpclassifier_through_skl2onnx_loads_its_probability_path():
    from sklearn.neural_network import MLPClassifier
    from skl2onnx import to_onnx as skl_to_onnx

    rng = np.random.default_rng(0)
    X, labels = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)
    with warnings.catch_warnings():  # a few iterations only: sklearn warns it did not converge
        warnings.simplefilter("ignore")
        clf = MLPClassifier(hidden_layer_sizes=(5,), activation="tanh", max_iter=30, random_state=0).fit(X, labels)
    model = skl_to_onnx(clf, X[:1], options={id(clf): {"zipmap": False}})
    with pytest.raises(ExportError, match=r"node 'Cast1' \(Cast\) on the way to output 'label'.*'probabilities'"):
        from_onnx(model)  # the label path (ArgMax, ArrayFeatureExtractor, Cast) has no layers
    g = from_onnx(model, outputs=["probabilities"])
    kinds = [type(g.op(n)).__name__ for n in g.nodes[1:]]
    assert kinds == ["FullyConnectedLayer", "TanhLayer", "FullyConnectedLayer", "SoftmaxLayer", "LinearLayer"]
    np.testing.assert_allclose(forward_value(g, {"X": X}, "Identity"), clf.predict_proba(X), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g.op("MatMul").weights.value, clf.coefs_[0])
    g.add(gn.CrossEntropy(), g.input("Y"), "Identity", name="loss")
    J = g.forward(X=X, Y=np.eye(3)[labels])
    assert J == pytest.approx(-np.mean(np.log(clf.predict_proba(X)[np.arange(60), labels])), rel=1e-12)
    g.backward()
    assert "FullyConnectedLayer 4-&gt;5" in g.to_dot(view="gradients").source


def test_a_normalisation_by_constants_becomes_an_input_layer():
    mean, std = np.array([[1.0, -2.0]]), np.array([[2.0, 0.5]])
    nodes = [helper.make_node("Sub", ["X", "m"], ["c"], name="centre"), helper.make_node("Div", ["c", "s"], ["Z"], name="scale")]
    g = from_onnx(make_model(nodes, [from_array(mean, "m"), from_array(std, "s")], outputs=["Z"]))
    assert g.nodes == ["X", "centre"] and isinstance(g.op("centre"), gn.InputLayer)
    X = np.array([[3.0, 0.0], [1.0, -2.5]])
    np.testing.assert_array_equal(forward_value(g, {"X": X}, "centre"), [[1.0, 4.0], [0.0, -1.0]])


# ---------------------------------------------------------------------------- bad input
def from_array(array, name):
    return onnx.numpy_helper.from_array(np.asarray(array), name)


def make_model(nodes, initializers=(), outputs=("Y",), opset=OPSET):
    graph = helper.make_graph(
        nodes, "test", [helper.make_tensor_value_info("X", TensorProto.DOUBLE, ["N", 2])],
        [helper.make_tensor_value_info(o, TensorProto.DOUBLE, ["N", 2]) for o in outputs], list(initializers),
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def test_a_graph_with_no_prediction_is_refused():
    g = gn.Graph()
    g.input("X")
    with pytest.raises(ExportError, match="no prediction to export"):
        to_onnx(g)
    g.add(gn.SquaredError(), g.input("Y"), "X")  # an objective reading the data itself
    with pytest.raises(ExportError, match="no prediction to export"):
        to_onnx(g)


def test_objective_output_needs_an_objective():
    with pytest.raises(ExportError, match="objective=True, but the graph has no objective"):
        to_onnx(layer_graph("ReLULayer", np.float64), objective=True)


@pytest.mark.parametrize("opset", [12, 22, 99])
def test_to_onnx_refuses_an_opset_it_does_not_write(opset):
    with pytest.raises(ExportError, match=rf"opset {opset} is not one graphnn writes: choose one of 13..21"):
        to_onnx(layer_graph("ReLULayer", np.float64), opset=opset)


def test_from_onnx_refuses_an_opset_it_does_not_know():
    model = make_model([helper.make_node("Relu", ["X"], ["Y"])], opset=23)
    with pytest.raises(ExportError, match="opset 23, which graphnn does not know: it reads opsets 9..22"):
        from_onnx(model)


def test_a_file_that_is_not_onnx_is_refused_with_its_name(tmp_path):
    path = tmp_path / "notes.onnx"
    path.write_text("these are my lecture notes, not a model\n")
    with pytest.raises(ExportError, match=r"'.*notes.onnx' is not an ONNX model, or is truncated \(40 bytes\)"):
        from_onnx(path)


def test_a_truncated_file_is_refused(tmp_path):
    data = to_onnx(mixed_graph(np.float64, gn.LogLoss())).SerializeToString()
    path = tmp_path / "cut.onnx"
    for size in (len(data) // 2, len(data) - 3):
        path.write_bytes(data[:size])
        with pytest.raises(ExportError, match=r"cut.onnx' is not (an ONNX model, or is truncated|a valid ONNX model)"):
            from_onnx(path)


def test_an_empty_or_missing_file_is_refused(tmp_path):
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(ExportError, match="empty.onnx' is empty, not an ONNX model"):
        from_onnx(tmp_path / "empty.onnx")
    with pytest.raises(ExportError, match="cannot read ONNX file '.*missing.onnx': No such file"):
        from_onnx(tmp_path / "missing.onnx")


def test_an_unsupported_operator_is_refused_naming_it_and_its_node():
    nodes = [helper.make_node("Relu", ["X"], ["h"], name="first"), helper.make_node("LeakyRelu", ["h"], ["Y"], name="leaky")]
    with pytest.raises(ExportError, match=r"node 'leaky' \(LeakyRelu\) on the way to output 'Y': graphnn has no layer for the ONNX operator LeakyRelu"):
        from_onnx(make_model(nodes))


@pytest.mark.parametrize("node, why", [
    (helper.make_node("Softmax", ["X"], ["Y"], name="sm", axis=0), "Softmax over axis 0"),
    (helper.make_node("MatMul", ["X", "X"], ["Y"], name="mm"), "MatMul of two computed values"),
    (helper.make_node("Sub", ["two", "X"], ["Y"], name="flip"), "Sub of two computed values, or of a constant by a value"),
    (helper.make_node("Div", ["X", "zero"], ["Y"], name="div"), "a division by a constant that holds zeros"),
])
def test_operators_graphnn_cannot_represent_are_refused_saying_why(node, why):
    model = make_model([node], [from_array(2.0, "two"), from_array([[0.0, 1.0]], "zero")])
    with pytest.raises(ExportError, match=rf"node '{node.name}' \({node.op_type}\).*{why}"):
        from_onnx(model)


def test_an_unknown_output_name_is_refused():
    with pytest.raises(ExportError, match=r"the model has no value 'P'; its outputs: 'Y'"):
        from_onnx(make_model([helper.make_node("Relu", ["X"], ["Y"])]), outputs=["P"])


def test_a_missing_onnx_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r'pip install -e "\.\[onnx\]"'):
        to_onnx(layer_graph("ReLULayer", np.float64))


# ---------------------------------------------------------------------------- issue 29: the audit's cases
def made_names(model, graph):
    """The names ``to_onnx`` made up (initializers, intermediate values, ONNX node names)."""
    values = {t.name for t in model.graph.initializer} | {o for n in model.graph.node for o in n.output}
    return sorted((values | {n.name for n in model.graph.node}) - set(graph.nodes))


def test_a_node_named_like_a_made_value_gets_its_own_value():
    """Issue 29, item 10: nodes ``enc`` and ``enc.weights`` gave onnx's ValidationError (SSA)."""
    g = gn.Graph()
    g.add(gn.FullyConnectedLayer(3, 2, seed=0), g.input("X"), name="enc")
    g.add(gn.ReLULayer(), "enc", name="enc.weights")
    model = checked(to_onnx(g))
    assert {t.name for t in model.graph.initializer} == {"enc.weights_2", "enc.biases"}
    X = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(run_onnx(model, {"X": X})["enc.weights"], forward_value(g, {"X": X}, "enc.weights"))


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_every_name_to_onnx_makes_can_be_a_node_of_the_graph(objective):
    """Each name the export of a graph with every layer and its objective makes up, given to a
    node of that graph (a Tanh read by nothing, so exported too): still a valid model, and
    onnxruntime still computes graphnn's values."""
    g, feed = objective_case(objective, np.float64, 5)
    names = made_names(to_onnx(g, objective=True), g)
    assert {"input.mean", "input.centred", "input.scale", "head.weights", "loss.per_row", "loss.columns"} <= set(names)
    for made in names:
        g, feed = objective_case(objective, np.float64, 5)
        g.add(gn.TanhLayer(), "X", name=made)
        model = checked(to_onnx(g, objective=True))
        got = run_onnx(model, feed)
        J = g.forward(**feed)
        np.testing.assert_allclose(got["loss"], J, **TOLERANCE[np.float64])
        np.testing.assert_allclose(got[made], g.value(made), **TOLERANCE[np.float64])


def test_a_float64_input_layer_before_float32_layers_exports_in_float32():
    """Issue 29, item 11: the model declared a float64 input, and onnxruntime refused the
    float32 data graphnn itself accepts."""
    g = gn.Graph()
    g.add(gn.InputLayer(np.random.default_rng(0).normal(size=(8, 3))), g.input("X"), name="z")
    g.add(gn.FullyConnectedLayer(3, 2, seed=0, dtype=np.float32), "z", name="out")
    model = checked(to_onnx(g))
    assert model.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT
    assert {t.data_type for t in model.graph.initializer} == {TensorProto.FLOAT}
    X = (3 * np.random.default_rng(1).normal(size=(5, 3))).astype(np.float32)
    np.testing.assert_allclose(run_onnx(model, {"X": X})["out"], forward_value(g, {"X": X}, "out"), **TOLERANCE[np.float32])


def test_parameters_of_two_dtypes_export_in_the_wider_one_as_graphnn_computes():
    g = gn.Graph()
    g.add(gn.FullyConnectedLayer(3, 2, seed=0, dtype=np.float32), g.input("X"), name="a")
    g.add(gn.FullyConnectedLayer(2, 2, seed=1, dtype=np.float64), "a", name="out")
    model = to_onnx(g)
    assert model.graph.input[0].type.tensor_type.elem_type == TensorProto.DOUBLE
    X = np.random.default_rng(1).normal(size=(5, 3))
    np.testing.assert_array_equal(run_onnx(model, {"X": X})["out"], forward_value(g, {"X": X}, "out"))


def matmul_model(weights=np.arange(4.0).reshape(2, 2)):
    """``Y = X W``, ``W`` an initializer."""
    return make_model([helper.make_node("MatMul", ["X", "W"], ["Y"], name="mm")], [from_array(weights, "W")])


def save_with_external_data(model, folder, location="w.bin"):
    folder.mkdir(exist_ok=True)
    onnx.save_model(model, str(folder / "m.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=location, size_threshold=0)
    return folder / "m.onnx"


def test_external_data_is_read_from_the_models_folder_not_the_working_directory(tmp_path, monkeypatch):
    """Issue 29, item 6: a valid model with its data beside it was refused as "not a valid ONNX
    model", and a ``w.bin`` in the working directory was loaded as its weights."""
    path = save_with_external_data(matmul_model(), tmp_path / "model")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "w.bin").write_bytes(np.full(4, 7.0).tobytes())
    monkeypatch.chdir(elsewhere)
    g = from_onnx(path)
    np.testing.assert_array_equal(g.op("mm").weights.value, np.arange(4.0).reshape(2, 2))
    (path.parent / "w.bin").unlink()  # only the working directory's is left: refused, not read
    with pytest.raises(ExportError, match=r"tensor 'W' should be in 'w.bin' beside the model .*does not exist"):
        from_onnx(str(path))


def test_external_data_that_cannot_be_read_from_the_models_folder_is_refused(tmp_path):
    path = save_with_external_data(matmul_model(), tmp_path / "model")
    with pytest.raises(ExportError, match=r"the given bytes keeps the data of tensor 'W' in a separate file \('w.bin'\); pass the model's path"):
        from_onnx(path.read_bytes())
    with pytest.raises(ExportError, match=r"the model keeps the data of tensor 'W'"):
        from_onnx(onnx.load(str(path), load_external_data=False))
    (path.parent / "w.bin").write_bytes(b"\0" * 8)  # shorter than the 32 bytes it should hold
    with pytest.raises(ExportError, match=r"cannot read the data of tensor 'W' from 'w.bin'"):
        from_onnx(path)
    (tmp_path / "secret.bin").write_bytes(np.full(4, 7.0).tobytes())
    model = matmul_model()  # onnx.save_model refuses to write this one; a hostile file holds it
    from onnx.external_data_helper import set_external_data
    set_external_data(model.graph.initializer[0], location="../secret.bin", length=32)
    model.graph.initializer[0].ClearField("raw_data")
    (tmp_path / "other").mkdir()
    outside = tmp_path / "other" / "m.onnx"
    outside.write_bytes(model.SerializeToString())
    with pytest.raises(ExportError, match=r"tensor 'W' names its data file '../secret.bin', which is not a file in the model's folder"):
        from_onnx(outside)


def relu_chain(length):
    nodes, previous = [], "X"
    for k in range(length):
        value = "Y" if k == length - 1 else f"h{k}"
        nodes.append(helper.make_node("Relu", [previous], [value], name=f"relu{k}"))
        previous = value
    return make_model(nodes)


def test_a_long_chain_imports_without_recursion():
    """Issue 29, item 8: RecursionError at about 250 nodes."""
    g = from_onnx(relu_chain(3000))
    assert len(g.nodes) == 3001 and g.nodes[-1] == "relu2999"
    X = np.array([[-1.0, 2.0]])
    np.testing.assert_array_equal(forward_value(g, {"X": X}, "relu2999"), [[0.0, 2.0]])


def test_graphnns_own_export_of_a_200_layer_chain_comes_back():
    """Issue 29, item 8: re-importing graphnn's export of a chain of 200 layers; fused layers
    (Gemm, MatMul + Add, Sub + Mul) too."""
    rng = np.random.default_rng(0)
    layers = [gn.InputLayer(rng.normal(size=(6, 2)))]
    for k in range(100):
        layers += [gn.FullyConnectedLayer(2, 2, seed=k), gn.TanhLayer()]
    g = gn.Graph.sequential(*layers)
    back = from_onnx(to_onnx(g))
    assert back.nodes == g.nodes
    X = rng.normal(size=(3, 2))
    np.testing.assert_array_equal(forward_value(back, {"X": X}, g.nodes[-1]), forward_value(g, {"X": X}, g.nodes[-1]))
    nodes, inits, previous = [], [], "X"
    for k in range(300):  # x W + b as MatMul then Add, then (x - m) / s as Sub then Div
        value = "Y" if k == 299 else f"n{k}"
        nodes += [helper.make_node("MatMul", [previous, f"w{k}"], [f"p{k}"], name=f"mm{k}"),
                  helper.make_node("Add", [f"p{k}", f"b{k}"], [f"a{k}"], name=f"add{k}"),
                  helper.make_node("Sub", [f"a{k}", f"m{k}"], [f"c{k}"], name=f"sub{k}"),
                  helper.make_node("Div", [f"c{k}", f"s{k}"], [value], name=f"div{k}")]
        inits += [from_array(np.eye(2), f"w{k}"), from_array([[0.5, 0.0]], f"b{k}"),
                  from_array([[0.5, 0.0]], f"m{k}"), from_array([[1.0, 2.0]], f"s{k}")]
        previous = value
    g = from_onnx(make_model(nodes, inits))
    assert [type(g.op(n)).__name__ for n in g.nodes[1:3]] == ["FullyConnectedLayer", "InputLayer"]
    assert len(g.nodes) == 601
    np.testing.assert_allclose(forward_value(g, {"X": np.array([[1.0, 2.0 ** 300]])}, g.nodes[-1]), [[1.0, 1.0]])


def sparse_constant(dense, coordinates=False):
    rows, columns = np.nonzero(dense)
    indices = np.stack([rows, columns], axis=1) if coordinates else rows * dense.shape[1] + columns
    return helper.make_sparse_tensor(from_array(dense[rows, columns], "values"),
                                     from_array(indices.astype(np.int64), "indices"), list(dense.shape))


CONSTANTS = {  # Constant attribute -> (its value, the weights W it gives)
    "value": (from_array(np.array([[1.0, 0.0], [0.0, 3.0]]), "W"), [[1.0, 0.0], [0.0, 3.0]]),
    "sparse_value": (sparse_constant(np.array([[1.0, 0.0], [0.0, 3.0]])), [[1.0, 0.0], [0.0, 3.0]]),
    "sparse_value (coordinates)": (sparse_constant(np.array([[0.0, 2.0], [5.0, 0.0]]), True), [[0.0, 2.0], [5.0, 0.0]]),
}


@pytest.mark.parametrize("attribute", ["value", "sparse_value", "sparse_value (coordinates)"])
def test_a_constant_of_every_numeric_kind_gives_its_weights(attribute):
    """Issue 29, item 9: a Constant with ``sparse_value`` gave numpy/TypeError."""
    value, expected = CONSTANTS[attribute]
    constant = helper.make_node("Constant", [], ["W"], **{attribute.split()[0]: value})
    g = from_onnx(make_model([constant, helper.make_node("MatMul", ["X", "W"], ["Y"], name="mm")]))
    np.testing.assert_array_equal(g.op("mm").weights.value, expected)
    assert g.op("mm").weights.value.dtype == np.float64


def test_a_sparse_initializer_gives_its_weights():
    model = make_model([helper.make_node("MatMul", ["X", "W"], ["Y"], name="mm")])
    sparse = sparse_constant(np.array([[0.0, 2.0], [5.0, 0.0]]))
    sparse.values.name = "W"
    model.graph.sparse_initializer.append(sparse)
    np.testing.assert_array_equal(from_onnx(model).op("mm").weights.value, [[0.0, 2.0], [5.0, 0.0]])


@pytest.mark.parametrize("attribute, value, gives", [
    ("value_floats", [2.0, 4.0], [[2.0, 4.0]]), ("value_ints", [2, 4], [[2.0, 4.0]]),
    ("value_float", 2.0, [[2.0, 2.0]]), ("value_int", 2, [[2.0, 2.0]]),  # one scale for both columns
])
def test_constants_of_plain_numbers_scale_as_numbers(attribute, value, gives):
    constant = helper.make_node("Constant", [], ["s"], **{attribute: value})
    g = from_onnx(make_model([constant, helper.make_node("Mul", ["X", "s"], ["Y"], name="scale")]))
    np.testing.assert_array_equal(g.op("scale").inverse_std, gives)
    np.testing.assert_array_equal(forward_value(g, {"X": np.array([[1.0, -1.0]])}, "scale"), np.multiply([[1.0, -1.0]], gives))


@pytest.mark.parametrize("attribute, value, says", [
    ("value_string", "hello", r"Constant 'W' holds value_string \(text, not numbers\)"),
    ("value_strings", ["a", "b"], r"Constant 'W' holds value_strings \(text, not numbers\)"),
    ("value", helper.make_tensor("W", TensorProto.STRING, [1], [b"x"]), "Constant 'W' holds text, not real numbers"),
])
def test_a_constant_holding_text_is_refused_where_a_layer_needs_it(attribute, value, says):
    """Issue 29, item 9: ``value_string`` gave numpy/TypeError; unused, it is no obstacle."""
    constant = helper.make_node("Constant", [], ["W"], **{attribute: value})
    with pytest.raises(ExportError, match=rf"node 'mm' \(MatMul\) on the way to output 'Y': {says}"):
        from_onnx(make_model([constant, helper.make_node("MatMul", ["X", "W"], ["Y"], name="mm")]))
    g = from_onnx(make_model([constant, helper.make_node("Relu", ["X"], ["Y"], name="relu")]))
    assert g.nodes == ["X", "relu"]


def test_an_initializer_that_cannot_be_read_or_holds_nan_is_refused_by_name():
    short = from_array(np.eye(2), "W")
    short.raw_data = short.raw_data[:8]  # 1 number for a 2 x 2 tensor
    with pytest.raises(ExportError, match=r"not a valid ONNX model: .*tensor name: W\) raw_data size \(8 bytes\) is too small"):
        from_onnx(make_model([helper.make_node("MatMul", ["X", "W"], ["Y"], name="mm")], [short]))
    with pytest.raises(ExportError, match=r"node 'mm' \(MatMul\).*weights or biases that hold NaN or inf"):
        from_onnx(matmul_model(np.array([[1.0, np.nan], [0.0, 1.0]])))
    with pytest.raises(ExportError, match=r"node 'centre' \(Sub\).*a mean or scale that holds NaN or inf"):
        from_onnx(make_model([helper.make_node("Sub", ["X", "m"], ["Y"], name="centre")], [from_array([[np.inf, 0.0]], "m")]))


def test_float16_and_bfloat16_weights_come_in_as_float32():
    for elem in (TensorProto.FLOAT16, TensorProto.BFLOAT16):
        weights = helper.make_tensor("W", elem, [2, 2], [1.0, 0.5, -2.0, 0.25])
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["X", "W"], ["Y"], name="mm")], "t",
            [helper.make_tensor_value_info("X", elem, ["N", 2])], [helper.make_tensor_value_info("Y", elem, ["N", 2])],
            [weights])
        g = from_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]))
        assert g.op("mm").weights.value.dtype == np.float32
        np.testing.assert_array_equal(g.op("mm").weights.value, [[1.0, 0.5], [-2.0, 0.25]])


def model_reading(shape, elem=TensorProto.DOUBLE):
    graph = helper.make_graph([helper.make_node("Relu", ["X"], ["Y"], name="relu")], "t",
                              [helper.make_tensor_value_info("X", elem, shape)],
                              [helper.make_tensor_value_info("Y", elem, shape or ["N", 2])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


@pytest.mark.parametrize("shape, says", [
    (["N", 3, 4], "is N x 3 x 4, 3-D"), ([5], "is 5, 1-D"), ([], "is a scalar, 0-D"),
])
def test_an_input_that_is_not_a_matrix_is_refused(shape, says):
    """Issue 29, item 16: an ``N x 3 x 4`` input was accepted, and could never run."""
    with pytest.raises(ExportError, match=rf"input 'X' \(needed by output 'Y'\) {says}: graphnn's values are N x D"):
        from_onnx(model_reading(shape))


def test_an_input_of_text_is_refused():
    with pytest.raises(ExportError, match=r"input 'X' \(needed by output 'Y'\) holds STRING values"):
        from_onnx(model_reading(["N", 2], TensorProto.STRING))


@pytest.mark.parametrize("outputs, says", [
    ([], r"outputs=\[\] names no value to import: give one or more, e.g. outputs=\['Y'\]"),
    ((), r"outputs=\(\) names no value to import"),
    (3, "outputs must be a value's name or a list of names, got 3"),
    ([3], r"outputs must name values by string, got 3 in \[3\]"),
    (["X"], "output 'X' is an input of the model: nothing computes it"),
])
def test_outputs_that_name_nothing_to_compute_are_refused(outputs, says):
    """Issue 29, item 16: ``outputs=[]`` returned an empty graph without a word."""
    with pytest.raises(ExportError, match=says):
        from_onnx(model_reading(["N", 2]), outputs=outputs)


@pytest.mark.parametrize("node", [
    helper.make_node("Sum", ["X"], ["Y"], name="sum"), helper.make_node("Cast", ["X"], ["Y"], name="cast", to=TensorProto.DOUBLE),
])
def test_an_output_that_is_its_input_again_becomes_an_identity_layer(node):
    """Not a graph of inputs only, which could neither run nor export."""
    g = from_onnx(make_model([node]))
    assert g.nodes == ["X", "Y"] and isinstance(g.op("Y"), gn.LinearLayer)
    np.testing.assert_array_equal(forward_value(g, {"X": np.array([[1.0, -2.0]])}, "Y"), [[1.0, -2.0]])


def test_attributes_that_overflow_the_weights_are_refused_without_a_warning():
    gemm = helper.make_node("Gemm", ["X", "W", "b"], ["Y"], name="gemm", alpha=1e308, beta=1e308)
    with pytest.raises(ExportError, match=r"node 'gemm' \(Gemm\).*weights or biases that hold NaN or inf"):
        from_onnx(make_model([gemm], [from_array(10 * np.eye(2), "W"), from_array(np.ones(2), "b")]))
    divide = helper.make_node("Div", ["X", "s"], ["Y"], name="div")
    with pytest.raises(ExportError, match=r"node 'div' \(Div\).*a mean or scale that holds NaN or inf"):
        from_onnx(make_model([divide], [from_array([[1e-320, 1.0]], "s")]))


def test_shared_weights_stay_shared_through_onnx_and_back():
    """The kind of item 4 (a module used twice): to_onnx wrote one initializer per layer and
    from_onnx made one Parameter per layer, untying tied weights without a word."""
    g = gn.Graph()
    first, second = gn.FullyConnectedLayer(2, 2, seed=0), gn.FullyConnectedLayer(2, 2, seed=1)
    second.weights = first.weights  # weight tying
    g.add(second, g.add(gn.TanhLayer(), g.add(first, g.input("X"), name="first")), name="second")
    model = checked(to_onnx(g))
    assert sorted(t.name for t in model.graph.initializer) == ["first.biases", "first.weights", "second.biases"]
    back = from_onnx(model)
    assert back.op("first").weights is back.op("second").weights
    assert back.op("first").biases is not back.op("second").biases
    X = np.random.default_rng(0).normal(size=(3, 2))
    np.testing.assert_array_equal(forward_value(back, {"X": X}, "second"), forward_value(g, {"X": X}, "second"))
    import torch
    torch.manual_seed(0)
    shared = torch.nn.Linear(2, 2).double()
    data = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(torch.nn.Sequential(shared, torch.nn.Tanh(), shared).double(),
                          (torch.zeros(2, 2, dtype=torch.float64),), data, dynamo=False, input_names=["X"])
    g = from_onnx(data.getvalue())
    fcs = [n for n in g.nodes if isinstance(g.op(n), gn.FullyConnectedLayer)]
    assert len(fcs) == 2 and g.op(fcs[0]).weights is g.op(fcs[1]).weights


def test_bad_paths_are_named():
    g = layer_graph("ReLULayer", np.float64)
    with pytest.raises(ExportError, match="from_onnx reads a path, bytes or an onnx.ModelProto, got int 3"):
        from_onnx(3)  # not file descriptor 3
    with pytest.raises(FileNotFoundError, match=r"to_onnx: cannot write '.*m.onnx': the directory '.*missing' does not exist"):
        to_onnx(g, "/nonexistent-graphnn-test/missing/m.onnx")
    with pytest.raises(IsADirectoryError, match=r"to_onnx: '.*' is a directory; give a file name"):
        to_onnx(g, ".")
