"""examples/vanishing.py, run as a user runs it (a subprocess) with small settings: what it
prints says the gradients vanish with the seed's initialisation and not with Xavier's, and
what it writes is there: the PNG figures and the HTML replays."""
import re

from test_examples_training import PNG, run_example


def test_vanishing_example_writes_its_figures_and_replays(tmp_path):
    out = tmp_path / "pictures"
    stdout = run_example("vanishing.py", "--depth", "20", "--width", "8", "--epochs", "3",
                         "--out", str(out), cwd=tmp_path)
    pattern = (r"(tiny|xavier): loss ([\d.]+) -> ([\d.]+), training accuracy ([\d.]+); mean \|grad\| "
               r"at fc1 / fc21: epoch 1 (\S+) / (\S+), epoch 3 (\S+) / (\S+)")
    runs = {m[0]: [float(x) for x in m[1:]] for m in re.findall(pattern, stdout)}
    assert set(runs) == {"tiny", "xavier"}, stdout
    tiny, xavier = runs["tiny"], runs["xavier"]  # loss first, last; accuracy; 4 gradients
    # Through 20 blocks of 1e-4 weights the gradient at the first layer is ~ (1e-4 sqrt(8))^20
    # of the last's: below 1e-50. With Xavier it keeps its order of magnitude.
    assert 0 < tiny[3] < 1e-50 * tiny[4]
    assert xavier[3] > 1e-2 * xavier[4]
    assert xavier[1] < xavier[0] and xavier[1] < tiny[1]  # Xavier learns; the tiny chain barely
    names = ["vanishing.png"] + [f"vanishing_{init}_{kind}" for init in ("tiny", "xavier")
                                 for kind in ("dynamics.png", "diagram.png", "replay.html")]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    for name in names:
        assert f"wrote {out / name}" in stdout
        data = (out / name).read_bytes()
        if name.endswith(".png"):
            assert data.startswith(PNG)
        else:
            page = data.decode("utf-8")
            assert page.startswith("<!DOCTYPE html>") and "epoch 3 (training step" in page
