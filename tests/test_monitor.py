"""The training monitor: its numbers equal those of a separate pass at the same weights; its
norms do not underflow; its views; it does not change training."""
import math

import numpy as np
import pytest

import graphnn as gn
from graphnn.training.callbacks import LambdaCallback
from graphnn.views.monitor import SATURATION, STATISTICS, Monitor, norm_ratio
from graphnn.training.optim import SGD
from graphnn.training.fit import fit


def build(seed=0):
    """fc -> tanh -> fc -> relu -> fc -> sigmoid -> LogLoss, with weights large enough to
    saturate some tanh units and kill some ReLUs."""
    rng = np.random.default_rng(seed)
    layers = [gn.FullyConnectedLayer(4, 6), gn.TanhLayer(), gn.FullyConnectedLayer(6, 6),
              gn.ReLULayer(), gn.FullyConnectedLayer(6, 1), gn.LogisticSigmoidLayer()]
    for layer in layers:
        if isinstance(layer, gn.FullyConnectedLayer):
            layer.setWeights(rng.normal(0.0, 1.5, (layer.sizeIn, layer.sizeOut)))
            layer.setBiases(rng.normal(0.0, 1.0, (1, layer.sizeOut)))
    layers[2].biases.value[0, 0] = -50.0  # a ReLU unit that stays dead
    return gn.Graph.sequential(*layers, objective=gn.LogLoss())


def data(seed=1, n=40):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)) * 2.0
    return X, (X[:, :1] + X[:, 1:2] > 0).astype(float)


class Spy:
    """Keeps, for every minibatch, the rows fed and the weights before and after its update."""

    def __init__(self, graph):
        self.graph, self.batches = graph, []
        self.callback = LambdaCallback(on_batch_begin=self.begin, on_batch_end=self.end)

    def begin(self, batch, logs):
        self.before = [p.value.copy() for p in self.graph.parameters()]

    def end(self, batch, logs):
        record = self.graph.last_pass
        after = [p.value.copy() for p in self.graph.parameters()]
        self.batches.append((logs["step"], record.value("X").copy(), record.value("Y").copy(), self.before, after))


def separate_pass(X, Y, weights):
    """A new graph of the same shape at ``weights``: one forward and one backward pass."""
    graph = build()
    for p, value in zip(graph.parameters(), weights):
        p.value[...] = value
    graph.forward(X=X, Y=Y)
    graph.backward()
    return graph


def expected_statistics(graph, before, after):
    """The statistics of the pass ``graph`` holds, computed straight from its values and
    gradients with numpy (plain norms: these sizes cannot underflow)."""
    out = {name: {} for name in STATISTICS}
    for source, target, slot in [("fc1", "tanh1", 0), ("tanh1", "fc2", 0), ("fc2", "relu1", 0),
                                 ("relu1", "fc3", 0), ("fc3", "sigmoid1", 0), ("sigmoid1", "logloss1", 1)]:
        out["edge_grad"][(source, target, slot)] = np.mean(np.abs(graph.edge_grad(source, target, slot)))
    for name in ("fc1", "tanh1", "fc2", "relu1", "fc3", "sigmoid1"):
        out["grad"][name] = np.mean(np.abs(graph.grad(name)))
        out["activation"][name] = np.mean(np.abs(graph.value(name)))
    pre_relu = graph.value("fc2")
    out["dead"]["relu1"] = np.mean((pre_relu <= 0).all(axis=0))  # from the ReLU's input
    out["saturated"]["tanh1"] = np.mean(np.abs(np.tanh(graph.value("fc1"))) > 0.99)
    sigmoid = 1.0 / (1.0 + np.exp(-graph.value("fc3")))
    out["saturated"]["sigmoid1"] = np.mean((sigmoid < 0.01) | (sigmoid > 0.99))
    names = [f"{node}.{p}" for node in ("fc1", "fc2", "fc3") for p in ("weights", "biases")]
    for key, p, w0, w1 in zip(names, graph.parameters(), before, after):
        out["grad_ratio"][key] = np.linalg.norm(p.grad) / np.linalg.norm(w0)
        out["update_ratio"][key] = np.linalg.norm(w1 - w0) / np.linalg.norm(w0)
    return out


@pytest.mark.parametrize("every_steps", [None, 2])
def test_recorded_numbers_equal_a_separate_pass_at_the_same_weights(every_steps):
    graph = build()
    X, Y = data()
    monitor, spy = Monitor(every_steps=every_steps), Spy(graph)
    fit(graph, X, Y, epochs=4, batch_size=16, optimizer=SGD(graph.parameters(), lr=0.5), progress=False,
        callbacks=[spy.callback, monitor])  # shuffled minibatches of 16, 16 and 8 rows
    recorded = [b for b in spy.batches if (b[0] - 1) % 3 == 0] if every_steps is None else \
        [b for b in spy.batches if b[0] % every_steps == 0]
    assert monitor.steps == [b[0] for b in recorded]
    assert monitor.epochs == ([1, 2, 3, 4] if every_steps is None else [1, 2, 2, 3, 4, 4])
    assert set(monitor.series["dead"]) == {"relu1"} and set(monitor.series["saturated"]) == {"tanh1", "sigmoid1"}
    shares = []
    for index, (step, Xb, Yb, before, after) in enumerate(recorded):
        expected = expected_statistics(separate_pass(Xb, Yb, before), before, after)
        for statistic, table in expected.items():
            got = {key: values[index] for key, values in monitor.series[statistic].items()
                   if statistic != "activation" or key in table}
            assert got.keys() == table.keys(), statistic
            for key, value in table.items():
                assert got[key] == pytest.approx(value, rel=1e-12, abs=0), (statistic, key, step)
        shares.append((expected["dead"]["relu1"], expected["saturated"]["tanh1"]))
    assert any(d > 0 for d, _ in shares) and any(s > 0 for _, s in shares)  # both were exercised


def test_the_monitor_does_not_change_training():
    results = []
    for callbacks in (None, [Monitor(histograms=True)]):
        graph = build()
        X, Y = data()
        history = fit(graph, X, Y, epochs=3, batch_size=16, progress=False, callbacks=callbacks)
        results.append((dict(history), [p.value.copy() for p in graph.parameters()]))
    assert results[0][0] == results[1][0]
    assert all(np.array_equal(a, b) for a, b in zip(results[0][1], results[1][1]))


def test_thresholds_on_hand_made_outputs():
    # fc1 maps the one input column to 4 units with weights chosen so that, on the rows
    # x = 1 and x = 2: unit 0 is always negative (a dead ReLU), unit 1 reaches 0.5 and 1.
    graph = gn.Graph()
    x = graph.input("X")
    fc = gn.FullyConnectedLayer(1, 4)
    fc.setWeights(np.array([[-1.0, 0.5, 3.0, 1.0]]))
    fc.setBiases(np.array([[0.0, 0.0, 0.0, -1.5]]))
    h = graph.add(fc, x)
    tanh = graph.add(gn.TanhLayer(), h)
    relu = graph.add(gn.ReLULayer(), h)
    out = graph.add(gn.AddLayer(), tanh, relu)
    graph.add(gn.SquaredError(), graph.input("Y"), graph.add(gn.FullyConnectedLayer(4, 1, seed=0), out))
    monitor = Monitor()
    fit(graph, np.array([[1.0], [2.0]]), np.zeros((2, 1)), epochs=1, optimizer=SGD(graph.parameters(), lr=1e-9),
        progress=False, callbacks=[monitor])
    # pre-activations [[-1, .5, 3, -.5], [-2, 1, 6, .5]]: ReLU unit 0 is 0 on both rows
    # (unit 3 only on one): 1 dead unit of 4. tanh: |tanh| > 0.99 for 3 and 6 only (tanh(2.65) = 0.99).
    assert monitor.at("dead") == {"relu1": 0.25}
    assert monitor.at("saturated") == {"tanh1": 2 / 8}
    assert math.isclose(math.atanh(SATURATION), 2.6467, rel_tol=1e-4)


def test_norm_ratio_does_not_underflow():
    tiny = np.array([[3e-200, 4e-200]])
    assert np.linalg.norm(tiny) == 0.0  # what a plain norm gives: squares underflow
    assert norm_ratio(tiny, np.array([[0.0, 5.0]])) == pytest.approx(1e-200, rel=1e-12)
    assert norm_ratio(np.array([[1e200, 1e200]]), np.array([[1e-200]])) == math.inf  # the true ratio
    assert norm_ratio(np.zeros((2, 2)), np.ones((2, 2))) == 0.0
    assert math.isnan(norm_ratio(np.ones((1, 2)), np.zeros((1, 2))))
    assert norm_ratio(np.array([[np.inf]]), np.ones((1, 1))) == math.inf


def test_tiny_gradients_are_recorded_as_their_true_size():
    # Inputs of 1e-170 through the seed's 1e-4 weights: the first layer's weight gradient is
    # about 1e-180, whose square underflows to 0. The monitor still records its true ratio.
    graph = gn.Graph.sequential(*[layer for _ in range(3) for layer in (gn.FullyConnectedLayer(3, 3, seed=0),
                                                                        gn.TanhLayer())],
                                objective=gn.SquaredError())
    X, Y = np.full((4, 3), 1e-170), np.full((4, 3), 1e-170)
    w0 = graph.op("fc1").weights.value.copy()
    monitor = Monitor()
    fit(graph, X, Y, epochs=1, optimizer=SGD(graph.parameters(), lr=1e-3), progress=False, callbacks=[monitor])
    grad = graph.op("fc1").weights.grad  # that of the one recorded pass
    assert np.linalg.norm(grad) == 0.0  # the plain norm says 0
    true_ratio = np.linalg.norm(grad * 1e180) / np.linalg.norm(w0) / 1e180
    assert 0 < true_ratio < 1e-170
    assert monitor.at("grad_ratio")["fc1.weights"] == pytest.approx(true_ratio, rel=1e-12)


def test_histograms_count_every_entry():
    graph = build()
    X, Y = data()
    monitor = Monitor(histograms=True)
    fit(graph, X, Y, epochs=2, batch_size=16, progress=False, callbacks=[monitor])
    counts, edges = monitor.histograms[("activation", "tanh1")][1]
    assert counts.sum() == 16 * 6 and len(edges) == len(counts) + 1
    counts, _ = monitor.histograms[("grad", "fc1.weights")][0]
    assert counts.sum() == 4 * 6 and len(monitor.histograms[("grad", "fc1.weights")]) == 2


def trained_monitor():
    graph = build()
    X, Y = data()
    monitor = Monitor()
    fit(graph, X, Y, epochs=3, batch_size=16, progress=False, callbacks=[monitor])
    return monitor


def test_plot_has_one_panel_per_layer_on_shared_log_axes(tmp_path):
    monitor = trained_monitor()
    path = tmp_path / "dynamics.png"
    figure = monitor.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    log_panels = [a for a in figure.axes if a.get_yscale() == "log"]
    titles = [a.get_title() for a in log_panels]
    assert [t.split()[0] for t in titles] == ["fc1", "tanh1", "fc2", "relu1", "fc3", "sigmoid1"]
    share_panels = [a for a in figure.axes if a.get_yscale() == "linear"]
    assert len(share_panels) == 3 and all(a.get_ylim() == (-0.02, 1.02) for a in share_panels)
    fc1 = log_panels[0]
    lines = {line.get_label(): line for line in fc1.get_lines()}
    assert set(lines) == {"grad", "weights grad_ratio", "biases grad_ratio", "weights update_ratio",
                          "biases update_ratio"}
    assert list(lines["grad"].get_xdata()) == [1, 2, 3]
    np.testing.assert_array_equal(lines["grad"].get_ydata(), monitor.series["grad"]["fc1"])
    figure = monitor.plot(nodes=["fc3"], statistics=["edge_grad"])
    assert [line.get_label() for line in figure.axes[0].get_lines()] == ["grad to relu1"]


def test_plot_and_diagram_refuse_what_they_cannot_draw(tmp_path):
    with pytest.raises(ValueError, match="nothing recorded yet"):
        Monitor().plot()
    monitor = trained_monitor()
    with pytest.raises(ValueError, match="unknown statistic 'grads'"):
        monitor.plot(statistics=["grads"])
    with pytest.raises(ValueError, match=r"no statistics recorded for node\(s\) \['X'\]"):
        monitor.plot(nodes=["X"])
    with pytest.raises(ValueError, match="use a .png or .svg file name"):
        monitor.plot(tmp_path / "a.jpg")
    with pytest.raises(ValueError, match="no record of epoch 7; recorded epochs 1 to 3"):
        monitor.diagram(epoch=7)
    with pytest.raises(ValueError, match="every_steps must be a positive integer"):
        Monitor(every_steps=0)


def test_diagram_shows_the_statistic_of_the_chosen_epoch():
    monitor = trained_monitor()
    from graphnn.views.render import format_number

    for statistic, key, node_label in (("edge_grad", ("tanh1", "fc2", 0), None), ("grad_ratio", "fc2.weights", "weights"),
                                       ("saturated", "tanh1", "saturated")):
        for epoch in (1, 3):
            source = monitor.diagram(statistic, epoch=epoch).source
            value = format_number(monitor.series[statistic][key][epoch - 1])
            shown = value if node_label is None else f"<b>{node_label} {value}</b>"
            assert shown in source and f"epoch {epoch} (training step {1 + 3 * (epoch - 1)})" in source


def test_replay_has_one_frame_per_record_in_the_player(tmp_path):
    from graphnn.views.player import Player

    monitor = trained_monitor()
    path = tmp_path / "replay.html"
    player = monitor.replay("grad", path)
    assert isinstance(player, Player) and len(player) == 3
    assert [frame.caption.split(":")[0] for frame in player.frames] == [
        "epoch 1 (training step 1)", "epoch 2 (training step 4)", "epoch 3 (training step 7)"]
    from graphnn.views.render import format_number

    for index, frame in enumerate(player.frames):
        assert f"minibatch loss {format_number(monitor.losses[index])}" in frame.caption
        assert frame.svg.lstrip().startswith("<?xml") or "<svg" in frame.svg
        assert f"grad {format_number(monitor.series['grad']['fc2'][index])}" in frame.svg
    assert path.read_text(encoding="utf-8") == player.html()


# ---------------------------------------------------------------------------- issue 29, item 15
def test_a_monitor_whose_step_never_came_says_so():
    """It said "pass the monitor to fit" though it was passed."""
    graph, (X, Y) = build(), data()
    monitor = Monitor(every_steps=1000)
    fit(graph, X, Y, epochs=3, batch_size=10, progress=False, callbacks=[monitor])
    with pytest.raises(ValueError, match=r"nothing recorded: with every_steps=1000 it records every 1000th minibatch, "
                                         r"and fit ran 12 \(3 epochs of 4\); choose every_steps <= 12"):
        monitor.at("grad")
    with pytest.raises(ValueError, match="histograms must be True or False, got 'no'"):
        Monitor(histograms="no")


def test_a_callback_that_evaluates_before_the_monitor_changes_nothing_it_records():
    """A callback calling evaluate before the monitor's turn replaced the graph's record, and
    the monitor crashed on it."""
    from graphnn.training.fit import evaluate

    def backward_of_its_own(graph, X, Y):  # gradients of other rows, in every Parameter.grad
        graph.forward(X=X[:5], Y=Y[:5])
        graph.backward()

    recorded = []
    for first in (None, "evaluate", "backward"):
        graph, (X, Y) = build(), data()
        monitor = Monitor(every_steps=2, histograms=True)
        callbacks = [monitor]
        if first == "evaluate":
            callbacks.insert(0, LambdaCallback(on_batch_end=lambda batch, logs, g=graph: evaluate(g, X[:5], Y[:5])))
        elif first == "backward":
            callbacks.insert(0, LambdaCallback(on_batch_end=lambda batch, logs, g=graph: backward_of_its_own(g, X, Y)))
        fit(graph, X, Y, epochs=2, batch_size=16, progress=False, callbacks=callbacks)
        recorded.append((monitor.series, monitor.losses, repr(monitor.histograms)))
    assert recorded[0] == recorded[1] == recorded[2]
