"""The README's Python snippets run as written and say what they claim."""
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_snippets_run_and_their_comments_hold(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the snippets write kidcreative.npz into the current folder
    blocks = python_blocks()
    assert len(blocks) == 3
    code_lines = [line for line in blocks[0].splitlines()[1:] if line.strip()]
    assert len(code_lines) == 10, "the README promises ten lines after the import"
    namespace = {}
    exec(compile(blocks[0], "README block 1", "exec"), namespace)
    g = namespace["g"]
    assert f"{namespace['J']:.8f}" == "0.69316980"
    assert f"{g.grad_out('sigmoid').mean():.4f}" == "0.3143"    # the seed: 0.31424251
    assert g.op("fc").weights.grad.shape == (16, 1)

    exec(compile(blocks[1], "README block 2", "exec"), namespace)
    sigmoid = namespace["sigmoid"]
    assert sigmoid.gradient().shape == (2, 3, 3)
    np.testing.assert_allclose(sigmoid.backward(np.ones((2, 3))),
                               np.einsum("nk,nkd->nd", np.ones((2, 3)), sigmoid.gradient()))
    loss = namespace["gn"].LogLoss().eval(np.array([[0.0], [1]]), np.array([[0.2], [0.3]]))
    assert f"{loss:.5f}" == "0.71356"  # the seed's Part 1, as the block's last line says

    J_before = namespace["J"]
    exec(compile(blocks[2], "README block 3", "exec"), namespace)
    assert namespace["history"]["loss"][-1] < J_before
    printed = capsys.readouterr().out
    assert "PASSED" in printed and "graph overhead" in printed
    assert (tmp_path / "kidcreative.npz").exists()


def test_the_seed_table_quotes_the_generated_write_up():
    """The numbers the README quotes for Parts 1 and 3 are those of docs/theory.md, which a
    test keeps fresh."""
    readme, theory = README.read_text(), (ROOT / "docs" / "theory.md").read_text()
    agreeing = re.search(r"\*\*(\d+) of (\d+)\*\* agree", theory)
    assert agreeing.group(1) == agreeing.group(2)
    assert f"all {agreeing.group(1)} agree" in readme
    for number in ("0.69316980", "1.25713060", "0.31428265"):
        assert number in theory
    for number in ("1.25713060", "0.31428265", "1.25697004", "0.31424251"):
        assert number in readme and number in theory
    for command in re.findall(r"`(python examples/\w+\.py)`", readme):
        assert (ROOT / command.split()[1]).exists(), command
