"""docs/tutorial.md cannot rot: its examples run, exactly as shown, and its commands are the README's.

The `>>>` examples themselves run as a doctest of the Markdown file (setup.cfg, conftest.py);
these tests check what that doctest cannot: that the suite does collect it, that no code block
escapes it, and that the shell commands are true. (Its links
are checked with every page's, in tests/test_docs.py.)
"""
import configparser
import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
README = ROOT / "README.md"


def fenced_blocks(path):
    """``[(language, text)]`` for every fenced code block of a Markdown file."""
    return re.findall(r"^```(\w*)\n(.*?)^```", path.read_text(), flags=re.S | re.M)


def shell_commands(path):
    """The commands of each shell block of a Markdown file, in order: one per line or per
    ``&&``, comments dropped; so one long line and the same commands one per line compare equal."""
    return [
        [
            command.strip()
            for line in text.splitlines()
            for command in line.split("#", 1)[0].split("&&")
            if command.strip()
        ]
        for language, text in fenced_blocks(path) if language == "bash"
    ]


def test_the_suite_runs_the_tutorial_as_a_doctest(pytestconfig):
    assert "docs" in pytestconfig.getini("testpaths")
    assert any(Path("tutorial.md").match(glob) for glob in pytestconfig.option.doctestglob)


def test_every_code_block_is_checked():
    blocks = fenced_blocks(TUTORIAL)
    assert {language for language, _ in blocks} == {"bash", "python"}
    for language, text in blocks:
        if language == "python":  # a block of plain code would be shown but never run
            assert text.startswith(">>> "), f"a python block that is not a doctest:\n{text}"
    examples = doctest.DocTestParser().get_examples(TUTORIAL.read_text())
    assert len(examples) >= 100


def test_the_install_commands_are_the_readmes():
    (tutorial,), readme = shell_commands(TUTORIAL), shell_commands(README)
    assert tutorial in readme, f"the tutorial's commands {tutorial} are none of the README's {readme}"


def test_the_install_commands_are_true():
    (commands,) = shell_commands(TUTORIAL)
    extras = [extra for group in re.findall(r'pip install -e "\.\[([\w,]+)\]"', " ".join(commands))
              for extra in group.split(",")]
    assert extras
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    for extra in extras:
        assert extra in setup["options.extras_require"], f"setup.cfg has no extra {extra!r}"
    assert (ROOT / "data").is_dir()

