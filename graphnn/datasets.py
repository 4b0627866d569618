"""Loaders for the data sets used in the course examples.

``load_kidcreative`` reads the Kid Creative data set (``KidCreative.csv``: 673 people, whether
they bought a children's creativity magazine) into ``N x D`` arrays, the layout every graphnn
value uses. The file is not shipped with graphnn; see ``data/README.md`` for where to get it.

The CSV must have a header row with exactly these 18 columns, in this order::

    Obs No., Buy, Income, Is Female, Is Married, Has College, Is Professional, Is Retired,
    Unemployed, Residence Length, Dual Income, Minors, Own, House, White, English,
    Prev Child Mag, Prev Parent Mag

Anything else raises ``DatasetError`` with a message naming the culprit (path, column, row,
value) rather than a pandas traceback, because the usual cause is a mis-copied or re-saved
file that the user has to fix by hand.
"""
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

#: the 16 feature columns, in file order: the columns of ``X`` from ``load_kidcreative``
KIDCREATIVE_FEATURES = (
    "Income", "Is Female", "Is Married", "Has College", "Is Professional", "Is Retired",
    "Unemployed", "Residence Length", "Dual Income", "Minors", "Own", "House", "White",
    "English", "Prev Child Mag", "Prev Parent Mag",
)
#: the 18 columns the CSV header must have, in this order: the row id, the target, the features
KIDCREATIVE_COLUMNS = ("Obs No.", "Buy") + KIDCREATIVE_FEATURES

_DEFAULT_PATH = "data/KidCreative.csv"
_REPO_PATH = Path(__file__).resolve().parent.parent / "data" / "KidCreative.csv"
_ABOUT = (
    "The data set is the course's KidCreative.csv (673 rows plus a header row, 18 columns). "
    f"Put it in the repository's data/ directory ({_REPO_PATH}) or pass its path explicitly "
    "(--data PATH in examples/kidcreative.py)."
)
_MAX_LISTED = 5  # enough to see a pattern without flooding the terminal


class DatasetError(ValueError):
    """A data file is missing, unreadable or not in the expected format."""


def load_kidcreative(path=_DEFAULT_PATH):
    """Load the Kid Creative data set and return ``(X, Y)``.

    ``X`` is an ``N x 16`` float64 array of the feature columns, in file order:
    Income, Is Female, Is Married, Has College, Is Professional, Is Retired, Unemployed,
    Residence Length, Dual Income, Minors, Own, House, White, English, Prev Child Mag,
    Prev Parent Mag (``KIDCREATIVE_FEATURES``). ``Y`` is the ``N x 1`` float64 ``Buy`` column
    (1 = bought the magazine, 0 = did not). The ``Obs No.`` row id is dropped. For the full
    course file ``N`` is 673, but any file with at least one data row is accepted.

    ``path`` (str or os.PathLike) is used as given. Only when it is left at its default
    ``"data/KidCreative.csv"`` and that does not exist in the current directory does the
    loader fall back to the repository's ``data/KidCreative.csv``, so the examples run from
    any directory.

    Raises ``DatasetError`` (a ``ValueError``) if the file is missing, empty, has a different
    header, a blank or non-numeric cell, a ragged row, or a ``Buy`` value other than 0/1.
    """
    path = _resolve(path)
    text = _read_text(path)
    if not text.splitlines()[0].strip():
        raise DatasetError(f"{path}: line 1 is blank; the first line must be the header row.")
    # The header is checked on its own first: a wrong header usually also makes the rows
    # "ragged", and the missing column names are the more useful message.
    _check_header(_parse(text, path, nrows=1).iloc[0], path)

    rows = _parse(text, path).iloc[1:].set_axis(list(KIDCREATIVE_COLUMNS), axis=1)
    # Blank lines are harmless, but we keep the original index so messages can quote file lines.
    blank = rows.apply(lambda col: col.isna() | (col.str.strip() == "")).all(axis=1)
    rows = rows[~blank]
    if rows.empty:
        raise DatasetError(f"{path}: the file has a header but no data rows. {_ABOUT}")

    # "Obs No." is dropped, so an odd row id is no reason to reject the file.
    used = rows[["Buy", *KIDCREATIVE_FEATURES]]
    values = used.apply(lambda col: pd.to_numeric(col.str.strip(), errors="coerce"))
    values = values.to_numpy(dtype=np.float64)
    _check_cells(used, values, path)
    _check_buy(used["Buy"], values[:, 0], path)
    return values[:, 1:].copy(), values[:, :1].copy()


def kidcreative_path(path=_DEFAULT_PATH):
    """The file ``load_kidcreative(path)`` reads, as a ``pathlib.Path``: ``path`` itself, or,
    for the default ``"data/KidCreative.csv"`` missing from the current directory, the
    repository's ``data/KidCreative.csv``. Raises ``DatasetError`` when there is no such file."""
    return _resolve(path)


def _resolve(path):
    if path == _DEFAULT_PATH and not Path(path).exists():
        if _REPO_PATH.exists():
            return _REPO_PATH
        raise DatasetError(
            "Kid Creative data file not found: looked for "
            f"{Path(path).resolve()} and {_REPO_PATH}. {_ABOUT}"
        )
    path = Path(path)
    if path.is_dir():
        raise DatasetError(f"{path.resolve()} is a directory, not a CSV file. {_ABOUT}")
    if not path.exists():
        raise DatasetError(
            f"Kid Creative data file not found: looked for {path.resolve()}. {_ABOUT}"
        )
    return path


def _read_text(path):
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DatasetError(f"{path}: could not be read ({err.strerror or err}).") from None
    try:
        # utf-8-sig: spreadsheet programs often prepend a byte-order mark, which would
        # otherwise end up glued to the first column name.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DatasetError(
            f"{path}: not a UTF-8 text file (undecodable byte at offset {err.start}). "
            "Is it really the CSV and not, say, a spreadsheet? Re-save it as UTF-8 CSV."
        ) from None
    if not text.strip():  # after decoding: a file holding only a byte-order mark is empty too
        raise DatasetError(f"{path}: the file is empty. {_ABOUT}")
    return text


def _parse(text, path, nrows=None):
    """Every cell as a string; header included as row 0 so duplicate names are not mangled."""
    try:
        # The python engine leaves missing fields of a short row as NaN (an empty cell is "")
        # and skip_blank_lines=False keeps row i on file line i + 1, for the messages.
        return pd.read_csv(
            io.StringIO(text), header=None, dtype=str, keep_default_na=False,
            skip_blank_lines=False, engine="python", nrows=nrows,
        )
    except pd.errors.ParserError as err:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if found:
            expected, line, saw = found.groups()
            raise DatasetError(
                f"{path}, line {line}: {saw} fields, but the header has {expected}. "
                "Every row needs one value per column; look for a stray comma."
            ) from None
        raise DatasetError(f"{path}: not a valid CSV file ({err}).") from None


def _check_header(header, path):
    found = ["" if pd.isna(name) else name.strip() for name in header]
    if found == list(KIDCREATIVE_COLUMNS):
        return
    expected = ",".join(KIDCREATIVE_COLUMNS)
    missing = [name for name in KIDCREATIVE_COLUMNS if name not in found]
    unexpected = [name for name in found if name not in KIDCREATIVE_COLUMNS]
    duplicated = sorted({name for name in found if name and found.count(name) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s) {_quote(missing)}")
    if unexpected:
        problems.append(f"unexpected column(s) {_quote(unexpected)}")
        if len(found) == 1 and (";" in found[0] or "\t" in found[0]):
            problems.append("the file seems to use ';' or tabs instead of commas as separator")
    if duplicated:
        problems.append(f"duplicated column(s) {_quote(duplicated)}")
    if not problems:
        i = next(i for i, (a, b) in enumerate(zip(found, KIDCREATIVE_COLUMNS)) if a != b)
        problems.append(
            f"the columns are in the wrong order (column {i + 1} is {found[i]!r}, "
            f"expected {KIDCREATIVE_COLUMNS[i]!r})"
        )
    raise DatasetError(
        f"{path}: the header row is not the KidCreative header; {'; '.join(problems)}. "
        f"The first line must be exactly: {expected}"
    )


def _check_cells(cells, values, path):
    bad = np.argwhere(~np.isfinite(values))  # row-major, so the first hit is the first in the file
    if not len(bad):
        return
    i, j = bad[0]
    raw = cells.iat[i, j]
    if pd.isna(raw):
        n_fields = int(cells.iloc[i].notna().sum()) + 1  # + the dropped "Obs No."
        what = f"is missing: the row has only {n_fields} of {len(KIDCREATIVE_COLUMNS)} fields"
    elif not raw.strip():
        what = "is blank"
    else:
        what = f"is {raw.strip()!r}, not a (finite) number"
    more = f" ({len(bad) - 1} more bad cell(s) after this one)" if len(bad) > 1 else ""
    raise DatasetError(
        f"{path}: {_where(cells.index[i], i)}, column {cells.columns[j]!r} {what}{more}. "
        "Every cell must hold a number."
    )


def _check_buy(raw, buy, path):
    bad = np.flatnonzero((buy != 0) & (buy != 1))
    if not len(bad):
        return
    listed = "; ".join(
        f"{_where(raw.index[i], i)}: {raw.iat[i].strip()!r}" for i in bad[:_MAX_LISTED]
    )
    more = f" and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else ""
    raise DatasetError(
        f"{path}: column 'Buy' must be 0 or 1 (did the person buy the magazine?), "
        f"but {len(bad)} row(s) are not: {listed}{more}."
    )


def _where(table_index, position):
    # table_index is the 0-based row of the parsed file (0 = header), i.e. file line - 1.
    return f"row {position + 1} (line {table_index + 1})"


def _quote(names):
    # An empty name usually comes from a trailing comma, which repr('') would hide.
    return ", ".join(repr(name) if name else "an unnamed column" for name in names)
