"""The README's Python snippets run as written and say what they claim."""
import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_snippets_run_and_their_comments_hold(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the snippets write kidcreative.npz into the current folder
    blocks = python_blocks()
    assert len(blocks) == 3
    namespace = {}
    exec(compile(blocks[0], "README block 1", "exec"), namespace)
    g = namespace["g"]
    assert abs(namespace["J"] - 0.693) < 1e-3
    assert abs(g.grad_out("logloss").mean() - 1.257) < 1e-3     # the seed: 1.25697004
    assert abs(g.grad_out("sigmoid").mean() - 0.3143) < 1e-3    # the seed: 0.31424251
    assert g.op("fc").weights.grad.shape == (16, 1)

    exec(compile(blocks[1], "README block 2", "exec"), namespace)
    np.testing.assert_array_equal(namespace["fc"].gradient(), namespace["fc"].getWeights().T)

    J_before = namespace["J"]
    exec(compile(blocks[2], "README block 3", "exec"), namespace)
    assert namespace["history"]["loss"][-1] < J_before
    printed = capsys.readouterr().out
    assert "PASSED" in printed and "graph overhead" in printed
    assert (tmp_path / "kidcreative.npz").exists()
