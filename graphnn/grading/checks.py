"""The contract of a layer and of an objective, as checks anyone can run on their own class.

``check_layer(make_layer)`` (``layer_checks``) and ``check_objective(make_objective)``
(``objective_checks``) take a class, or a function of no arguments that returns a fresh
object, with the seed's interface (``forward``/``gradient``/``backward``;
``eval``/``gradient``). Nothing has to come from graphnn: a student's class that inherits from
nothing is checked the same way as ``graphnn.SoftmaxLayer``. This module gathers them, with
the report (``report``), the inputs (``inputs``) and the conventions (``conventions``) they
use, under one name to import::

    from graphnn.grading.checks import check_layer, check_objective

    def test_sigmoid():
        check_layer(LogisticSigmoidLayer, raise_on_failure=True)
"""
from .conventions import CONVENTIONS
from .inputs import away_from_zero_inputs, distribution_pair
from .layer_advice import EXTREME
from .layer_checks import DEFAULT_WIDTH, EXACT_TOLERANCE, LAYER_CHECKS, LAYER_SIZES, check_layer
from .objective_checks import OBJECTIVE_CHECKS, OBJECTIVE_SHAPES, check_objective
from .report import Check, ContractReport

__all__ = [
    "check_layer", "check_objective", "ContractReport", "Check", "CONVENTIONS",
    "away_from_zero_inputs", "distribution_pair", "LAYER_CHECKS", "OBJECTIVE_CHECKS",
    "LAYER_SIZES", "OBJECTIVE_SHAPES", "DEFAULT_WIDTH", "EXTREME", "EXACT_TOLERANCE",
]
