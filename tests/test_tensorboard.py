"""``graphnn.views.tensorboard.TensorBoard`` tried for real: ``fit`` writes event files, a
``tensorboard`` server started here on a free localhost port reads them, and its HTTP API
gives back the scalars, histograms and images, which are checked against the training
history, the monitor's records and the parameters. The server is stopped at the end."""
import io
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

import graphnn as gn
from graphnn.views.monitor import Monitor
from graphnn.views.tensorboard import DIAGRAM_TAG, TensorBoard, scalar_tag

pytest.importorskip("tensorboardX")  # the `tensorboard` extra, installed by .ci/run: never skips there
EPOCHS = 6
FLOAT32 = 1e-6  # TensorBoard keeps scalars as float32


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small network trained 6 epochs with validation, a monitor and the callback."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3))
    Y = (X[:, :1] + 0.5 * X[:, 1:2] > 0).astype(float)
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(3, 4, seed=0), gn.TanhLayer(),
                                gn.FullyConnectedLayer(4, 1, seed=1), gn.LogisticSigmoidLayer(),
                                objective=gn.LogLoss())
    logdir = tmp_path_factory.mktemp("runs")
    monitor = Monitor()
    callback = TensorBoard(logdir, monitor=monitor, diagram_every=3)
    history = gn.fit(graph, X, Y, epochs=EPOCHS, batch_size=20, validation_split=0.25,
                     optimizer=gn.SGD(graph.parameters(), lr=0.5),
                     callbacks=[monitor, callback], progress=False)
    return graph, history, monitor, logdir


@pytest.fixture(scope="module")
def server(trained):
    """``get(path, **query)``: the JSON a real TensorBoard server answers for the run."""
    executable = shutil.which("tensorboard") or pytest.fail("the tensorboard server is not installed")
    port = free_port()
    log = trained[3].parent / "tensorboard.log"
    with log.open("wb") as stderr:  # the child holds its own copy of the file
        process = subprocess.Popen(
            [executable, "--logdir", str(trained[3]), "--host", "127.0.0.1", "--port", str(port),
             "--reload_interval", "1"],
            stdout=subprocess.DEVNULL, stderr=stderr)

    def get(path, raw=False, **query):
        url = f"http://127.0.0.1:{port}{path}?{urllib.parse.urlencode(query)}"
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read()
        return body if raw else json.loads(body)

    try:
        deadline = time.monotonic() + 90
        while True:  # until the server is up and has read the run
            if process.poll() is not None:
                pytest.fail(f"tensorboard exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                if "loss" in get("/data/plugin/scalars/tags").get(".", {}):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("tensorboard did not serve the run within 90 s")
            time.sleep(0.5)
        yield get
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def scalars(get, tag):
    return {step: value for _, step, value in get("/data/plugin/scalars/scalars", run=".", tag=tag)}


@pytest.mark.parametrize("key", ["loss", "val_loss", "accuracy", "val_accuracy"])
def test_the_history_is_served_per_epoch(trained, server, key):
    history = trained[1]
    served = scalars(server, key)
    assert sorted(served) == list(range(1, EPOCHS + 1))
    assert np.allclose([served[e] for e in range(1, EPOCHS + 1)], history[key], rtol=FLOAT32, atol=0)


def test_the_monitors_statistics_are_served(trained, server):
    monitor = trained[2]
    tags = server("/data/plugin/scalars/tags")["."]
    checked = 0
    for statistic in ("edge_grad", "grad", "grad_ratio", "update_ratio", "saturated", "activation"):
        for key, values in monitor.series[statistic].items():
            served = scalars(server, scalar_tag(statistic, key))
            assert scalar_tag(statistic, key) in tags
            assert sorted(served) == monitor.steps  # the first minibatch of each epoch
            assert np.allclose([served[s] for s in monitor.steps], values, rtol=FLOAT32, atol=1e-30)
            checked += 1
    assert "edge_grad/fc1_to_tanh1" in tags and "update_ratio/fc2.weights" in tags
    assert checked >= 15


@pytest.mark.parametrize("tag", ["fc1.weights", "fc2.biases/grad"])
def test_parameter_histograms_are_served(trained, server, tag):
    graph = trained[0]
    served = server("/data/plugin/histograms/histograms", run=".", tag=tag)
    assert [step for _, step, _ in served] == list(range(1, EPOCHS + 1))
    buckets = served[-1][2]  # the last epoch: [[left, right, count], ...]
    name, what = tag.split("/") if "/" in tag else (tag, "value")
    node, parameter = name.split(".")
    array = getattr(getattr(graph.op(node), parameter), "grad" if what == "grad" else "value")
    assert sum(count for _, _, count in buckets) == pytest.approx(array.size)
    filled = [(left, right) for left, right, count in buckets if count > 0]
    # TensorBoard's buckets have edges of its own: the smallest and largest entries lie in the
    # first and last filled ones
    assert filled[0][0] <= array.min() <= filled[0][1] + 1e-12
    assert filled[-1][0] - 1e-12 <= array.max() <= filled[-1][1]


def test_the_gradient_diagram_is_served_every_third_epoch(server):
    pytest.importorskip("PIL")
    entries = server("/data/plugin/images/images", run=".", tag=DIAGRAM_TAG)
    assert [entry["step"] for entry in entries] == [3, 6]
    from PIL import Image
    query = dict(urllib.parse.parse_qsl(entries[1]["query"]))  # the server's key of the image
    png = server("/data/plugin/images/individualImage", raw=True, **query)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > 200 and image.height > 50


def test_its_own_monitor_and_no_diagram(tmp_path):
    graph = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1, seed=0), gn.LogisticSigmoidLayer(),
                                objective=gn.LogLoss())
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    callback = TensorBoard(tmp_path, diagram_every=None, histograms=False)
    gn.fit(graph, X, X[:, :1], epochs=2, callbacks=[callback], progress=False)
    assert callback.monitor.epochs == [1, 2]  # its own monitor got the hooks
    assert list(tmp_path.glob("events.out.tfevents.*"))


@pytest.mark.parametrize("every", [0, -1, 1.5, True])
def test_bad_diagram_every(tmp_path, every):
    with pytest.raises(ValueError, match="diagram_every must be a positive integer or None"):
        TensorBoard(tmp_path, diagram_every=every)


def test_without_tensorboardx_the_error_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r'pip install "graphnn\[tensorboard\]"'):
        TensorBoard(tmp_path)
