"""MkDocs hooks (mkdocs.yml ``hooks:``): the built site loads nothing from other hosts.

mkdocs-jupyter, which renders docs/notebooks/*.ipynb, loads the Jupyter widget manager from a
CDN whenever an executed notebook holds widget state (the progress bar of ``fit``): a script
that adds the CDN's script at run time, and the widgets' state. The site works offline and
from file://, so both are dropped: the page shows every other output (text, the SVG diagrams,
the learning curve) and the progress bar's place stays empty.
"""
import re

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.I | re.S)
_FROM_ANOTHER_HOST = re.compile(r'\bsrc="(?:https?:)?//', re.I)


def _loads_from_another_host(script):
    return bool(_FROM_ANOTHER_HOST.search(script)) or "unpkg.com" in script or (
        "application/vnd.jupyter.widget" in script)


def on_post_page(output, page, config):
    """Remove from a built page every script that loads something from another host, and
    the widget state such a script would read."""
    return _SCRIPT.sub(lambda m: "" if _loads_from_another_host(m.group(0)) else m.group(0), output)
