"""The conventions the assignment leaves open, detected in each class and pinnable by a teacher.

``check_layer`` and ``check_objective`` find which convention a class follows and report it
(``report.conventions``); every convention in ``CONVENTIONS`` is right. A teacher who wants
one (the course's own) pins it: ``check_layer(Cls, conventions={"gradient()": "N x K x D"})``;
a class that follows another then fails the check that found it, with a message naming both.
"""
from .report import CheckFailure

__all__ = ["CONVENTIONS", "validate_conventions", "note_convention"]

#: ``{what: (the conventions allowed)}``: ``gradient()`` of a layer as the diagonal of each
#: Jacobian (``N x D``), the Jacobians (``N x K x D``) or one shared Jacobian (``K x D``, the
#: fully connected ``W^T``); weights stored ``D x K`` (``X W + b``) or ``K x D`` (``X W^T +
#: b``); parameter gradients (what ``updateWeights`` applies) as the mean over the ``N``
#: observations or their sum; an objective's ``eval`` as a mean over the ``N`` observations
#: (of each row's sum over ``K``) or over all ``N x K`` entries (``np.mean`` of the array, the
#: seed's literal ``mean((Y - Yhat) * (Y - Yhat))``; its ``gradient`` then stays ``-2 (Y -
#: Yhat)``); an input layer's standard deviation with ``ddof=0`` (``np.std``) or ``ddof=1``
CONVENTIONS = {
    "gradient()": ("N x D", "N x K x D", "K x D"),
    "weights": ("D x K", "K x D"),
    "parameter gradients": ("mean", "sum"),
    "eval": ("mean over N", "mean over N x K"),
    "standard deviation": ("ddof=0", "ddof=1"),
}


def validate_conventions(pinned):
    """``pinned`` (``{what: convention}`` or ``None``) as a dict, after checking every key and
    value against ``CONVENTIONS``; ``ValueError`` naming the allowed ones otherwise."""
    pinned = dict(pinned or {})
    for what, convention in pinned.items():
        if what not in CONVENTIONS:
            raise ValueError(f"conventions: unknown {what!r}; known: {', '.join(map(repr, CONVENTIONS))}")
        if convention not in CONVENTIONS[what]:
            raise ValueError(f"conventions: {what!r} is one of {', '.join(map(repr, CONVENTIONS[what]))}, "
                             f"not {convention!r}")
    return pinned


def note_convention(found, pinned, what, convention, subject=""):
    """Record in ``found`` that the class follows ``convention`` for ``what``; raise
    ``CheckFailure`` naming both when the teacher ``pinned`` another one, or when the class
    already showed another one elsewhere (``subject`` names where, e.g. ``'biases'``)."""
    if what in pinned and pinned[what] != convention:
        raise CheckFailure(f"{what}: the class follows {convention!r}{' for ' + subject if subject else ''}; "
                           f"the teacher asks for {pinned[what]!r}",
                           f"this course uses {what} as {pinned[what]!r}")
    earlier = found.get(what)
    if earlier is not None and earlier != convention:
        raise CheckFailure(f"{what}: {convention!r}{' for ' + subject if subject else ''}, but {earlier!r} "
                           "elsewhere in the class", "follow one convention throughout the class")
    found[what] = convention
