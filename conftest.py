"""Root pytest configuration: the `>>>` examples of docs/*.md run in a temporary directory.

setup.cfg collects every Markdown file under docs/ as a doctest (``--doctest-glob=*.md``), so
docs/tutorial.md is executed and its shown outputs are checked. The tutorial writes files
(diagrams, a parameter file) into the current directory, as a reader's session would; here
that directory is a fresh ``tmp_path``, so nothing lands in the repository.

Being at the repository root, this file also puts the root on ``sys.path`` (pytest's default
import mode), so ``import graphnn`` works from the temporary directory, and
``load_kidcreative()`` still finds the repository's ``data/KidCreative.csv`` from there.
"""
import pytest


@pytest.fixture(autouse=True)
def _markdown_examples_run_in_a_temporary_directory(request):
    # A doctest collected from a text file has that file as its path; every other item
    # (test functions, module doctests) has a .py path and is left alone.
    if request.node.path.suffix == ".md":
        request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))
