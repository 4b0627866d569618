"""Tests for graphnn.datasets.load_kidcreative, on the real file and on broken copies of it."""
import re
from pathlib import Path

import numpy as np
import pytest

from graphnn.datasets import (
    KIDCREATIVE_COLUMNS,
    KIDCREATIVE_FEATURES,
    DatasetError,
    load_kidcreative,
)

# CI always copies the course file here, so its absence is a real failure, not a skip.
REAL_FILE = Path(__file__).resolve().parent.parent / "data" / "KidCreative.csv"
HEADER = ",".join(KIDCREATIVE_COLUMNS)
# The first three data rows of the real file.
ROWS = [
    "1,0,24000,1,0,1,1,0,0,26,0,0,0,1,0,0,0,0",
    "2,1,75000,1,1,1,1,0,0,15,1,0,1,1,1,1,1,0",
    "3,0,46000,1,1,0,0,0,0,36,1,1,1,1,1,1,0,0",
]


def write_csv(tmp_path, lines, name="kc.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def load_error(path):
    """Load ``path``, expecting a DatasetError, and return its message."""
    with pytest.raises(DatasetError) as excinfo:
        load_kidcreative(path)
    assert isinstance(excinfo.value, ValueError)
    return str(excinfo.value)


# --- the real file ---------------------------------------------------------------------------

def test_real_file_shapes_and_dtypes():
    X, Y = load_kidcreative(REAL_FILE)
    assert X.shape == (673, 16)
    assert Y.shape == (673, 1)
    assert X.dtype == np.float64 and Y.dtype == np.float64


def test_real_file_has_125_buyers():
    _, Y = load_kidcreative(REAL_FILE)
    assert set(np.unique(Y)) == {0.0, 1.0}
    assert Y.sum() == 125


def test_obs_no_is_dropped_and_features_keep_file_order():
    X, Y = load_kidcreative(REAL_FILE)
    assert X[0, 0] == 24000  # Income of the first person, not their "Obs No." 1
    assert X[0].tolist() == [float(v) for v in ROWS[0].split(",")[2:]]
    assert Y[:3, 0].tolist() == [0.0, 1.0, 0.0]


def test_column_constants():
    assert len(KIDCREATIVE_FEATURES) == 16
    assert KIDCREATIVE_COLUMNS == ("Obs No.", "Buy") + KIDCREATIVE_FEATURES
    assert REAL_FILE.read_text().splitlines()[0] == HEADER


def test_explicit_path_from_another_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, Y = load_kidcreative(str(REAL_FILE))
    assert X.shape == (673, 16) and Y.shape == (673, 1)


def test_default_path_falls_back_to_repository_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no data/KidCreative.csv here
    X, Y = load_kidcreative()
    assert X.shape == (673, 16) and Y.sum() == 125


def test_default_path_prefers_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    write_csv(tmp_path / "data", [HEADER, *ROWS], name="KidCreative.csv")
    X, Y = load_kidcreative()
    assert X.shape == (3, 16) and Y.shape == (3, 1)


def test_subset_and_tolerated_formatting(tmp_path):
    # A byte-order mark, spaces around names and values, CRLF and blank lines are all harmless.
    header = ", ".join(KIDCREATIVE_COLUMNS)
    text = "\ufeff" + header + "\r\n" + ROWS[0].replace(",", " , ") + "\r\n\r\n" + ROWS[1] + "\r\n"
    path = tmp_path / "kc.csv"
    path.write_bytes(text.encode("utf-8"))
    X, Y = load_kidcreative(path)
    assert X.shape == (2, 16)
    assert Y[:, 0].tolist() == [0.0, 1.0]


# --- broken files ----------------------------------------------------------------------------

def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    message = load_error(path)
    assert str(path.resolve()) in message
    assert "673" in message and "data/" in message and "--data" in message


def test_missing_default_file_names_both_places(tmp_path, monkeypatch):
    import graphnn.datasets as datasets

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(datasets, "_REPO_PATH", tmp_path / "repo" / "KidCreative.csv")
    with pytest.raises(DatasetError) as excinfo:
        load_kidcreative()
    message = str(excinfo.value)
    assert str(tmp_path / "data" / "KidCreative.csv") in message
    assert str(tmp_path / "repo" / "KidCreative.csv") in message


def test_directory(tmp_path):
    message = load_error(tmp_path)
    assert "directory" in message and str(tmp_path) in message


@pytest.mark.parametrize("content", ["", "  \n\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "kc.csv"
    path.write_text(content)
    assert "empty" in load_error(path)


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf", b"\xef\xbb\xbf \n\n"], ids=["bom", "bom-blank"])
def test_file_with_only_a_byte_order_mark_is_empty(tmp_path, content):
    path = tmp_path / "kc.csv"
    path.write_bytes(content)
    assert "empty" in load_error(path)  # not an IndexError from an empty first line


def test_not_utf8(tmp_path):
    path = tmp_path / "kc.xlsx"
    path.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    assert "UTF-8" in load_error(path)


def test_missing_column(tmp_path):
    columns = [c for c in KIDCREATIVE_COLUMNS if c != "Minors"]
    rows = [",".join(v for k, v in zip(KIDCREATIVE_COLUMNS, r.split(",")) if k != "Minors")
            for r in ROWS]
    message = load_error(write_csv(tmp_path, [",".join(columns), *rows]))
    assert "missing column(s) 'Minors'" in message
    assert "unexpected" not in message


def test_unexpected_extra_column(tmp_path):
    lines = [HEADER + ",Age", *(r + ",40" for r in ROWS)]
    message = load_error(write_csv(tmp_path, lines))
    assert "unexpected column(s) 'Age'" in message
    assert "missing" not in message


def test_renamed_column(tmp_path):
    message = load_error(write_csv(tmp_path, [HEADER.replace("Own,", "Owner,"), *ROWS]))
    assert "missing column(s) 'Own'" in message and "unexpected column(s) 'Owner'" in message


def test_wrong_order(tmp_path):
    swapped = HEADER.replace("Income,Is Female", "Is Female,Income")
    message = load_error(write_csv(tmp_path, [swapped, *ROWS]))
    assert "wrong order" in message and "column 3 is 'Is Female'" in message
    assert "missing" not in message and "unexpected" not in message


def test_duplicated_column(tmp_path):
    message = load_error(write_csv(tmp_path, [HEADER.replace("Own,", "House,"), *ROWS]))
    assert "missing column(s) 'Own'" in message and "duplicated column(s) 'House'" in message


def test_trailing_comma_in_header(tmp_path):
    message = load_error(write_csv(tmp_path, [HEADER + ",", *(r + "," for r in ROWS)]))
    assert "unexpected column(s) an unnamed column" in message


def test_semicolon_separated(tmp_path):
    message = load_error(write_csv(tmp_path, [HEADER.replace(",", ";")]))
    assert "separator" in message


def test_blank_first_line(tmp_path):
    assert "line 1 is blank" in load_error(write_csv(tmp_path, ["", HEADER, *ROWS]))


def test_header_only(tmp_path):
    assert "no data rows" in load_error(write_csv(tmp_path, [HEADER]))


def test_non_numeric_cell(tmp_path):
    bad = ROWS[1].replace("75000", "75k")
    message = load_error(write_csv(tmp_path, [HEADER, ROWS[0], bad, ROWS[2]]))
    assert "row 2 (line 3)" in message
    assert "'Income'" in message and "'75k'" in message


def test_row_numbers_count_past_blank_lines(tmp_path):
    bad = ROWS[1].replace("75000", "x")
    message = load_error(write_csv(tmp_path, [HEADER, ROWS[0], "", bad]))
    assert "row 2 (line 4)" in message


def test_blank_cell(tmp_path):
    bad = ROWS[2].replace(",36,", ",,")
    message = load_error(write_csv(tmp_path, [HEADER, *ROWS[:2], bad]))
    assert "row 3 (line 4)" in message and "'Residence Length'" in message
    assert "blank" in message


def test_nan_literal_cell(tmp_path):
    bad = ROWS[0].replace(",26,", ",NaN,")
    message = load_error(write_csv(tmp_path, [HEADER, bad, *ROWS[1:]]))
    assert "row 1 (line 2)" in message and "'Residence Length'" in message
    assert "'NaN'" in message


def test_buy_not_binary(tmp_path):
    rows = [r.replace(",0,", ",2,", 1) if i != 1 else r for i, r in enumerate(ROWS)]
    message = load_error(write_csv(tmp_path, [HEADER, *rows]))
    assert "'Buy'" in message
    assert "row 1 (line 2): '2'" in message and "row 3 (line 4): '2'" in message
    assert "row 2" not in message


def test_ragged_row_too_long(tmp_path):
    message = load_error(write_csv(tmp_path, [HEADER, ROWS[0], ROWS[1] + ",1", ROWS[2]]))
    assert re.search(r"line 3\b", message) and "19 fields" in message


def test_ragged_row_too_short(tmp_path):
    short = ROWS[1].rsplit(",", 2)[0]
    message = load_error(write_csv(tmp_path, [HEADER, ROWS[0], short]))
    assert "row 2 (line 3)" in message and "'Prev Child Mag'" in message
    assert "16 of 18 fields" in message
