"""MkDocs hooks (mkdocs.yml ``hooks:``): the built site loads nothing from other hosts, and
an executed notebook's widgets still show.

mkdocs-jupyter, which renders docs/notebooks/*.ipynb, loads the Jupyter widget manager from a
CDN whenever an executed notebook holds widget state (the progress bar of ``fit``): a script
that adds the CDN's script at run time, a ``widget-view`` script in each widget's place and
the widgets' state. The site works offline and from ``file://``, so every script that loads
something from another host is dropped (the widget manager's, and the loader of Mermaid
diagrams, which the notebooks do not draw), and each widget is drawn here, as static HTML,
from the state the executed notebook saved: the state it ended in, as Jupyter showed it when
the cell finished. tqdm's bar (a box holding an ``HTML`` text, a ``FloatProgress`` and an
``HTML`` text) reads as in Jupyter: ``fit: 100%``, a full bar, ``100/100 [00:01<00:00, ...,
loss=...]``. A widget this module does not know is replaced by a short note.
"""
import html
import json
import re

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.I | re.S)
_FROM_ANOTHER_HOST = re.compile(r'\bsrc="(?:https?:)?//|\bimport\(\s*["\'](?:https?:)?//', re.I)
_WIDGET_STATE = re.compile(
    r'<script type="application/vnd\.jupyter\.widget-state\+json">(.*?)</script>', re.S)
_WIDGET_VIEW = re.compile(
    r'<script type="application/vnd\.jupyter\.widget-view\+json">(.*?)</script>', re.S)
_MODEL = "IPY_MODEL_"
#: the colours of ipywidgets' ``bar_style`` (Jupyter's own)
_BAR_COLOURS = {"success": "#4caf50", "info": "#00bcd4", "warning": "#ff9800", "danger": "#f44336"}
_BAR_DEFAULT = "#2196f3"


def _loads_from_another_host(script):
    return bool(_FROM_ANOTHER_HOST.search(script)) or "unpkg.com" in script or (
        "application/vnd.jupyter.widget" in script)


def on_post_page(output, page, config):
    """Draw every notebook widget as static HTML from its saved state, then remove from a
    built page every script that loads something from another host, and the widget state
    such a script would read."""
    states = _widget_states(output)
    output = _WIDGET_VIEW.sub(lambda m: _static_view(m.group(1), states), output)
    return _SCRIPT.sub(lambda m: "" if _loads_from_another_host(m.group(0)) else m.group(0), output)


def _widget_states(output):
    """``{model_id: {"model_name": ..., "state": {...}}}`` of every widget-state script."""
    states = {}
    for match in _WIDGET_STATE.finditer(output):
        try:
            states.update(json.loads(match.group(1)).get("state", {}))
        except (ValueError, AttributeError):
            pass
    return states


def _static_view(view, states):
    try:
        model_id = json.loads(view)["model_id"]
    except (ValueError, KeyError, TypeError):
        model_id = None
    # Jupyter's widget font and the text outputs' indent; tqdm's figure spaces (U+2007, which
    # do not break) as spaces, so that a long line wraps in a narrow column instead of hiding
    drawn = _draw(model_id, states, depth=0).replace("\u2007", " ")
    return ('<div class="widget-static" style="display: flex; flex-direction: column; gap: 0.2em; '
            'font-size: var(--jp-ui-font-size1, 13px); padding: 0.2em 0 0.2em var(--jp-code-padding, 5px)">'
            f'{drawn}</div>')


def _draw(model_id, states, depth):
    """The static HTML of the widget ``model_id`` (its children drawn in turn)."""
    model = states.get(model_id)
    if model is None or depth > 20:
        return _note("a widget whose state the notebook did not save")
    name, state = model.get("model_name", ""), model.get("state", {})
    label = state.get("description") or ""
    prefix = f"<span>{html.escape(label)}</span>" if label else ""
    if name in ("HBoxModel", "VBoxModel", "BoxModel"):
        direction = "column" if name == "VBoxModel" else "row"
        children = "".join(_draw(_model_id(child), states, depth + 1) for child in state.get("children", []))
        return (f'<div style="display: flex; flex-direction: {direction}; align-items: center; '
                f'gap: 0.2em 0.6em; flex-wrap: wrap">{children}</div>')
    if name == "HTMLModel":  # the value is HTML, as Jupyter shows it (inner HTML)
        return f"<div>{prefix}{state.get('value', '')}</div>"
    if name in ("LabelModel", "TextModel"):
        return f"<div>{prefix}{html.escape(str(state.get('value', '')))}</div>"
    if name in ("FloatProgressModel", "IntProgressModel"):
        return prefix + _bar(state)
    return _note(f"an interactive widget ({html.escape(name.removesuffix('Model'))}): run the notebook to use it")


def _bar(state):
    low, high, value = (float(state.get(key, default)) for key, default in (("min", 0), ("max", 100), ("value", 0)))
    share = 0.0 if high <= low else min(max((value - low) / (high - low), 0.0), 1.0)
    colour = _BAR_COLOURS.get(state.get("bar_style") or "", _BAR_DEFAULT)
    def number(x):
        return f"{x:g}"

    return (f'<div role="progressbar" aria-valuemin="{number(low)}" aria-valuemax="{number(high)}" '
            f'aria-valuenow="{number(value)}" aria-label="progress" style="flex: 1 1 12em; '
            f'max-width: 30em; height: 1.2em; background: #eeeeee; border: 1px solid #cccccc">'
            f'<div style="width: {share * 100:.4g}%; height: 100%; background: {colour}"></div></div>')


def _model_id(reference):
    return reference[len(_MODEL):] if isinstance(reference, str) and reference.startswith(_MODEL) else None


def _note(text):
    return f'<div style="color: #777777; font-style: italic">({text})</div>'
