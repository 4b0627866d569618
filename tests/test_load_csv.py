"""``gn.load_csv`` on files a user brings (as spreadsheets and other tools write them), its
catalogue of bad inputs (one test per case, each a ``DatasetError`` naming the culprit), and
``gn.split``."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphnn as gn
from graphnn.datasets import DatasetError, load_csv, split

PETS = ["id,weight,legs,kind", "1,4.0,4,cat", "2,0.1,2,bird", "3,30,4,dog", "4,3.5,4,cat"]


def write(tmp_path, lines, name="data.csv", newline="\n", bom=False):
    path = tmp_path / name
    path.write_bytes((("\ufeff" if bom else "") + newline.join(lines) + newline).encode("utf-8"))
    return path


def error(path, **kwargs):
    with pytest.raises(DatasetError) as excinfo:
        load_csv(path, **kwargs)
    assert isinstance(excinfo.value, ValueError)  # one except clause catches every loader error
    return str(excinfo.value)


# --- what it reads ---------------------------------------------------------------------------

def test_numeric_target_and_features_in_file_order(tmp_path):
    path = write(tmp_path, ["a,y,b", "1,0,2", "3,1,4", "5,1,6"])
    X, Y = load_csv(path, target="y")
    assert X.tolist() == [[1, 2], [3, 4], [5, 6]] and Y.tolist() == [[0], [1], [1]]
    assert X.dtype == Y.dtype == np.float64 and X.flags.c_contiguous


def test_one_hot_text_labels_in_sorted_order(tmp_path):
    X, Y = load_csv(write(tmp_path, PETS), target="kind", drop=["id"], one_hot=True)
    assert X.tolist() == [[4.0, 4], [0.1, 2], [30, 4], [3.5, 4]]
    assert Y.tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]]  # bird, cat, dog


def test_one_hot_numeric_labels_sort_as_numbers(tmp_path):
    path = write(tmp_path, ["x,digit", "1,10", "2,9", "3,2"])
    _, Y = load_csv(path, target="digit", one_hot=True)
    assert Y.tolist() == [[0, 0, 1], [0, 1, 0], [1, 0, 0]]  # 2 < 9 < 10, not "10" < "2" < "9"


def test_several_targets(tmp_path):
    path = write(tmp_path, ["x,u,v", "1,2,3", "4,5,6"])
    X, Y = load_csv(path, target=["u", "v"])
    assert X.tolist() == [[1], [4]] and Y.tolist() == [[2, 3], [5, 6]]


def test_what_spreadsheets_write_is_read(tmp_path):
    """A byte-order mark, Windows line ends, spaces around names and numbers, blank lines,
    quoted names."""
    path = write(tmp_path, ['"Obs No."," Height ",Buy', "", "1, 1.5 ,0", "2,2.5,1", ""],
                 newline="\r\n", bom=True)
    X, Y = load_csv(path, target="Buy", drop="Obs No.")
    assert X.tolist() == [[1.5], [2.5]] and Y.tolist() == [[0], [1]]


def test_a_file_pandas_wrote(tmp_path):
    import pandas as pd
    frame = pd.DataFrame({"f1": [0.5, 1.5, 2.5], "f2": [1, 2, 3], "label": ["no", "yes", "no"]})
    frame.to_csv(tmp_path / "frame.csv")  # with pandas' unnamed index column first
    message = error(tmp_path / "frame.csv", target="label", one_hot=True)
    assert "column 1 has no name" in message and "drop=''" in message  # a row id is no feature
    X, Y = load_csv(tmp_path / "frame.csv", target="label", drop="", one_hot=True)
    assert X.tolist() == [[0.5, 1], [1.5, 2], [2.5, 3]] and Y.tolist() == [[1, 0], [0, 1], [1, 0]]


def test_load_kidcreative_is_one_call_of_the_same_reader(tmp_path):
    from graphnn.datasets import KIDCREATIVE_COLUMNS
    path = write(tmp_path, [",".join(KIDCREATIVE_COLUMNS), "1,0," + ",".join(["1"] * 16),
                            "2,1," + ",".join(["2"] * 16)])
    X, Y = gn.load_kidcreative(path)
    X2, Y2 = load_csv(path, target="Buy", drop="Obs No.")
    assert np.array_equal(X, X2) and np.array_equal(Y, Y2)


# --- the catalogue of bad inputs -------------------------------------------------------------

def test_missing_file(tmp_path):
    message = error(tmp_path / "nope.csv", target="y")
    assert "not found" in message and "nope.csv" in message


def test_a_directory(tmp_path):
    assert "is a directory, not a CSV file" in error(tmp_path, target="y")


def test_empty_file(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    assert "the file is empty" in error(tmp_path / "empty.csv", target="y")


def test_header_only(tmp_path):
    assert "has a header but no data rows" in error(write(tmp_path, ["a,y"]), target="y")


def test_missing_target_column_lists_the_columns(tmp_path):
    message = error(write(tmp_path, PETS), target="species")
    assert "no column 'species'" in message
    assert "the columns are 'id', 'weight', 'legs', 'kind'" in message


def test_missing_dropped_column(tmp_path):
    assert "no column 'ID'" in error(write(tmp_path, PETS), target="kind", drop=["ID"], one_hot=True)


def test_semicolon_separated_file_is_named(tmp_path):
    message = error(write(tmp_path, ["a;y", "1;0", "2;1"]), target="y")
    assert "no column 'y'" in message and "';' or tabs instead of commas" in message


def test_text_in_a_numeric_column(tmp_path):
    message = error(write(tmp_path, ["a,y", "1,0", "two,1", "3,1"]), target="y")
    assert message.endswith("row 2 (line 3), column 'a' is 'two', not a (finite) number. "
                            "Every cell must hold a number.")


def test_text_target_without_one_hot(tmp_path):
    message = error(write(tmp_path, PETS), target="kind", drop="id")
    assert "column 'kind' is 'cat', not a (finite) number" in message


def test_blank_cell(tmp_path):
    assert "row 2 (line 3), column 'a' is blank" in error(
        write(tmp_path, ["a,y", "1,0", " ,1"]), target="y")


def test_short_row(tmp_path):
    message = error(write(tmp_path, ["a,b,y", "1,2,0", "3,1"]), target="y")
    assert "row 2 (line 3), column 'y' is missing: the row has only 2 of 3 fields" in message


def test_long_row(tmp_path):
    message = error(write(tmp_path, ["a,y", "1,0", "2,1,7"]), target="y")
    assert "line 3: 3 fields, but the header has 2" in message


def test_duplicated_column_name(tmp_path):
    assert "duplicated column(s) 'a'" in error(write(tmp_path, ["a,a,y", "1,2,0", "3,4,1"]), target="y")


def test_target_with_one_class(tmp_path):
    message = error(write(tmp_path, ["a,y", "1,0", "2,0", "3,0"]), target="y")
    assert "holds the same value ([0.0]) in all 3 rows: one class, nothing to learn" in message


def test_one_hot_target_with_one_class(tmp_path):
    message = error(write(tmp_path, ["a,y", "1,cat", "2, cat"]), target="y", one_hot=True)
    assert "holds the same value ('cat') in all 2 rows" in message


def test_blank_class_label(tmp_path):
    message = error(write(tmp_path, ["a,y", "1,cat", "2,", "3,dog"]), target="y", one_hot=True)
    assert "row 2 (line 3), column 'y' has no class label" in message


def test_trailing_comma_in_the_header(tmp_path):
    assert "column 3 has no name" in error(write(tmp_path, ["a,y,", "1,0,", "2,1,"]), target="y")


def test_no_feature_left(tmp_path):
    message = error(write(tmp_path, ["id,y", "1,0", "2,1"]), target="y", drop="id")
    assert "no column is left for X" in message


def test_one_hot_needs_one_target(tmp_path):
    assert "one_hot=True needs one target column" in error(
        write(tmp_path, PETS), target=["kind", "legs"], one_hot=True)


# --- split -----------------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(n=st.integers(2, 60), validation=st.floats(0.05, 0.95), seed=st.integers(0, 2**32 - 1))
def test_split_is_a_shuffled_partition_of_the_rows(n, validation, seed):
    X = np.arange(n, dtype=float).reshape(n, 1)
    Y = np.column_stack([X[:, 0] * 2, -X[:, 0]])
    n_val = round(validation * n)
    if not 0 < n_val < n:
        with pytest.raises(ValueError, match="leaves no"):
            split(X, Y, validation, seed=seed)
        return
    (Xt, Yt), (Xv, Yv) = split(X, Y, validation, seed=seed)
    assert len(Xv) == n_val and len(Xt) == n - n_val
    assert sorted(np.concatenate([Xt, Xv])[:, 0]) == list(range(n))  # every row once
    assert np.array_equal(Yt[:, 0], 2 * Xt[:, 0]) and np.array_equal(Yv[:, 1], -Xv[:, 0])
    (Xt2, _), _ = split(X, Y, validation, seed=seed)
    assert np.array_equal(Xt, Xt2)  # a seed gives the same split


def test_split_shuffles():
    X = np.arange(300.0).reshape(-1, 1)
    (Xt, _), _ = split(X, X, seed=1)
    assert len(Xt) == 200 and not np.array_equal(Xt[:, 0], np.sort(Xt[:, 0]))


@pytest.mark.parametrize("X, Y, validation, message", [
    (np.ones((4, 2)), np.ones((3, 1)), 0.5, "one row per observation"),
    (np.ones(4), np.ones((4, 1)), 0.5, "must be 2-D"),
    (np.ones((4, 2)), np.ones((4, 1)), 1.5, r"validation must be a fraction in \(0, 1\), got 1.5"),
    (np.ones((4, 2)), np.ones((4, 1)), True, "validation must be a fraction"),
    (np.ones((2, 2)), np.ones((2, 1)), 0.1, "leaves no validation rows"),
])
def test_split_refuses(X, Y, validation, message):
    with pytest.raises(ValueError, match=message):
        split(X, Y, validation)


def test_top_level_names():
    assert gn.load_csv is load_csv and gn.split is split


def test_the_example_on_the_data_page_runs_as_it_says(tmp_path, monkeypatch):
    """docs/data.md's `pets.csv` and the code below it, run as a reader would."""
    from pathlib import Path
    page = (Path(__file__).resolve().parent.parent / "docs" / "data.md").read_text()
    section = page.split("## Your own data")[1]
    csv_block = section.split("`pets.csv`:\n\n```\n")[1].split("```")[0]
    code_block = section.split("```python\n")[1].split("```")[0]
    (tmp_path / "pets.csv").write_text(csv_block)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(code_block, namespace)  # noqa: S102 - the page's own example
    X, Y = namespace["X"], namespace["Y"]
    assert X.shape == (4, 2) and Y.shape == (4, 3)
    assert Y.argmax(axis=1).tolist() == [1, 0, 2, 1]  # cat, bird, dog, cat: bird < cat < dog
    assert len(namespace["X_train"]) + len(namespace["X_val"]) == 4 and len(namespace["X_val"]) == 1
