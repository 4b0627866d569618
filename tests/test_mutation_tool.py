"""``tools/mutation.py``: the results of a mutation run carried from one sitting to the next
(``save``, ``restore``, ``pending``) and the table the docs print."""
import importlib.util
import json
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location("mutation_tool", Path(__file__).parents[1] / "tools" / "mutation.py")
mutation = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(mutation)

METHOD = "xǁWrappedLayerǁbackward"  # mutmut's name for a method: class and method joined by ǁ


def write_meta(mutants, path, codes, hashes):
    meta = mutants / (path + ".meta")
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps({"exit_code_by_key": codes, "hash_by_function_name": hashes,
                                "type_check_error_by_key": {}, "durations_by_key": {"a": 1.0},
                                "estimated_durations_by_key": {}}))


@pytest.fixture
def run(tmp_path, monkeypatch):
    """A finished run's ``mutants/graphnn``: two files, killed, survived, time-out, no tests,
    not run yet, a method's mutants numbered out of order."""
    monkeypatch.chdir(tmp_path)
    mutants = Path("mutants/graphnn")
    write_meta(mutants, "grading/adapter.py",
               {f"graphnn.grading.adapter.{METHOD}__mutmut_2": 0, f"graphnn.grading.adapter.{METHOD}__mutmut_1": 1,
                "graphnn.grading.adapter.x_wrap__mutmut_1": None, "graphnn.grading.adapter.x_wrap__mutmut_3": -24},
               {METHOD: "aaa", "x_wrap": "bbb"})
    write_meta(mutants, "core/graph.py", {"graphnn.core.graph.x_add__mutmut_1": 33}, {"x_add": "ccc"})
    return mutants, tmp_path / "results.json"


def test_saved_results_come_back_as_mutmut_wrote_them(run):
    mutants, saved = run
    before = mutation.results()
    entry = mutation.save("", saved, mutants)["grading/adapter.py"]
    # one list a function, indexed by the mutant's number; a gap is a mutant never run
    assert entry == {"module": "graphnn.grading.adapter", "hashes": {METHOD: "aaa", "x_wrap": "bbb"},
                     "results": {METHOD: [1, 0], "x_wrap": [None, None, -24]}}
    for meta in mutants.rglob("*.meta"):
        meta.unlink()
    mutation.restore(saved, mutants)
    after = mutation.results()
    assert after["core/graph.py"] == before["core/graph.py"]
    # the gap comes back as a mutant not run yet, which mutmut drops when it generates afresh
    assert after["grading/adapter.py"] == {**before["grading/adapter.py"], "graphnn.grading.adapter.x_wrap__mutmut_2": None}
    restored = json.loads((mutants / "core/graph.py.meta").read_text())
    assert restored["hash_by_function_name"] == {"x_add": "ccc"} and restored["durations_by_key"] == {}


def test_a_save_under_a_prefix_keeps_the_other_files(run):
    mutants, saved = run
    mutation.save("", saved, mutants)
    write_meta(mutants, "grading/adapter.py", {"graphnn.grading.adapter.x_wrap__mutmut_1": 1}, {"x_wrap": "ddd"})
    write_meta(mutants, "core/graph.py", {"graphnn.core.graph.x_add__mutmut_1": 1}, {"x_add": "eee"})
    kept = mutation.save("grading/", saved, mutants)
    assert kept["grading/adapter.py"]["results"] == {"x_wrap": [1]}
    assert kept["core/graph.py"]["results"] == {"x_add": [33]}  # not under grading/: as saved before


def test_restore_leaves_what_mutmut_has_already_written(run):
    mutants, saved = run
    mutation.save("", saved, mutants)
    write_meta(mutants, "core/graph.py", {"graphnn.core.graph.x_add__mutmut_1": 1}, {"x_add": "eee"})
    mutation.restore(saved, mutants)
    assert mutation.results()["core/graph.py"] == {"graphnn.core.graph.x_add__mutmut_1": 1}


def test_pending_names_what_has_no_result_for_the_source_as_it_is(run, monkeypatch):
    """Not run yet, new since the run, or of a function whose hash changed: pending; a result
    of an unchanged function stands. (mutmut's generator is stood in for: it is no dependency
    of the tests.)"""
    mutants, _ = run
    for path in ("grading/adapter.py", "core/graph.py"):
        (Path("graphnn") / path).parent.mkdir(parents=True, exist_ok=True)
        (Path("graphnn") / path).write_text("")
    now = {"grading/adapter.py": ([f"graphnn.grading.adapter.{METHOD}__mutmut_1", f"graphnn.grading.adapter.{METHOD}__mutmut_2",
                                   "graphnn.grading.adapter.x_wrap__mutmut_1", "graphnn.grading.adapter.x_wrap__mutmut_3",
                                   "graphnn.grading.adapter.x_wrap__mutmut_4"],
                                  {METHOD: "aaa", "x_wrap": "bbb"}),
           "core/graph.py": (["graphnn.core.graph.x_add__mutmut_1"], {"x_add": "changed"})}
    monkeypatch.setattr(mutation, "current_mutants", lambda path: now[path])
    assert mutation.pending("grading/", mutants) == ["graphnn.grading.adapter.x_wrap__mutmut_1",
                                                     "graphnn.grading.adapter.x_wrap__mutmut_4"]
    assert mutation.pending("core/", mutants) == ["graphnn.core.graph.x_add__mutmut_1"]  # its function changed
    assert mutation.pending("", mutants) == mutation.pending("core/", mutants) + mutation.pending("grading/", mutants)


def test_the_table_counts_time_outs_as_killed_and_no_tests_apart(run):
    table = mutation.table("grading/").splitlines()
    # 4 mutants, 3 tested (one not run), 2 killed (a failing test, a time-out), 1 survived
    assert table[2] == "| `grading/adapter.py` | 4 | 3 | 2 | 1 | 0 | 66.7 |"
    assert mutation.table("core/").splitlines()[2] == "| `core/graph.py` | 1 | 1 | 0 | 0 | 1 | 0.0 |"
