"""A griffe extension for the API reference (mkdocs.yml): graphnn's docstrings are
reST-flavoured, the site's pages Markdown.

Inline ``double backticks`` are already code in Markdown. Two block forms are not, and are
rewritten before mkdocstrings renders a docstring:

- a run of ``>>>`` lines and their output becomes a fenced ``pycon`` block (Markdown would
  read ``>>>`` as a quote three levels deep, and ``['X', 'Y']`` in the output as a link);
- ``text::`` followed by an indented block becomes ``text:`` and a fenced block (a bare
  ``::`` line vanishes).

The docstrings themselves stay as they are: ``help()`` and the doctests read them.
"""
import textwrap

import griffe


def markdown_from_rest(text):
    """``text`` with its ``>>>`` runs and ``::`` literal blocks as fenced Markdown blocks."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">>>"):
            end = _end_of_block(lines, i, lambda candidate: candidate.strip() != "")
            out += _fenced("pycon", lines[i:end])
        elif line.rstrip().endswith("::"):
            lead = line.rstrip()[:-2].rstrip()
            if lead:
                out.append(lead + ":")
            indent = _indent(line)
            end = _end_of_block(lines, i + 1, lambda candidate: not candidate.strip() or _indent(candidate) > indent)
            out += ["", *_fenced("", lines[i + 1:end])]
        else:
            out.append(line)
            end = i + 1
        i = end
    return "\n".join(out)


def _end_of_block(lines, start, keep):
    end = start
    while end < len(lines) and keep(lines[end]):
        end += 1
    return end


def _indent(line):
    return len(line) - len(line.lstrip())


def _fenced(language, block):
    body = textwrap.dedent("\n".join(block)).strip("\n")
    return [f"```{language}", *body.splitlines(), "```", ""]


class RestBlocks(griffe.Extension):
    """Rewrites every docstring of the loaded package with ``markdown_from_rest``."""

    def on_object(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = markdown_from_rest(obj.docstring.value)
