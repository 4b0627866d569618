"""Layers that sit in several graphs (say, a graph for predictions built from the layers of
the one that trains them).

A layer holds the state of one pass (its last input and output), so each graph's backward
must follow its own forward: once another graph holding the layer ran its forward pass, this
graph's backward would read that pass's input. Every graph keeps a ``Sharing``; all of them
alive know each other (weakly: a graph nobody holds is forgotten, and so is what it shared).
"""
import weakref

_ALIVE = weakref.WeakSet()  # the Sharing of every graph alive


class Sharing:
    """What one graph shares with the other graphs alive: ``partners`` (``{other graph's
    Sharing: [(node here, node there, layer)]}``) and ``overtaken`` (why this graph's backward
    must not run, once a partner's forward ran after this graph's; else ``None``)."""

    def __init__(self):
        self.layers = {}  # id(layer) -> (layer, node): the layers of this graph
        self.partners = weakref.WeakKeyDictionary()
        self.overtaken = None
        _ALIVE.add(self)

    def add(self, layer, node):
        """Layer ``layer`` is now node ``node`` here: find every other graph holding it."""
        for other in list(_ALIVE):
            held = other.layers.get(id(layer)) if other is not self else None
            if held is not None and held[0] is layer:
                self.partners.setdefault(other, []).append((node, held[1], layer))
                other.partners.setdefault(self, []).append((held[1], node, layer))
        self.layers[id(layer)] = (layer, node)

    def forward_runs(self):
        """This graph's forward pass is about to overwrite the state of the layers it shares:
        its own backward may run after it, its partners' not until their next forward."""
        self.overtaken = None
        if not self.partners:
            return  # the usual case: nothing shared, nothing to tell
        for other, pairs in self.partners.items():
            mine, theirs, layer = pairs[0]
            other.overtaken = (
                f"backward: layer {theirs!r} ({layer.describe()}) is also node {mine!r} of "
                "another graph, whose forward pass ran after this graph's: the layer now holds "
                "that pass's input, and this backward would compute wrong gradients from it. "
                "Run this graph's forward again, then backward (or give each graph its own "
                "layer objects, sharing Parameters if they should share weights)"
            )
