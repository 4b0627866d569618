"""docs/notebooks/kidcreative.ipynb runs in a real Jupyter kernel (nbclient + ipykernel), with
no error and no warning, and shows what it promises: the summary, both diagrams as inline
SVG, fit's progress bar as a widget, the history's short summary and the learning curve."""
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "notebooks" / "kidcreative.ipynb"


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def cell_with(nb, code):
    return next(cell for cell in code_cells(nb) if code in cell.source)


def texts(output):
    """Every text an output carries: a stream's text, the plain text and HTML of results."""
    if output.output_type == "stream":
        return [output.text]
    if output.output_type == "error":
        return [output.ename, output.evalue]
    data = output.get("data", {})
    return [str(data[key]) for key in ("text/plain", "text/html") if key in data]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's path warning
    # IPC transport (sockets under a temporary folder): a local kernel, and no "running over
    # TCP without encryption" warning from it
    sockets = tmp_path_factory.mktemp("kernel") / "ipc"
    config = Config({"KernelManager": {"transport": "ipc", "ip": str(sockets)}})
    client = NotebookClient(nb, timeout=600, kernel_name="python3", config=config,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError, with the traceback, if a cell fails
    return nb


def test_the_committed_notebook_is_valid_and_its_outputs_are_cleared():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for cell in code_cells(nb):
        assert cell.outputs == [] and cell.execution_count is None, cell.source


def test_every_cell_runs_without_an_error_a_warning_or_anything_on_stderr(executed):
    for cell in code_cells(executed):
        assert cell.execution_count is not None
        for output in cell.outputs:
            assert output.output_type != "error", output
            assert not (output.output_type == "stream" and output.name == "stderr"), output.text
            for text in texts(output):
                assert not re.search(r"warn", text, flags=re.I), text


def test_it_computes_the_seeds_pass(executed):
    printed = "".join(o.text for o in cell_with(executed, 'print(f"J =').outputs
                      if o.output_type == "stream")
    assert "J = 0.69316980" in printed                       # as the README and docs say
    assert "mean gradient out of LogLoss: 1.2571" in printed
    assert "mean gradient out of the sigmoid: 0.31428" in printed
    table = cell_with(executed, "gn.summary(g)").outputs[-1].data
    assert "fc" in table["text/html"] and "673 x 1" in table["text/plain"]
    assert "trainable parameters: 17" in table["text/plain"]


@pytest.mark.parametrize("code, words", [
    ("to_dot(g)\n", ("fc", "FullyConnectedLayer 16&#45;&gt;1", "total parameters: 17")),
    ('to_dot(g, "gradients")', ("Gradient flow", "mean|g|", "|grad| weights")),
])
def test_both_diagrams_are_inline_svg(executed, code, words):
    cell = next(c for c in code_cells(executed) if c.source.strip() == code.strip())
    (result,) = cell.outputs
    svg = result.data["image/svg+xml"]
    assert "<svg" in svg
    for word in words:
        assert word in svg, word
    assert "0x" not in result.data["text/plain"]              # no object address


def test_fit_shows_a_progress_widget_and_a_short_history(executed):
    outputs = cell_with(executed, "gn.fit(").outputs
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widgets, "no progress widget"
    (result,) = [o for o in outputs if o.output_type == "execute_result"]
    assert result.data["text/plain"].startswith("History(epochs=100, loss=")
    assert len(result.data["text/plain"]) < 200


def test_the_learning_curve_is_an_inline_image(executed):
    (result,) = cell_with(executed, "gn.plot_history(history)").outputs
    assert result.data["image/png"]                          # base64 PNG
    import base64

    assert base64.b64decode(result.data["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
