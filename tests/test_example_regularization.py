"""examples/regularization.py, run as a user runs it (a subprocess) with few epochs: the three
digits MLPs (plain, dropout, batch norm) train, the graph is back in training mode after each
fit, and the figure of the curves is written."""
import re

from test_examples_training import PNG, run_example


def test_regularization_example_trains_three_mlps_and_draws_their_curves(tmp_path):
    out = tmp_path / "pictures"
    stdout = run_example("regularization.py", "--epochs", "3", "--out", str(out), cwd=tmp_path)
    pattern = (r"(plain|dropout|batchnorm): training mode after fit; last epoch training loss ([\d.]+), "
               r"validation loss ([\d.]+) \(best ([\d.]+)\); test accuracy ([\d.]+)%")
    runs = {m[0]: [float(x) for x in m[1:]] for m in re.findall(pattern, stdout)}
    assert set(runs) == {"plain", "dropout", "batchnorm"}, stdout
    for _, val, best, accuracy in runs.values():
        assert best <= val and accuracy > 85
    assert f"wrote {out / 'regularization.png'}" in stdout
    assert (out / "regularization.png").read_bytes().startswith(PNG)
