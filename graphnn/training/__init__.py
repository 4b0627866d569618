"""Training a graph: ``fit`` (minibatches, validation, early stopping), the optimizers, the
callbacks ``fit`` calls, and saving and loading parameters.

One job per module: ``fit`` (the loop), ``checks`` (its arguments), ``divergence``
(stopping a diverging run), ``early_stopping``, ``snapshots`` (copies of the weights to go
back to), ``history`` (what ``fit`` returns), ``evaluation`` (``predict``, ``evaluate``),
``split`` (``train_validation_split``), ``optim``, ``callbacks`` and ``persistence``."""
