"""Values of any rank with the batch first (issue 26): ``N x C x H x W`` images through the
element-wise layers, ``InputLayer``, a ``Graph`` (both paths), training, the views and the
parameter files, with two small image layers of the tests' own (tests/nd_layers.py), so that
nothing here depends on graphnn's convolution. 2-D stays what it was.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import graphnn as gn
from graphnn.core import GraphError
from graphnn.datasets import split
from graphnn.grading.gradcheck import gradcheck, gradcheck_nodes, numerical_gradient, relative_error
from graphnn.training.fit import train_validation_split
from graphnn.training.persistence import ParameterFileError, load_parameters, save_parameters
from graphnn.views.gradients import gradient_diagram
from graphnn.views.monitor import Monitor
from graphnn.views.network import network_diagram
from graphnn.views.replay_drawing import describe_value
from nd_layers import ChannelMixLayer, SpatialSumLayer

ELEMENTWISE = [gn.ReLULayer, gn.TanhLayer, gn.LogisticSigmoidLayer, gn.LinearLayer, gn.OneMinusLayer]


def images(n, c=2, h=4, w=3, seed=0):
    return np.random.default_rng(seed).standard_normal((n, c, h, w))


def image_graph(X, fuse=True):
    """InputLayer -> 1 x 1 convolution -> ReLU -> sum over pixels -> FC -> sigmoid -> LogLoss."""
    return gn.Graph.sequential(
        gn.InputLayer(X), ChannelMixLayer(X.shape[1], 3, seed=1), gn.ReLULayer(), SpatialSumLayer(),
        gn.FullyConnectedLayer(3, 1, seed=2), gn.LogisticSigmoidLayer(), objective=gn.LogLoss(),
        fuse=fuse,
    )


def labels(X):
    """1 where the first channel's mean is above the second's: learnable from the images."""
    return (X[:, 0].mean(axis=(1, 2)) > X[:, 1].mean(axis=(1, 2))).astype(float).reshape(-1, 1)


# ------------------------------------------------------------------ element-wise layers
@pytest.mark.parametrize("cls", ELEMENTWISE)
@pytest.mark.parametrize("shape", [(1, 2, 4, 3), (5, 2, 4, 3), (3, 4, 5)])
def test_elementwise_layers_act_on_any_rank_entry_by_entry(cls, shape):
    X = np.random.default_rng(1).standard_normal(shape)
    G = np.random.default_rng(2).standard_normal(shape)
    flat = (len(shape) and shape[0], -1)
    layer, reference = cls(), cls()
    out = layer.forward(X)
    assert out.shape == shape and out.dtype == np.float64
    np.testing.assert_array_equal(out.reshape(flat), reference.forward(X.reshape(flat)))
    back = layer.backward(G)
    assert back.shape == shape
    np.testing.assert_array_equal(back.reshape(flat), reference.backward(G.reshape(flat)))
    # gradient(): one M x M Jacobian per observation, M = C H W, entries in C order
    J = layer.gradient()
    m = int(np.prod(shape[1:]))
    assert J.shape == (shape[0], m, m)
    np.testing.assert_array_equal(J, reference.gradient())
    np.testing.assert_array_equal(np.einsum("nk,nkd->nd", G.reshape(flat), J).reshape(shape), back)


@pytest.mark.parametrize("cls", ELEMENTWISE)
def test_elementwise_gradient_of_a_matrix_is_the_seeds_n_by_d_by_d(cls):
    layer = cls()
    layer.forward(np.array([[0.5, -1.0, 2.0]]))
    J = layer.gradient()
    assert J.shape == (1, 3, 3)
    np.testing.assert_array_equal(J[0], np.diag(np.diag(J[0])))


def test_elementwise_backward_matches_central_differences_on_images():
    X, G = images(2), images(2, seed=3)
    layer = gn.TanhLayer()
    layer.forward(X)
    analytic = layer.backward(G)
    numeric = numerical_gradient(lambda: float(np.sum(G * layer.forward(X))), X)
    assert relative_error(analytic, numeric) < 1e-8


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=5, max_side=4),
                  elements=st.floats(-5, 5)))
def test_elementwise_layers_on_any_rank_equal_their_flattened_selves(X):
    flat = X.reshape(X.shape[0], -1)
    for cls in ELEMENTWISE:
        layer, reference = cls(), cls()
        out = layer.forward(X)
        assert out.shape == X.shape
        np.testing.assert_array_equal(out.reshape(flat.shape), reference.forward(flat))
        np.testing.assert_array_equal(layer.backward(np.ones_like(X)).reshape(flat.shape),
                                      reference.backward(np.ones_like(flat)))


def test_an_elementwise_layer_refuses_fewer_than_two_dimensions_saying_what_it_takes():
    with pytest.raises(ValueError) as info:
        gn.ReLULayer().forward(np.ones(4))
    message = str(info.value)
    assert message.startswith("ReLULayer: input must be a 2-D N x D array, or one of higher rank")
    assert "1-D shape (4,)" in message and "reshape(1, -1)" in message
    layer = gn.ReLULayer()
    layer.forward(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"ReLULayer: gradIn must be a 3-D N x C x L array, got 2-D"):
        layer.backward(np.ones((2, 12)))
    with pytest.raises(ValueError, match=r"ReLULayer: gradIn \(shaped like the output\) must be "
                                         r"2 x 3 x 4, got 2 x 4 x 3"):
        layer.backward(np.ones((2, 4, 3)))


# ------------------------------------------------------------------ InputLayer
def test_input_layer_z_scores_images_channel_by_channel():
    X = images(5, c=3) * np.array([1.0, 10.0, 0.1])[None, :, None, None] + np.array([0.0, 5.0, -2.0])[None, :, None, None]
    layer = gn.InputLayer(X)
    assert layer.describe() == "InputLayer 3 x 4 x 3" and layer.width == 3
    assert layer.feature_shape == (3, 4, 3) and layer.input_ndim == 4
    assert layer.meanX.shape == layer.stdX.shape == (1, 3, 1, 1)
    for c in range(3):
        channel = X[:, c]
        assert np.isclose(layer.meanX[0, c, 0, 0], channel.mean(), rtol=1e-14, atol=1e-14)
        assert np.isclose(layer.stdX[0, c, 0, 0], channel.std(ddof=1), rtol=1e-14)
    Z = layer.forward(X)
    assert Z.shape == X.shape
    np.testing.assert_allclose(Z.mean(axis=(0, 2, 3)), 0.0, atol=1e-13)
    np.testing.assert_allclose(Z.std(axis=(0, 2, 3), ddof=1), 1.0, rtol=1e-13)
    G = images(5, c=3, seed=4)
    np.testing.assert_array_equal(layer.backward(G), G * layer.inverse_std)
    X_copy = X.copy()  # perturbed in place
    numeric = numerical_gradient(lambda: float(np.sum(G * layer.forward(X_copy))), X_copy)
    assert relative_error(layer.backward(G), numeric) < 1e-8
    assert layer.gradient().shape == (5, 36, 36)


def test_input_layer_on_one_image_uses_its_pixels_and_keeps_a_constant_channel_at_zero():
    X = np.zeros((1, 2, 2, 2))
    X[0, 0] = [[1.0, 2.0], [3.0, 4.0]]
    X[0, 1] = 7.0  # a constant channel: no spread, mapped to 0 rather than NaN
    Z = gn.InputLayer(X).forward(X)
    std = np.std([1.0, 2.0, 3.0, 4.0], ddof=1)
    np.testing.assert_allclose(Z[0, 0], (X[0, 0] - 2.5) / std, rtol=1e-15)
    np.testing.assert_array_equal(Z[0, 1], 0.0)


def test_input_layer_on_a_matrix_is_unchanged():
    X = np.random.default_rng(0).standard_normal((6, 4)) * 3 + 1
    layer = gn.InputLayer(X)
    assert layer.describe() == "InputLayer 4" and layer.meanX.shape == (1, 4) and layer.input_ndim == 2
    np.testing.assert_array_equal(layer.forward(X), (X - X.mean(axis=0, keepdims=True)) * (1 / X.std(axis=0, ddof=1, keepdims=True)))


@pytest.mark.parametrize("bad, says", [
    (np.ones((2, 3, 4, 4)), "InputLayer 2 x 4 x 3: input must be N x 2 x 4 x 3 like the data the layer was built with, got 2 x 3 x 4 x 4"),
    (np.ones((2, 2, 4)), "InputLayer 2 x 4 x 3: input must be a 4-D N x C x H x W array, got 3-D shape (2, 2, 4)"),
    (np.ones((2, 24)), "InputLayer 2 x 4 x 3: input must be a 4-D N x C x H x W array, got 2-D shape (2, 24)"),
])
def test_input_layer_refuses_images_of_another_shape(bad, says):
    layer = gn.InputLayer(images(3))
    with pytest.raises(ValueError) as info:
        layer.forward(bad)
    assert str(info.value).startswith(says)


def test_input_layer_refuses_nan_in_an_image_naming_its_index():
    X = images(3)
    X[1, 0, 2, 1] = np.nan
    with pytest.raises(ValueError, match=r"dataIn \(3 x 2 x 4 x 3\) holds 1 NaN or inf entries, "
                                         r"the first at index \(1, 0, 2, 1\) \(nan\)"):
        gn.InputLayer(X)


# ------------------------------------------------------------------ a graph of images
@pytest.mark.parametrize("n", [1, 6])
def test_a_graph_of_images_runs_and_its_gradients_are_right(n):
    X = images(n)
    Y = labels(X) if n > 1 else np.ones((1, 1))
    g = image_graph(images(8))
    J = g.forward(X=X, Y=Y)
    assert isinstance(J, float)
    g.backward()
    assert g.value("relu1").shape == (n, 3, 4, 3) and g.value("spatialsum1").shape == (n, 3)
    assert g.grad("relu1").shape == (n, 3, 4, 3)
    assert g.op("channelmix1").weights.grad.shape == (3, 2, 1, 1)
    feed = {"X": X, "Y": Y}
    assert gradcheck(g, feed).passed
    assert gradcheck_nodes(g, feed).passed


def test_the_fast_path_runs_images_and_agrees_with_the_loops():
    X = images(6)
    feed = {"X": X, "Y": labels(X)}
    g = image_graph(X)
    g.forward(feed)
    g.backward()
    assert g.fast_path.proven_forward and g.fast_path.proven_backward  # images prove a signature
    first = {name: g.value(name).copy() for name in ("relu1", "fc1")}
    grads = [p.grad.copy() for p in g.parameters()]
    g.forward(feed)  # the program, this time
    g.backward()
    for name, value in first.items():
        assert np.array_equal(g.value(name), value)
    for p, grad in zip(g.parameters(), grads):
        assert np.array_equal(p.grad, grad)


def test_images_of_another_shape_are_named_at_the_node_that_refuses_them():
    g = image_graph(images(4))
    Y = np.ones((4, 1))
    with pytest.raises(GraphError) as info:
        g.forward(X=images(4)[:, 0], Y=Y)
    message = str(info.value)
    assert message.startswith("node 'input1' (InputLayer 2 x 4 x 3) reading [X 4 x 4 x 3]: ")
    assert "must be a 4-D N x C x H x W array, got 3-D shape (4, 4, 3)" in message
    assert "x[:, None] on an N x H x W array" in message
    with pytest.raises(ValueError, match=r"input 'X': fed value must be a 2-D N x D array, or one of "
                                         r"higher rank .* got 1-D shape \(4,\)"):
        g.forward(X=np.ones(4), Y=Y)


def test_check_finite_names_the_node_where_nan_appears_in_images():
    X = images(4)
    X[2, 1, 0, 0] = np.inf
    g = image_graph(images(4))
    with pytest.raises(FloatingPointError, match=r"node 'X' \(input\): output 4 x 2 x 4 x 3 holds 1 NaN"):
        g.forward(X=X, Y=np.ones((4, 1)), check_finite=True)


# ------------------------------------------------------------------ training
def test_fit_predict_and_evaluate_take_images():
    X = images(40, seed=5)
    Y = labels(X)
    g = image_graph(X)
    before = gn.evaluate(g, X, Y)["loss"]
    history = gn.fit(g, X, Y, epochs=60, batch_size=8, validation_split=0.25, progress=False)
    after = gn.evaluate(g, X, Y)
    assert after["loss"] < before - 0.1 and after["accuracy"] >= 0.75
    assert len(history["val_loss"]) == 60
    P = gn.predict(g, X)
    assert P.shape == (40, 1)
    np.testing.assert_array_equal(gn.predict(g, X[3:4]), P[3:4])  # one image, as a batch of one
    again = image_graph(X)
    gn.fit(again, X, Y, epochs=60, batch_size=8, validation_split=0.25, progress=False)
    np.testing.assert_array_equal(gn.predict(again, X), P)  # the same seed, the same run


def test_fit_takes_image_validation_data_and_refuses_bad_images():
    X, X_val = images(8), images(4, seed=9)
    g = image_graph(X)
    history = gn.fit(g, X, labels(X), epochs=2, validation_data=(X_val, labels(X_val)), progress=False)
    assert len(history["val_loss"]) == 2
    with pytest.raises(ValueError, match=r"fit: X and Y must have one row per observation, got "
                                         r"X 8 x 2 x 4 x 3 and Y 7 x 1"):
        gn.fit(g, X, np.ones((7, 1)), epochs=1, progress=False)
    bad = X.copy()
    bad[5, 1, 3, 2] = np.nan
    with pytest.raises(ValueError, match=r"the first at index \(5, 1, 3, 2\)"):
        gn.fit(g, bad, labels(X), epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"predict: X must be a 2-D N x D array, or one of higher rank"):
        gn.predict(g, np.ones(3))


def test_the_splits_keep_each_image_with_its_target():
    X = images(12)
    Y = np.arange(12.0).reshape(-1, 1)
    (Xt, Yt), (Xv, Yv) = train_validation_split(X, Y, 0.25, seed=0, stratify=False)
    assert Xt.shape == (9, 2, 4, 3) and Xv.shape == (3, 2, 4, 3)
    for part, targets in ((Xt, Yt), (Xv, Yv)):
        np.testing.assert_array_equal(part, X[targets[:, 0].astype(int)])
    (Xt, Yt), (Xv, Yv) = split(X, Y, validation=0.25, seed=0)
    assert Xt.shape == (9, 2, 4, 3)
    np.testing.assert_array_equal(Xv, X[Yv[:, 0].astype(int)])
    with pytest.raises(ValueError, match="split: X and Y must be 2-D .* got shapes \\(12,\\) and"):
        split(np.ones(12), Y)


# ------------------------------------------------------------------ views and files
def test_summary_shows_image_shapes_before_and_after_a_pass():
    X = images(5)
    g = image_graph(X)
    text = str(gn.summary(g))
    assert "InputLayer 2 x 4 x 3      N x 2 x 4 x 3" in text
    assert [line.split()[0] for line in text.splitlines() if "N x ?" in line] == ["channelmix1", "relu1", "spatialsum1"]
    assert "ChannelMixLayer 2->3      N x ?                   9" in text  # weights 3 x 2 x 1 x 1, 3 biases
    g.forward(X=X, Y=labels(X))
    text = str(gn.summary(g))
    assert "5 x 3 x 4 x 3" in text and "from the last forward pass (N = 5)" in text


def test_the_diagrams_name_image_shapes_batch_first():
    X = images(5)
    g = image_graph(X)
    g.forward(X=X, Y=labels(X))
    g.backward()
    source = network_diagram(g).source
    assert "out 5 x 2 x 4 x 3" in source and ">5 x 3 x 4 x 3<" in source  # a box, an edge
    assert "edge label: shape (N x D, N x C x H x W: the batch first)" in source
    assert "(over 3 x 4 x 3 entries)" in gradient_diagram(g).source
    assert describe_value(g.value("relu1")) == "5 x 3 x 4 x 3"
    flat = gn.Graph.sequential(gn.ReLULayer(), objective=gn.SquaredError())
    flat.forward(X=np.ones((2, 3)), Y=np.ones((2, 3)))
    assert "edge label: shape (N x D) of the value" in network_diagram(flat).source


def test_replay_monitor_and_profile_follow_a_graph_of_images(tmp_path):
    X = images(8)
    g = image_graph(X)
    g.forward(X=X, Y=labels(X))
    g.backward()
    assert len(gn.replay(g).frames) > 0
    monitor = Monitor(histograms=True)
    gn.fit(g, X, labels(X), epochs=2, batch_size=4, progress=False, callbacks=[monitor])
    dead = monitor.at("dead")["relu1"]
    assert 0.0 <= dead <= 1.0
    monitor.plot(tmp_path / "dynamics.png")
    assert (tmp_path / "dynamics.png").stat().st_size > 0
    profile = gn.profile(g, {"X": X, "Y": labels(X)}, repeat=2)
    assert "InputLayer 2 x 4 x 3" in str(profile)


def test_parameter_files_keep_four_dimensional_weights(tmp_path):
    g = image_graph(images(4))
    path = tmp_path / "p.npz"
    save_parameters(g, path)
    weights = g.op("channelmix1").weights
    saved = weights.value.copy()
    weights.value[...] = 0.0
    load_parameters(g, path)
    assert weights.value.shape == (3, 2, 1, 1) and np.array_equal(weights.value, saved)
    other = gn.Graph.sequential(gn.InputLayer(images(4)), ChannelMixLayer(2, 4), gn.ReLULayer(), SpatialSumLayer(),
                                gn.FullyConnectedLayer(4, 1), gn.LogisticSigmoidLayer(), objective=gn.LogLoss())
    with pytest.raises(ParameterFileError, match=r"the file has shape 3 x 2 x 1 x 1, the graph 4 x 2 x 1 x 1"):
        load_parameters(other, path)
