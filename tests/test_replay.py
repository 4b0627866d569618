"""graphnn.views.replay: one frame per step of the pass, in the order the passes ran; every number
a frame shows is the graph's own; fan-out sums fill up consumer by consumer; the same layout
in every frame; the player works in chromium from file://."""
import importlib.util
import re
import sys

import numpy as np
import pytest

import graphnn as gn
from graphnn.views.player import page_data
from graphnn.views.player_data import decode
from graphnn.views.render import format_number
from graphnn.views.replay import FUSED_RULE, RULES, rule_of
from graphnn.views.replay_svg import layout_of
from graphs import kidcreative_chain

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("replay_docs", ROOT / "examples" / "replay_docs.py")
replay_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(replay_docs)


@pytest.fixture(scope="module")
def fanout():
    return replay_docs.fanout_graph()


@pytest.fixture(scope="module")
def kid():
    X, Y = gn.load_kidcreative()
    g = kidcreative_chain(X, requires_grad=True)
    g.forward(X=X, Y=Y)
    g.backward()
    return g


def test_one_frame_per_step_in_the_order_the_passes_ran(fanout):
    r = fanout.replay()
    forward, backward = fanout.last_pass.forward_steps(), fanout.last_pass.backward_steps()
    assert [(f.phase, f.node) for f in r] == (
        [("forward", s.node) for s in forward] + [("backward", s.node) for s in backward])
    plan_reverse = [name for name, _, _ in fanout.plan.backward_steps]
    assert [f.node for f in r if f.phase == "backward"] == plan_reverse
    assert [f.index for f in r] == list(range(len(r)))


def test_every_number_on_every_frame_is_the_graphs_own(fanout):
    g, record = fanout, fanout.last_pass
    for frame in g.replay():
        source = frame.dot.source
        for name, value in frame.values.items():
            assert value is record.values[name]
            if np.ndim(value) == 2:
                assert f"mean {format_number(np.mean(g.value(name)))}" in source
        for (s, t, slot), grad in frame.edge_grads.items():
            np.testing.assert_array_equal(grad, g.edge_grad(s, t, slot))
            assert f"mean {format_number(np.mean(grad))}" in source
        for name, total in frame.grads.items():
            k = frame.fan_in.get(name, (1, 1))
            expected = sum(frame.edge_grads[e] for e in frame.edge_grads if e[0] == name)
            np.testing.assert_allclose(total, expected, rtol=0, atol=0)
            if k[0] == k[1]:  # every consumer reported: the graph's own gradient
                np.testing.assert_allclose(total, g.grad(name), rtol=1e-15, atol=0)
        if frame.phase == "backward":
            for pname, grad in frame.step.parameters.items():
                assert f"|d{pname}| {format_number(np.linalg.norm(grad))}" in source


def test_a_fan_out_sum_reaches_k_of_k_exactly_at_its_last_consumer(fanout):
    frames = [f for f in fanout.replay() if f.phase == "backward"]
    counts = [f.fan_in["tanh"] for f in frames]
    assert set(c[1] for c in counts) == {2}
    consumers = {"fc2", "residual"}
    last = max(i for i, f in enumerate(frames) if f.node in consumers)
    first = min(i for i, f in enumerate(frames) if f.node in consumers)
    assert [c[0] for c in counts] == [0] * first + [1] * (last - first) + [2] * (len(frames) - last)
    assert "&#931; 1 of 2</b> reported" in frames[first].dot.source
    assert "&#931; 2 of 2</b> reported" in frames[last].dot.source
    np.testing.assert_allclose(frames[last].grads["tanh"], fanout.grad("tanh"), rtol=1e-15)


def test_the_last_frame_shows_every_gradient_the_gradient_view_shows(kid, fanout):
    for g in (kid, fanout):
        last = g.replay()[-1]
        for s, t, slot in g.nx.edges(keys=True):
            grad = g.last_pass.edge_grad(s, t, slot)
            if grad is None:
                assert (s, t, slot) not in last.edge_grads
            else:
                np.testing.assert_array_equal(last.edge_grads[(s, t, slot)], grad)


def test_backward_frames_name_the_local_rule():
    X, Y = np.ones((4, 3)), np.ones((4, 1))
    g = gn.Graph(fuse=False)
    x, y = g.input("X"), g.input("Y")
    h = g.add(gn.FullyConnectedLayer(3, 2, seed=0), x, name="fc")
    s = g.add(gn.SoftmaxLayer(), g.add(gn.ReLULayer(), h, name="relu"), name="softmax")
    g.add(gn.SquaredError(), y, g.add(gn.FullyConnectedLayer(2, 1), s, name="out"), name="se")
    g.forward(X=X, Y=Y)
    g.backward()
    rules = {f.node: f.rule for f in g.replay() if f.phase == "backward"}
    assert rules["softmax"][1] == "s * (g - sum(g * s))" and rules["relu"][1] == "g * [x > 0]"
    assert rules["out"][1] == "G W^T;  dW = X^T G / N;  db = mean(G)"
    assert rules["fc"][1] == "dW = X^T G / N;  db = mean(G)"  # its input needs no gradient
    assert rule_of(gn.LogLoss(), "fused objective") == FUSED_RULE
    assert all(isinstance(words, str) and symbols for words, symbols in RULES.values())

    class Doubling(gn.LinearLayer):
        backward_rule = ("twice the gradient", "2 g")
    assert rule_of(Doubling()) == ("twice the gradient", "2 g")


def test_a_fused_frame_says_yhat_minus_y(kid):
    frame = next(f for f in kid.replay() if f.phase == "backward")
    assert frame.rule == FUSED_RULE and "Yhat - Y" in frame.caption
    assert "w * (Yhat - Y)" in frame.dot.source


def test_the_dot_text_is_deterministic(fanout):
    assert [f.dot.source for f in fanout.replay()] == [f.dot.source for f in fanout.replay()]


def test_nodes_never_jump(fanout):
    r = fanout.replay()
    layouts = set()
    for frame in r:
        plain = frame.dot.pipe(format="plain").decode()
        layouts.add(tuple(tuple(line.split()[:6]) for line in plain.splitlines() if line.startswith("node ")))
    assert len(layouts) == 1


def graph0(svg):
    """``svg`` with the id of Graphviz's graph group made one (Graphviz numbers it per run)."""
    return re.sub(r'<g id="[^"]*graph0"', '<g id="graph0"', svg)


def test_each_frame_is_the_svg_graphviz_draws_of_the_whole_frame(fanout):
    # the frames are put together from pieces Graphviz drew once each (graphnn.views.replay_svg)
    r = fanout.replay()
    svgs, drawing = r.svgs(), r.drawing
    layouts = {}
    for frame in r:
        if frame.phase not in layouts:  # dot lays out the first frame of each phase
            layouts[frame.phase] = layout_of(frame.dot.source, drawing.shape.edges)
        whole = drawing.diagram(frame.phase, drawing.chosen[frame.index], layouts[frame.phase])
        assert graph0(svgs[frame.index]) == graph0(
            whole.pipe(format="svg", engine="neato", neato_no_op=2).decode("utf-8")), frame.index
    assert len(set(svgs)) == len(r)


@pytest.mark.parametrize("name", ["fanout", "rnn"])
def test_reading_only_what_a_step_changes_draws_every_frame_alike(fanout, name):
    # the replay reads again only the nodes and edges a step may change; reading all is the same
    from graphnn.views.replay_drawing import draw_frames

    g = fanout if name == "fanout" else gn.Graph()
    if name == "rnn":  # fan-out at every step (the input, the tied weights' state), a fused objective
        states = gn.unroll(g, gn.RNNCell(2, 3, seed=0), g.input("X"), steps=4)
        g.add(gn.LogLoss(), g.input("Y"), g.add(gn.LogisticSigmoidLayer(),
                                                 g.add(gn.FullyConnectedLayer(3, 1, seed=1), states[-1])))
        rng = np.random.default_rng(0)
        g.forward(X=rng.standard_normal((3, 8)), Y=(rng.random((3, 1)) < 0.5).astype(float))
        g.backward()
    r = g.replay()
    again = draw_frames(g, r.frames, r.drawing.rankdir, reuse=False)
    assert [again.dot(i).source for i in range(len(r))] == [frame.dot.source for frame in r]


def test_a_chain_of_305_nodes_replays_in_a_page_under_2_mb(tmp_path):
    """Issue 29, item 18: the replay of a chain of 305 nodes (608 frames) wrote 9.4 MB (and
    took 88 s); each distinct drawing of a node, an edge and a panel is now drawn and stored
    once, each frame as its changes, compressed: about 0.41 MB."""
    layers = []
    for i in range(151):
        layers += [gn.FullyConnectedLayer(4, 4, seed=i), gn.TanhLayer()]
    g = gn.Graph.sequential(*layers, objective=gn.SquaredError())
    rng = np.random.default_rng(0)
    g.forward(X=rng.standard_normal((8, 4)), Y=rng.standard_normal((8, 4)))
    g.backward()
    r = g.replay()
    path = r.save(tmp_path / "chain.html")
    assert (len(g.nodes), len(r)) == (305, 608)
    assert path.stat().st_size < 2_000_000
    data = page_data(path.read_text(encoding="utf-8"))
    assert data["captions"] == [frame.caption for frame in r]
    svgs = r.svgs()
    for frame, svg in zip(r, decode(data)):  # the page holds every frame, each with its step's node
        assert re.findall(r'class="node focus">\n<title>([^<]*)</title>', svg) == [frame.node]
        if frame.index in (0, 304, 305, 450, 607):
            assert svg == svgs[frame.index][svgs[frame.index].index("<svg"):]


def test_zero_gradient_and_not_yet_are_drawn_apart():
    g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1, seed=0), gn.ReLULayer(), objective=gn.SquaredError(),
                            requires_grad=True)
    g.op("fc1").biases.value[...] = -100.0  # the ReLU is off: every gradient below it is 0
    g.forward(X=np.ones((2, 2)), Y=np.ones((2, 1)))
    g.backward()
    frames = [f for f in g.replay() if f.phase == "backward"]
    assert "grad ? (not yet)" in frames[0].dot.source and "grad = 0" in frames[-1].dot.source
    assert "dashed" in frames[0].dot.source


def test_bad_input_says_what_to_run(tmp_path, fanout):
    g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 1), objective=gn.SquaredError())
    with pytest.raises(gn.GraphError, match=r"call g.forward\(...\) and then g.backward\(\)"):
        gn.replay(g)
    g.forward(X=np.ones((2, 2)), Y=np.ones((2, 1)))
    with pytest.raises(gn.GraphError, match=r"call g.backward\(\) after"):
        g.replay()
    g.backward()
    g.forward(X=np.ones((2, 2)), Y=np.ones((2, 1)))
    with pytest.raises(gn.GraphError, match="replaced the gradients"):
        g.replay()
    g.backward()
    g.add(gn.LinearLayer(), "fc1", name="more")  # the graph changed
    with pytest.raises(gn.GraphError, match="changed"):
        g.replay()
    with pytest.raises(ValueError, match="rankdir"):
        fanout.replay(rankdir="up")
    missing = tmp_path / "nowhere" / "replay.html"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        fanout.replay().save(missing)


def test_the_docs_player_and_still_are_fresh():
    assert replay_docs.stale_files(ROOT / "docs") == []


def test_the_player_in_chromium(tmp_path, kid, browser):
    path = kid.replay().save(tmp_path / "replay.html")
    problems = []
    page = browser.new_page(viewport={"width": 1400, "height": 700})
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(path.as_uri())

    def state():
        current = page.eval_on_selector_all(
            "#picture svg g.node", "nodes => nodes.filter(n => n.querySelector('polygon[stroke=\"#d62728\"], "
            "path[stroke=\"#d62728\"]')).map(n => n.querySelector('title').textContent)")
        return page.inner_text("#caption"), current

    caption, current = state()
    assert caption.startswith("Forward step 1 of") and current == ["X"]
    page.keyboard.press("ArrowRight")
    assert state()[1] == ["Y"] and state()[0].startswith("Forward step 2 of")
    page.click("#next")
    assert state()[1] == ["input"]
    page.keyboard.press("End")
    caption, current = state()
    assert caption.startswith("Backward step 3 of 3") and current == ["input"]
    shown = page.text_content("#picture svg")
    for s, t, slot in kid.nx.edges(keys=True):
        grad = kid.last_pass.edge_grad(s, t, slot)
        if grad is not None:
            assert f"mean {format_number(np.mean(grad))}" in shown
    page.screenshot(path=str(tmp_path / "replay.png"), full_page=True)
    print("screenshot:", tmp_path / "replay.png", file=sys.stderr)
    page.close()
    assert not problems
