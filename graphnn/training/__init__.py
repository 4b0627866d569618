"""Training a graph: ``fit`` (minibatches, validation, early stopping), the optimizers, the
callbacks ``fit`` calls, and saving and loading parameters."""
