"""Loaders for data: your own CSV files, and the data sets used in the course examples.

``load_csv`` reads any CSV file with a header row into ``(X, Y)``: the target column(s) as
``Y`` (optionally one-hot), the other columns, but those dropped, as ``X``. ``split`` shuffles
``(X, Y)`` into a training and a validation part. ``load_kidcreative`` reads the Kid Creative data set (``KidCreative.csv``: 673 people, whether
they bought a children's creativity magazine) into ``N x D`` arrays, the layout every graphnn
value uses. The file is not shipped with graphnn; see ``data/README.md`` for where to get it.

The CSV must have a header row with exactly these 18 columns, in this order::

    Obs No., Buy, Income, Is Female, Is Married, Has College, Is Professional, Is Retired,
    Unemployed, Residence Length, Dual Income, Minors, Own, House, White, English,
    Prev Child Mag, Prev Parent Mag

Anything else, in any of the loaders, raises ``DatasetError`` with a message naming the culprit (path, column, row,
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
    text = _read_text(path, _ABOUT)
    if not text.splitlines()[0].strip():
        raise DatasetError(f"{path}: line 1 is blank; the first line must be the header row.")
    # The header is checked on its own first: a wrong header usually also makes the rows
    # "ragged", and the missing column names are the more useful message.
    _check_header(_parse(text, path, nrows=1).iloc[0], path)
    # "Obs No." is dropped, so an odd row id is no reason to reject the file.
    X, Y, raw_target = _table(text, path, ["Buy"], ["Obs No."], one_hot=False, about=_ABOUT)
    _check_buy(raw_target, Y[:, 0], path)
    return X, Y


def load_csv(path, target, drop=(), one_hot=False):
    """Read a CSV file with a header row into ``(X, Y)``, float64 ``N x D`` and ``N x K``.

    ``target``: the name of the column to predict (or a list of names, ``K`` of them), which
    becomes ``Y``; ``drop``: names of columns to leave out (row ids, free text); every other
    column becomes a column of ``X``, in file order. With ``one_hot=True`` the one ``target``
    column holds class labels (numbers or text) and ``Y`` gets one column per class, in sorted
    order (``np.unique`` of the labels), with a 1 in each row's class: what ``SoftmaxLayer``
    and ``CrossEntropy`` read. Blank lines are skipped; a byte-order mark and spaces around
    names and numbers are tolerated.

    Raises ``DatasetError`` (a ``ValueError``), naming the file, the column and the row, for a
    missing file, an empty file or one with a header only, a ``target`` or ``drop`` name that
    is not a column (the message lists the columns), a duplicated column name, a row with
    more or fewer fields than the header, a blank or non-numeric cell in a column that becomes
    ``X`` (or ``Y`` without ``one_hot``), no column left for ``X``, and a target holding one
    value (one class) in every row: nothing to learn.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "pets.csv"
    >>> _ = path.write_text("id,weight,legs,kind\\n1,4.0,4,cat\\n2,0.1,2,bird\\n3,30,4,dog\\n")
    >>> X, Y = load_csv(path, target="kind", drop="id", one_hot=True)
    >>> X.tolist(), Y.tolist()  # classes in sorted order: bird, cat, dog
    ([[4.0, 4.0], [0.1, 2.0], [30.0, 4.0]], [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    """
    targets = [target] if isinstance(target, str) else list(target)
    dropped = [drop] if isinstance(drop, str) else list(drop)
    if one_hot and len(targets) != 1:
        raise DatasetError(f"load_csv: one_hot=True needs one target column, got {targets!r}")
    path = Path(path)
    if path.is_dir():
        raise DatasetError(f"{path.resolve()} is a directory, not a CSV file.")
    if not path.exists():
        raise DatasetError(f"data file not found: looked for {path.resolve()}.")
    text = _read_text(path, "")
    X, Y, raw = _table(text, path, targets, dropped, one_hot, about="")
    if len(np.unique(Y, axis=0)) == 1:
        value = raw.iat[0].strip() if one_hot else Y[0].tolist()
        raise DatasetError(
            f"{path}: the target {_quote(targets)} holds the same value ({value!r}) in all "
            f"{len(Y)} rows: one class, nothing to learn. Is it the right column?")
    return X, Y


def split(X, Y, validation=1 / 3, seed=None):
    """Shuffle the rows of ``(X, Y)`` (``N x D`` and ``N x K``; ``X`` may have any rank with the
    batch first, such as ``N x C x H x W`` images) and split them into
    ``(X_train, Y_train), (X_val, Y_val)``, as the course's later assignments ask: the first
    ``N - round(validation * N)`` shuffled rows train, the rest validate. ``seed`` makes the
    shuffle reproducible (``None``: a fresh one each call). Each row of ``X`` stays with its
    row of ``Y``.

    Raises ``ValueError`` when ``X`` and ``Y`` differ in rows, or ``validation`` (a number in
    ``(0, 1)``) leaves either part empty.

    >>> X = np.arange(6.0).reshape(6, 1); Y = X * 10
    >>> (Xt, Yt), (Xv, Yv) = split(X, Y, validation=1/3, seed=0)
    >>> Xt.shape, Xv.shape, bool(np.all(Yt == 10 * Xt))
    ((4, 1), (2, 1), True)
    """
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim < 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"split: X and Y must be 2-D (X may also have a higher rank, batch first: "
            f"N x C x H x W) with one row per observation, got shapes {X.shape} and {Y.shape}")
    if isinstance(validation, bool) or not isinstance(validation, (int, float)) or not 0 < validation < 1:
        raise ValueError(f"split: validation must be a fraction in (0, 1), got {validation!r}")
    n = X.shape[0]
    n_val = int(round(validation * n))
    if not 0 < n_val < n:
        raise ValueError(
            f"split: validation={validation} of {n} rows leaves "
            f"{'no validation' if n_val == 0 else 'no training'} rows; use more data or "
            "another fraction")
    order = np.random.default_rng(seed).permutation(n)
    train, val = order[:n - n_val], order[n - n_val:]
    return (X[train], Y[train]), (X[val], Y[val])


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


def _read_text(path, about):
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
        raise DatasetError(f"{path}: the file is empty. {about}".rstrip())
    return text


def _table(text, path, targets, dropped, one_hot, about):
    """``(X, Y, raw target column)`` from the CSV ``text``: the checks shared by the loaders."""
    table = _parse(text, path)
    header = ["" if pd.isna(name) else name.strip() for name in table.iloc[0]]
    if not header[0] and len(header) == 1:
        raise DatasetError(f"{path}: line 1 is blank; the first line must be the header row.")
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        raise DatasetError(f"{path}: duplicated column(s) {_quote(duplicated)} in the header row.")
    unknown = [name for name in (*targets, *dropped) if name not in header]
    if unknown:
        raise DatasetError(
            f"{path}: no column {_quote(unknown)}; the columns are {_quote(header)}"
            + (" (the file seems to use ';' or tabs instead of commas as separator)"
               if len(header) == 1 and (";" in header[0] or "\t" in header[0]) else "") + ".")
    features = [name for name in header if name not in targets and name not in dropped]
    if "" in features:
        raise DatasetError(
            f"{path}: column {header.index('') + 1} has no name. A trailing comma in the header "
            "makes one; pandas writes its row index so (save with index=False, or leave it out "
            "here with drop='').")
    if not features:
        raise DatasetError(f"{path}: no column is left for X once the target {_quote(targets)} "
                           f"and the dropped {_quote(dropped)} are taken out.")
    rows = table.iloc[1:].set_axis(header, axis=1)
    # Blank lines are harmless, but we keep the original index so messages can quote file lines.
    blank = rows.apply(lambda col: col.isna() | (col.str.strip() == "")).all(axis=1)
    rows = rows[~blank]
    if rows.empty:
        raise DatasetError(f"{path}: the file has a header but no data rows. {about}".rstrip())
    numeric = [name for name in header if name in features or (name in targets and not one_hot)]
    used = rows[numeric]  # file order: the first bad cell named is the first in the file
    values = used.apply(lambda col: pd.to_numeric(col.str.strip(), errors="coerce"))
    _check_cells(used, values.to_numpy(dtype=np.float64), path, n_columns=len(header),
                 fields=rows.notna().sum(axis=1))
    X = np.array(values[features], dtype=np.float64, order="C")  # a copy: pandas' may be read-only
    if not one_hot:
        return X, np.array(values[targets], dtype=np.float64, order="C"), rows[targets[0]]
    labels = rows[targets[0]]
    missing = labels.isna() | (labels.str.strip() == "")
    if missing.any():
        i = int(np.flatnonzero(missing.to_numpy())[0])
        raise DatasetError(f"{path}: {_where(labels.index[i], i)}, column {targets[0]!r} has no "
                           "class label (a blank or missing cell).")
    stripped = labels.str.strip()
    numbers = pd.to_numeric(stripped, errors="coerce")
    keys = numbers.to_numpy() if numbers.notna().all() else stripped.to_numpy()
    classes, index = np.unique(keys, return_inverse=True)
    return X, np.eye(len(classes))[index.ravel()], labels


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


def _check_cells(cells, values, path, n_columns, fields):
    bad = np.argwhere(~np.isfinite(values))  # row-major, so the first hit is the first in the file
    if not len(bad):
        return
    i, j = bad[0]
    raw = cells.iat[i, j]
    if pd.isna(raw):
        what = f"is missing: the row has only {int(fields.iat[i])} of {n_columns} fields"
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
