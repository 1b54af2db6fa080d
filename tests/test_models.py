"""The registry of models the course trains and ships: train writes weights, checksum and record;
check finds a missing, damaged or unrecorded file; every registered model's shipped file matches."""
import json
import sys
import textwrap

import numpy as np
import pytest

import models
from models import __main__ as cli

TOY = textwrap.dedent('''\
    import numpy as np
    ASSIGNMENT = "toyassignment"
    WEIGHTS = "models/toy.npz"
    SEED = 3

    def train(out_path, seed):
        weights = np.random.default_rng(seed).standard_normal((4, 2)).astype(np.float32)
        np.savez(out_path, weight=weights)
        return {"norm": float(np.linalg.norm(weights))}
    ''')


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A registered toy model whose weights go under tmp_path/source; returns that folder."""
    package = tmp_path / "toymodels"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "toy.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(models.MODELS, "toy", "toymodels.toy")
    yield tmp_path / "source"
    sys.modules.pop("toymodels.toy", None)
    sys.modules.pop("toymodels", None)


def test_train_writes_weights_checksum_and_record_then_check_passes(toy):
    record = cli.train("toy", toy)
    weights = toy / "toyassignment" / "models" / "toy.npz"
    with np.load(weights, allow_pickle=False) as saved:
        expected = np.random.default_rng(3).standard_normal((4, 2)).astype(np.float32)
        np.testing.assert_array_equal(saved["weight"], expected)
    assert record["seed"] == 3 and record["figures"]["norm"] == pytest.approx(float(np.linalg.norm(expected)))
    assert json.loads((weights.parent / "toy.npz.json").read_text())["command"] == "python -m models train toy"
    assert (weights.parent / "toy.npz.sha256").read_text() == f"{cli.sha256_of(weights)}  toy.npz\n"
    assert cli.problems("toy", toy) == []
    for path in (weights, weights.parent / "toy.npz.json", weights.parent / "toy.npz.sha256"):
        assert path.stat().st_mode & 0o044 == 0o044, f"{path.name} is not readable by others"


def test_check_names_a_damaged_missing_or_unchecksummed_file_and_the_fix(toy):
    cli.train("toy", toy)
    weights = toy / "toyassignment" / "models" / "toy.npz"
    data = weights.read_bytes()
    weights.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert "does not match toy.npz.sha256" in cli.problems("toy", toy)[0]
    (weights.parent / "toy.npz.sha256").unlink()
    assert "toy.npz.sha256 is missing" in cli.problems("toy", toy)[0]
    weights.unlink()
    problem = cli.problems("toy", toy)[0]
    assert "is missing" in problem and "python -m models train toy" in problem


def test_an_unknown_model_is_a_clear_error(capsys):
    assert cli.main(["check", "no_such_model"]) == 2
    assert "no model 'no_such_model'" in capsys.readouterr().err


def test_every_shipped_model_matches_its_checksum():
    found = [line for name in models.MODELS for line in cli.problems(name)]
    assert found == []
