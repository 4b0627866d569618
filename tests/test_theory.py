"""examples/theory.py: the seed's answers computed by graphnn, and docs/theory.md kept fresh."""
import copy
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "theory.py"


def _load_theory():
    spec = importlib.util.spec_from_file_location("theory", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


theory = _load_theory()


def run_script(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=120)


def test_the_committed_write_up_and_diagrams_are_fresh():
    stale = theory.stale_files()
    assert stale == [], (f"stale: {[str(path) for path in stale]}; regenerate them with "
                         f"`{theory.COMMAND}` and commit the result")


@pytest.mark.parametrize("question", theory.QUESTIONS, ids=[q.key for q in theory.QUESTIONS])
def test_every_part1_answer_agrees_with_the_seed(question):
    result = theory.answer(question)
    assert result.agrees, (question.key, result.ours, result.seed)
    assert result.difference <= result.tolerance


def test_the_write_up_says_every_answer_agrees():
    text = (ROOT / "docs" / "theory.md").read_text()
    assert f"**{len(theory.QUESTIONS)} of {len(theory.QUESTIONS)}** agree" in text
    assert text.count("**agrees**") == len(theory.QUESTIONS)
    assert "DOES NOT AGREE" not in text


@pytest.mark.parametrize("key, entry, shift", [
    ("1c", (0, 0, 0), 2e-8),      # past one unit of the seed's 8th decimal
    ("1a", (1, 2, 2), 1e-9),      # the seed's identity is exact: a tiny shift is already wrong
    ("3b", (), 2e-5),
])
def test_a_wrong_seed_number_is_reported_as_disagreeing(key, entry, shift):
    seed = copy.deepcopy(theory.SEED)
    if entry:
        values = np.array(seed[key], dtype=float)
        values[entry] += shift
        seed[key] = values.tolist()
    else:
        seed[key] += shift
    results = theory.answers(seed)
    wrong = [result.question.key for result in results if not result.agrees]
    assert wrong == [key]
    graph, report = theory.part3()
    text = theory.theory_markdown(results, graph, report)
    assert "DOES NOT AGREE" in text
    assert f"**{len(results) - 1} of {len(results)}** agree" in text


def test_an_answer_of_the_wrong_shape_is_an_error_not_a_broadcast():
    seed = dict(theory.SEED, **{"2": [[1, 3, 5]]})
    with pytest.raises(ValueError, match=r"question 2: graphnn gives \(2, 3\), the seed \(1, 3\)"):
        theory.answers(seed)


@pytest.mark.parametrize("question", [q for q in theory.QUESTIONS if q.make_layer],
                         ids=[q.key for q in theory.QUESTIONS if q.make_layer])
def test_backward_applies_the_jacobian_the_write_up_shows(question):
    assert theory.chain_rule_gap(question.make_layer()) < 1e-15


def test_the_input_layers_gradient_is_the_fc_gradient_over_each_features_std():
    graph, _ = theory.part3()
    std = graph.op("input").stdX
    np.testing.assert_allclose(graph.grad_out("input"), graph.grad_out("fc") / std, rtol=1e-14)


def test_summary_links_point_at_the_question_headings():
    # GitHub's anchors: lower case, punctuation dropped, each space a hyphen.
    question = theory.QUESTIONS[5]
    assert theory._anchor(question) == "question-2-a-fully-connected-layer-with-w--1-2-3-4-5-6-and-b---1-2"
    text = (ROOT / "docs" / "theory.md").read_text()
    for q in theory.QUESTIONS:
        assert f"(#{theory._anchor(q)})" in text
        assert f"### Question {q.key}: {q.title}\n" in text


def test_the_script_writes_then_checks_and_finds_each_stale_file(tmp_path):
    written = run_script("--out", str(tmp_path))
    assert written.returncode == 0, written.stderr
    assert f"wrote {tmp_path / 'theory.md'}" in written.stdout
    names = sorted(path.name for path in (tmp_path / "img").iterdir())
    assert names == ["kidcreative-gradients.dot", "kidcreative-gradients.svg",
                     "kidcreative-network.dot", "kidcreative-network.svg"]
    assert run_script("--check", "--out", str(tmp_path)).returncode == 0

    markdown = tmp_path / "theory.md"
    markdown.write_text(markdown.read_text().replace("0.31428265", "0.31428266"))
    dot = tmp_path / "img" / "kidcreative-gradients.dot"
    dot.write_text(dot.read_text() + "\n")
    checked = run_script("--check", "--out", str(tmp_path))
    assert checked.returncode == 1
    assert f"stale: {markdown} (regenerate with: python examples/theory.py)" in checked.stderr
    assert f"stale: {dot}" in checked.stderr
    assert "network.dot" not in checked.stderr


def test_the_check_compares_svgs_by_the_text_they_show(tmp_path):
    theory.generate(tmp_path)
    svg = tmp_path / "img" / "kidcreative-network.svg"
    original = svg.read_text()
    # Graphviz versions move coordinates and comments: not stale.
    svg.write_text(original.replace("<!-- Generated by graphviz", "<!-- Generated by another graphviz"))
    assert theory.stale_files(tmp_path) == []
    # A different word in the picture: stale.
    assert 'font-size="12.00">sigmoid</text>' in original
    svg.write_text(original.replace('font-size="12.00">sigmoid</text>', 'font-size="12.00">sigmoid2</text>'))
    assert theory.stale_files(tmp_path) == [svg]


def test_a_missing_data_file_exits_2_with_the_loaders_message(tmp_path):
    result = run_script("--out", str(tmp_path), "--data", str(tmp_path / "nope.csv"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "nope.csv" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "theory.md").exists()
