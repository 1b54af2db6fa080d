"""Student PyTorch code graded through the real machinery: tensors on the wire, the sandbox.

A toy course whose reference is a small torch module (softmax, a loss, a
module built by `build_model()`), its suite written with the test kit
(`compare`, `.grad`, tensors in `assert_close`), the real suites conftest,
and one batch in the strongest sandbox here: the reference gets full marks,
the blank release 0, and each plausible mistake loses exactly the tests
that name it, with a message in the student's terms.
"""
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from autograder.grading import grade_batch
from course import Roots
from course.stubs import release_module
from course import load_manifest

REPO = Path(__file__).resolve().parents[1]

REFERENCE = '''\
"""A toy torch module: every function takes and returns tensors."""
import torch


def softmax_rows(x):
    """Row-wise softmax. x: tensor (N, C) of any float dtype. Returns (N, C), same dtype."""
    # TODO: exponentiate and normalize each row (subtract its maximum first).
    ### BEGIN SOLUTION
    shifted = x - x.max(dim=1, keepdim=True).values
    return shifted.exp() / shifted.exp().sum(dim=1, keepdim=True)
    ### END SOLUTION


def mean_nll(logits, y):
    """Mean negative log-likelihood of labels y (int64 (N,)) under softmax(logits (N, C)).
    Returns a 0-d tensor that autograd can differentiate with respect to logits."""
    # TODO: use log_softmax, pick each row's label, average.
    ### BEGIN SOLUTION
    return -torch.log_softmax(logits, dim=1)[torch.arange(len(y)), y].mean()
    ### END SOLUTION


class TinyNet(torch.nn.Module):
    def __init__(self, d=6, h=5, c=3):
        super().__init__()
        torch.manual_seed(0)
        self.fc1, self.fc2 = torch.nn.Linear(d, h), torch.nn.Linear(h, c)

    def forward(self, x):
        """x: (N, d) -> logits (N, c)."""
        # TODO: fc1, ReLU, fc2.
        ### BEGIN SOLUTION
        return self.fc2(torch.relu(self.fc1(x)))
        ### END SOLUTION


def build_model():
    return TinyNet()
'''

SUITE = '''\
import numpy as np
import pytest
import torch

from autograder.testkit import CheckFailed, assert_array, assert_close, case, compare

MOD = "toytorch.ops"


@pytest.mark.public
@pytest.mark.points(1)
def test_softmax_rows_sum_to_one(student, rng):
    x = torch.from_numpy(rng.standard_normal((4, 3)))
    out = student.function(MOD, "softmax_rows")(x)
    assert_array(out, "softmax_rows(x)", (4, 3), tensor=True)
    assert_close(out.sum(dim=1), torch.ones(4, dtype=torch.float64), "each row's sum")


@pytest.mark.points(2)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_rows_matches_reference(student, reference, rng, dtype):
    for shape in [(1, 2), (5, 7), (3, 1)]:
        x = torch.from_numpy(rng.standard_normal(shape) * 50).to(getattr(torch, dtype))
        with case(f"softmax_rows on a {dtype} tensor of shape {shape}"):
            got = compare(student, reference, MOD, "softmax_rows", x, tol=1e-5)
            assert_close(got, reference.function(MOD, "softmax_rows")(x), "softmax_rows(x)", 1e-5,
                         check_dtype=True)


@pytest.mark.points(2)
def test_mean_nll_gradient_matches_reference(student, reference, rng):
    logits = torch.from_numpy(rng.standard_normal((6, 4)))
    y = torch.from_numpy(rng.integers(0, 4, size=6))
    value, (grad,) = student.function(MOD, "mean_nll").grad(logits, y, wrt=(0,))
    ref_value, (ref_grad,) = reference.function(MOD, "mean_nll").grad(logits, y, wrt=(0,))
    with case("mean_nll"):
        assert_close(value, ref_value, "the loss")
        assert_close(grad, ref_grad, "d(loss)/d(logits)")


@pytest.mark.points(2)
def test_built_model_runs_forward_in_the_sandbox(student, reference, rng):
    x = torch.from_numpy(rng.standard_normal((8, 6))).float()
    model = student.function(MOD, "build_model")()
    logits = model.call("forward", x)
    expected = reference.function(MOD, "build_model")().call("forward", x)
    with case("build_model().forward"):
        assert_close(logits, expected, "logits", 1e-5)
'''

MANIFEST = '''\
name = "toy"
title = "Toy torch assignment"
modules = ["toytorch/__init__.py", "toytorch/ops.py"]
submit_modules = ["toytorch/ops.py"]
suites = ["test_ops.py"]

[sandbox]
preload = ["torch"]
call_timeout_s = 60
'''

MISTAKES = {
    # Returns NumPy: every test that reads a tensor says so.
    "numpy_out": ("    return shifted.exp() / shifted.exp().sum(dim=1, keepdim=True)",
                  "    return (shifted.exp() / shifted.exp().sum(dim=1, keepdim=True)).numpy()"),
    # Computes in float64 and keeps it: only the dtype check notices.
    "float64": ("    shifted = x - x.max(dim=1, keepdim=True).values",
                "    shifted = (x - x.max(dim=1, keepdim=True).values).double()"),
    # Leaves autograd: the gradient test says how.
    "detached": ("    return -torch.log_softmax(logits, dim=1)[torch.arange(len(y)), y].mean()",
                 "    return -torch.log_softmax(logits, dim=1)[torch.arange(len(y)), y].mean().detach()"),
    # No ReLU: only the model test fails.
    "no_relu": ("        return self.fc2(torch.relu(self.fc1(x)))", "        return self.fc2(self.fc1(x))"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("torch")
    source, suites, release = root / "source", root / "suites", root / "release"
    (source / "toytorch").mkdir(parents=True)
    (source / "toytorch" / "__init__.py").write_text("")
    (source / "toytorch" / "ops.py").write_text(REFERENCE)
    (source / "toy").mkdir()
    (source / "toy" / "assignment.toml").write_text(MANIFEST)
    (suites / "toy").mkdir(parents=True)
    shutil.copy(REPO / "autograder" / "suites" / "conftest.py", suites / "conftest.py")
    (suites / "toy" / "test_ops.py").write_text(SUITE)
    roots = Roots.of(source=source, suites=suites, release=release)
    manifest = load_manifest(roots, "toy")
    for module in manifest.modules:
        (release / "toy" / module).parent.mkdir(parents=True, exist_ok=True)
        (release / "toy" / module).write_text(release_module(module, manifest, roots).text)
    submissions = root / "submissions"
    for name, text in [("reference", REFERENCE), ("blank", (release / "toy" / "toytorch" / "ops.py").read_text()),
                       *[(kind, REFERENCE.replace(*change)) for kind, change in MISTAKES.items()]]:
        assert name in ("reference", "blank") or text != REFERENCE, name
        (submissions / name / "toytorch").mkdir(parents=True)
        (submissions / name / "toytorch" / "ops.py").write_text(text)
    out = root / "out"
    rows = grade_batch("toy", submissions, out, jobs=2, suites_root=suites, reference_root=source,
                       release_root=release, gradebook_path=None, progress=False)
    results = {row.name: json.loads((out / row.name / "results.json").read_text()) for row in rows}
    return results


def failed(results):
    return {t["name"].split("::", 1)[1]: t["output"] for t in results["tests"] if t["status"] != "passed"}


def test_reference_full_marks_and_blank_zero(graded):
    assert graded["reference"]["score"] == graded["reference"]["extra_data"]["max_score"] == 9.0
    assert failed(graded["reference"]) == {}
    assert graded["blank"]["score"] == 0.0


def test_numpy_instead_of_a_tensor_is_named_as_such(graded):
    wrong = failed(graded["numpy_out"])
    assert set(wrong) == {"test_softmax_rows_sum_to_one", "test_softmax_rows_matches_reference[float32]",
                          "test_softmax_rows_matches_reference[float64]"}
    assert "should be a torch tensor of shape (4, 3); got a NumPy array" in wrong["test_softmax_rows_sum_to_one"]


def test_each_mistake_costs_only_the_tests_that_name_it(graded):
    assert set(failed(graded["float64"])) == {"test_softmax_rows_matches_reference[float32]"}
    assert "should have dtype torch.float32" in failed(graded["float64"])[
        "test_softmax_rows_matches_reference[float32]"]
    detached = failed(graded["detached"])
    assert set(detached) == {"test_mean_nll_gradient_matches_reference"}
    assert "does not depend on its inputs through autograd" in detached["test_mean_nll_gradient_matches_reference"]
    assert set(failed(graded["no_relu"])) == {"test_built_model_runs_forward_in_the_sandbox"}


def test_the_torch_work_ran_in_the_sandbox(graded):
    assert graded["reference"]["extra_data"]["status"] == "graded"
    text = textwrap.shorten(json.dumps(graded["blank"]), 100000)
    assert "Complete softmax_rows" in text  # the public test shows the stub's own message
