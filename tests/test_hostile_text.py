"""Text a user or a layer writes never runs as code nor breaks a page (issue 29, items 1, 3,
7 and 14): a layer's ``describe()`` goes into the generated program only as a one-line
comment, an empty graph or one of inputs only compiles, the replay player's data survives
``<!--<script>`` and ``</script>`` in a caption, and ``Player(interval=inf)`` is refused."""
import math

import numpy as np
import pytest

import graphnn as gn
from graphnn.core.fast.program import comment
from graphnn.views.player import Player

RAN = []


class Chatty(gn.TanhLayer):
    """A tanh whose description holds code on a second line, and other line breaks."""

    def __init__(self, text):
        super().__init__()
        self.text = text

    def describe(self):
        return self.text


@pytest.mark.parametrize("text", [
    "two\nlines",
    "x\n__import__('tests.test_hostile_text', fromlist=['RAN']).RAN.append('ran')",
    "a\rb", "a\r\nb", "nul\x00byte", "line\u2028separator", "form\x0cfeed", "\x85next line",
])
def test_a_description_never_leaves_its_comment(text):
    g = gn.Graph.sequential(gn.FullyConnectedLayer(2, 2, seed=0), Chatty(text),
                            objective=gn.SquaredError())
    X, Y = np.ones((3, 2)), np.zeros((3, 2))
    results = []
    for _ in range(3):  # the first pass runs the loops; the next ones the compiled program
        J = g.forward(X=X, Y=Y)
        g.backward()
        results.append((J, g.op("fc1").weights.grad.copy()))
    assert RAN == []
    assert all(J == results[0][0] and np.array_equal(grad, results[0][1]) for J, grad in results)
    line = next(line for line in g.source.splitlines() if "tanh1_forward" in line or "chatty" in line
                and "forward(" in line)
    assert line.endswith(comment(text)) and "\n" not in comment(text)


def test_comment_keeps_printable_text():
    assert comment("FullyConnectedLayer 16->1") == "FullyConnectedLayer 16->1"
    assert comment("a\nb\x00c\u2028d") == "a b c d"


@pytest.mark.parametrize("build", ["empty", "inputs only"])
def test_an_empty_graph_compiles_and_runs(build):
    g = gn.Graph()
    feed = {}
    if build == "inputs only":
        g.input("X")
        feed = {"X": np.ones((2, 2))}
    assert "def forward(values):" in g.source and "def backward(values, record):" in g.source
    for _ in range(3):
        assert g.forward(feed) is None
    if feed:
        assert np.array_equal(g.value("X"), feed["X"])


@pytest.mark.parametrize("caption", ["<!--<script>", "</script><script>alert(1)</script>",
                                     "<!-- a comment -->", "a < b && c > d"])
def test_the_player_keeps_its_page_whatever_a_caption_holds(tmp_path, browser, caption):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    path = Player([(svg, caption), (svg, "second")]).save(tmp_path / "p.html")
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: (problems.append("a dialog opened"), dialog.dismiss()))
    page.goto(path.as_uri())
    assert page.inner_text("#caption") == caption  # shown as text, as written
    page.keyboard.press("End")
    assert page.inner_text("#caption") == "second"
    page.close()
    assert not problems


@pytest.mark.parametrize("interval", [math.inf, -math.inf, math.nan, "1", True, 0, -1])
def test_the_player_refuses_an_interval_it_cannot_play(interval):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    with pytest.raises(ValueError, match="interval must be a positive, finite number of seconds"):
        Player([(svg, "a")], interval=interval)
