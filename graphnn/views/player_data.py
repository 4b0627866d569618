"""How the player's page (``graphnn.views.player``) stores its frames, and how to read them back.

Successive frames of an animation mostly repeat each other, so the page stores every distinct
*piece* of SVG once (a frame given as a str is cut into its lines; the replay of a pass gives
each node's and edge's drawing as a piece), and each frame as its changes from the frame
before: a list of piece numbers to add (``k >= 0``) and of runs of the frame before to keep
(``-1 - start, count``). A frame that changes a few pieces of the one before costs a few
numbers, however many frames came before it. Pieces and changes are JSON, compressed with
``zlib``'s raw DEFLATE and written in base64 (``pack``), which the page's script decodes
(``graphnn.views.inflate``); the captions stay plain JSON beside them (``page_json``).

>>> pieces, changes = encode([("<svg>", "a", "</svg>"), ("<svg>", "b", "</svg>")])
>>> pieces, changes
(['<svg>', 'a', '</svg>', 'b'], [[0, 1, 2], [0, 3, 2]])
>>> list(decode({"pieces": pieces, "frames": changes}))
['<svg>a</svg>', '<svg>b</svg>']
"""
import base64
import difflib
import json
import re
import zlib

__all__ = ["pieces_of", "encode", "changes_from", "decode", "pack", "unpack", "page_json", "page_data",
           "FRAMES_ELEMENT"]

_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)  # <?xml ...?>, <!DOCTYPE ...>, comments
#: the element of the page that holds the packed frames
FRAMES_ELEMENT = '<script type="application/json" id="frames">{data}</script>'


def pieces_of(svg):
    """A frame's SVG as its pieces (a tuple of strs), without the prolog: a str is cut into
    its lines (each with its end of line)."""
    if isinstance(svg, str):
        svg = _PROLOG.sub("", svg, count=1)
        lines = svg.split("\n")
        return tuple(line + "\n" for line in lines[:-1]) + (lines[-1],)
    return (_PROLOG.sub("", svg[0], count=1),) + tuple(svg[1:]) if svg else ()


def pack(data):
    """``data`` (JSON-able) packed: JSON, raw DEFLATE (as the page's ``inflate`` reads it),
    base64 (a str of ASCII letters, digits, ``+``, ``/`` and ``=``)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(packer.compress(text) + packer.flush()).decode("ascii")


def unpack(text):
    """What ``pack`` packed."""
    return json.loads(zlib.decompress(base64.b64decode(text), -15).decode("utf-8"))


def page_json(data):
    """``data`` as the JSON text of the page's ``<script>`` element: inside one, ``</script``
    ends it and ``<!--`` starts an escape in which a later ``<script`` hides the real end (the
    page would be lost); ``<`` appears in this JSON only inside strings, where ``\\u003c``
    means the same character, so none is left."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def page_data(html):
    """What the script of a page ``Player.html()`` wrote reads: a dict of ``pieces``,
    ``frames`` (each frame's changes; both packed in the page, ``pack``), ``captions``,
    ``extras`` and ``interval`` (ms)."""
    start, end = FRAMES_ELEMENT.split("{data}")
    found = re.search(re.escape(start) + "(.*?)" + re.escape(end), html, re.S)
    if found is None:
        raise ValueError("page_data: not a page written by graphnn's Player (no frames in it)")
    data = json.loads(found.group(1))
    data.update(unpack(data.pop("pictures")))
    return data


def decode(data):
    """Every frame's SVG (a str) from ``data`` (``page_data``), as the page's script decodes it,
    one after the other (a generator: a long replay's frames weigh a lot joined at once)."""
    before = []
    for ops in data["frames"]:
        after, i = [], 0
        while i < len(ops):  # k >= 0: piece k; -1 - start, count: a run of the frame before
            if ops[i] >= 0:
                after.append(ops[i])
                i += 1
            else:
                after += before[-1 - ops[i]:-1 - ops[i] + ops[i + 1]]
                i += 2
        yield "".join(data["pieces"][k] for k in after)
        before = after


def encode(frames):
    """Every distinct piece once (in order of first use), and each frame (a tuple of pieces)
    as its changes from the frame before (``changes_from``)."""
    index, pieces, changes, before = {}, [], [], []
    for frame in frames:
        after = []
        for piece in frame:
            i = index.get(piece)
            if i is None:
                i = index[piece] = len(pieces)
                pieces.append(piece)
            after.append(i)
        changes.append(changes_from(before, after))
        before = after
    return pieces, changes


def changes_from(before, after):
    """The list of piece numbers ``after`` as operations on the list ``before``: ``k >= 0``
    appends piece ``k``; ``-1 - start, count`` appends ``before[start:start + count]``."""
    if len(before) == len(after):  # the same elements, some changed: compare them in place
        blocks, start = [], 0
        for i, (old, new) in enumerate(zip(before, after)):
            if old != new:
                blocks.append(("equal", start, i, start, i))
                blocks.append(("replace", i, i + 1, i, i + 1))
                start = i + 1
        blocks.append(("equal", start, len(after), start, len(after)))
    else:
        blocks = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    ops = []
    for tag, i1, i2, j1, j2 in blocks:
        if tag == "equal" and i2 - i1 > 1:
            ops += [-1 - i1, i2 - i1]
        elif tag != "delete":
            ops += after[j1:j2]
    return ops
