"""The mutation-testing tool (autograder/mutation.py) on a toy module and toy suites."""
import ast
import textwrap

import pytest

from autograder import mutation

# Every operator of the tool has a target in the region; the code outside it
# must never change.
OPERATOR_SAMPLER = '''\
import numpy as np


def untouched(a, b):
    return a + b * 2 - np.max(a, axis=0)


def sampler(X, W, y, reg, verbose=False):
    """Exercises every mutation operator."""
    ### BEGIN SOLUTION
    scores = X.dot(W) + X @ W.T
    total = np.sum(scores, axis=1, keepdims=True) - np.mean(scores)
    best = np.argmax(scores, axis=0)
    for i in range(y.shape[0]):
        if scores[i, y[i]] < 0.5 and not verbose:
            total += -scores[i, 1:i]
    loss = total / X.shape[0] + reg * np.sum(W * W)
    loss = np.maximum(loss, 1e-12)
    ### END SOLUTION
    return loss, best
'''

TOY_MODULE = '''\
"""A toy student module."""
import numpy as np


def center(x):
    """Subtract the column means. x: (N, D) -> (N, D)."""
    ### BEGIN SOLUTION
    out = x - np.mean(x, axis=0)
    ### END SOLUTION
    return out


def ridge_loss(w, x, y, reg):
    """Mean squared error plus L2 penalty. w: (D,), x: (N, D), y: (N,) -> float."""
    ### BEGIN SOLUTION
    residual = x.dot(w) - y
    loss = np.mean(residual ** 2) + reg * np.sum(w * w)
    ### END SOLUTION
    return loss
'''

TOY_CONFTEST = '''\
import numpy as np
import pytest

from autograder.testkit import InProcessCode


def pytest_addoption(parser):
    parser.addoption("--student-root")
    parser.addoption("--reference-root")
    parser.addoption("--isolation")


@pytest.fixture(scope="session")
def student(request):
    return InProcessCode(request.config.getoption("--student-root"))


@pytest.fixture
def rng():
    return np.random.default_rng(0)
'''

STRONG_SUITE = '''\
import numpy as np
from autograder.testkit import assert_close, assert_scalar_close

MOD = "toypkg.stats"


def test_center(student, rng):
    x = rng.standard_normal((5, 3))
    assert_close(student.function(MOD, "center")(x), x - x.mean(axis=0), "center")


def test_ridge_loss(student, rng):
    x, w, y = rng.standard_normal((6, 4)), rng.standard_normal(4), rng.standard_normal(6)
    expected = np.mean((x @ w - y) ** 2) + 0.3 * np.sum(w * w)
    assert_scalar_close(student.function(MOD, "ridge_loss")(w, x, y, 0.3), expected, "loss")


def test_not_using_student_is_deselected():
    raise AssertionError("tests without the student fixture must not run on mutants")
'''

WEAK_SUITE = '''\
import numpy as np
from autograder.testkit import assert_array, assert_scalar_close

MOD = "toypkg.stats"


def test_center_shape(student, rng):
    assert_array(student.function(MOD, "center")(rng.standard_normal((5, 3))), "center", (5, 3))


def test_ridge_loss_zero(student):
    # A perfect fit without regularization: too weak to see most slips.
    x, w = np.eye(3), np.zeros(3)
    assert_scalar_close(student.function(MOD, "ridge_loss")(w, x, np.zeros(3), 0.0), 0.0, "loss")
'''


def _bare(code):
    """An expression replacement without the parentheses the splice adds."""
    return code[1:-1] if code.startswith("(") and code.endswith(")") else code


@pytest.fixture
def toy(tmp_path):
    """A source tree with one module, a strong and a weak suite, and a manifest."""
    source = tmp_path / "source"
    (source / "toypkg").mkdir(parents=True)
    (source / "toypkg" / "__init__.py").write_text("")
    (source / "toypkg" / "stats.py").write_text(TOY_MODULE)
    (source / "toy").mkdir()
    (source / "toy" / "assignment.toml").write_text(
        'name = "toy"\nmodules = ["toypkg/__init__.py", "toypkg/stats.py"]\nsuites = ["test_strong.py"]\n')
    for name, suite in [("strong", STRONG_SUITE), ("weak", WEAK_SUITE)]:
        (tmp_path / name / "toy").mkdir(parents=True)
        (tmp_path / name / "toy" / "conftest.py").write_text(TOY_CONFTEST)
        (tmp_path / name / "toy" / f"test_{name}.py").write_text(suite)
    return tmp_path


def test_every_operator_has_mutants_and_only_inside_regions():
    mutants = mutation.find_mutants(OPERATOR_SAMPLER, "sampler.py")
    assert {m.operator for m in mutants} == set(mutation.OPERATORS)
    lines = OPERATOR_SAMPLER.splitlines()
    (first, last), = mutation.solution_regions(OPERATOR_SAMPLER)
    for m in mutants:
        assert first <= m.line <= last, m.describe()
        mutated = m.source.splitlines()
        # One-line changes everywhere: the lines outside the region are identical.
        assert mutated[:first - 1] == lines[:first - 1] and mutated[last:] == lines[last:], m.describe()
        compile(m.source, "sampler.py", "exec")
    assert len({m.source for m in mutants}) == len(mutants)


@pytest.mark.parametrize("operator, before, after", [
    ("flip-op", "X.dot(W) + X @ W.T", "X.dot(W) + X @ W.T".replace("+", "-")),
    ("drop-reg", "total / X.shape[0] + reg * np.sum(W * W)", "total / X.shape[0]"),
    ("axis", "np.sum(scores, axis=1, keepdims=True)", "np.sum(scores, axis=0, keepdims=True)"),
    ("axis", "np.sum(scores, axis=1, keepdims=True)", "np.sum(scores, axis=1, keepdims=False)"),
    ("off-by-one", "range(y.shape[0])", "range(y.shape[0] + 1)"),
    ("off-by-one", "scores[i, 1:i]", "scores[i, 1:i - 1]"),
    ("transpose", "W.T", "W"),
    ("transpose", "X.dot(W)", "X.T.dot(W)"),
    ("compare", "scores[i, y[i]] < 0.5", "scores[i, y[i]] > 0.5"),
    ("constant", "0.5", "1.0"),
    ("max-min", "np.argmax(scores, axis=0)", "np.argmin(scores, axis=0)"),
    ("sum-mean", "np.mean(scores)", "np.sum(scores)"),
    ("flip-sign", "-scores[i, 1:i]", "scores[i, 1:i]"),
    # The nearest earlier local: `i` (the loop variable) in the loss line.
    ("wrong-variable", "total", "i"),
])
def test_operator_examples(operator, before, after):
    mutants = mutation.find_mutants(OPERATOR_SAMPLER, "sampler.py")
    found = [(m.before, _bare(m.after)) for m in mutants if m.operator == operator]
    assert (before, after) in found, found


def test_augmented_assignment_is_dropped_and_ties_are_suspects():
    mutants = mutation.find_mutants(OPERATOR_SAMPLER, "sampler.py")
    dropped = [m for m in mutants if m.after == "pass"]
    assert [m.before for m in dropped] == ["total += -scores[i, 1:i]"]
    suspects = {(m.before, _bare(m.after)): m.suspect for m in mutants if m.suspect}
    assert "ties" in suspects[("scores[i, y[i]] < 0.5", "scores[i, y[i]] <= 0.5")]
    assert "stabilizing" in suspects[("1e-12", "0.0")]
    assert "shape" in suspects[("X", "i")]  # X.shape[0] -> i.shape[0]
    # Not a suspect: drops `not verbose` from a condition that decides the result.
    assert all("output" not in reason for reason in suspects.values())


def test_sampling_is_capped_deterministic_and_in_source_order():
    mutants = mutation.find_mutants(OPERATOR_SAMPLER, "sampler.py")
    assert len(mutants) > 20
    first = mutation.sample(mutants, 20, seed=1, path="sampler.py")
    assert first == mutation.sample(mutants, 20, seed=1, path="sampler.py")
    assert first != mutation.sample(mutants, 20, seed=2, path="sampler.py")
    assert len(first) == 20 and first == sorted(first, key=mutants.index)
    assert mutation.sample(mutants, None, 1, "sampler.py") == mutants


def test_suites_are_matched_by_dotted_module_name(tmp_path):
    a = tmp_path / "test_a.py"
    a.write_text('MOD = "cs231n.layers"\n')
    b = tmp_path / "test_b.py"
    b.write_text('MOD = "cs231n.layer_utils"\nOTHER = "cs231n.layers.extra"\n')
    assert mutation.suites_for("cs231n/layers.py", [a, b]) == [a]
    assert mutation.suites_for("cs231n/layer_utils.py", [a, b]) == [b]


def test_strong_suite_kills_and_weak_suite_leaves_survivors(toy):
    runner = mutation.Runner(toy / "source", jobs=2)
    try:
        strong = mutation.mutate_module(runner, "toypkg/stats.py", [toy / "strong" / "toy" / "test_strong.py"],
                                        cap=8, jobs=2, log=lambda *_: None)
        weak = mutation.mutate_module(runner, "toypkg/stats.py", [toy / "weak" / "toy" / "test_weak.py"],
                                      cap=8, jobs=2, log=lambda *_: None)
    finally:
        runner.close()
    assert not strong.error and not weak.error, (strong.error, weak.error)
    assert len(strong.outcomes) == len(weak.outcomes) == 8 < strong.candidates
    # The same seeded sample for both suites; every non-equivalent slip is caught
    # by the strong suite (which also shows the student-less test was deselected).
    assert [o.mutant for o in strong.outcomes] == [o.mutant for o in weak.outcomes]
    assert strong.killed == 8 and strong.kill_rate == 1.0
    assert all(o.status == "killed" and o.detail.startswith("test_") for o in strong.outcomes)
    assert weak.survivors and weak.kill_rate < 1.0
    # Survivors are reported with their line and change.
    section = mutation.survivor_section(weak)
    assert all(f"line {o.mutant.line} [{o.mutant.operator}]" in section for o in weak.survivors)


def test_endless_mutant_times_out_and_tree_is_restored(toy):
    runner = mutation.Runner(toy / "source", jobs=1)
    path = "toypkg/stats.py"
    endless = TOY_MODULE.replace("    out = x - np.mean(x, axis=0)\n", "    while True:\n        pass\n")
    try:
        status, detail, seconds = runner.run([toy / "strong" / "toy" / "test_strong.py"], path, endless, timeout=5)
        workspace = runner.workspaces.get()
        restored = (workspace / path).read_text()
    finally:
        runner.close()
    assert status == "timeout" and "5 s" in detail
    assert restored == TOY_MODULE


def test_command_line_records_markdown_and_keeps_other_rows(toy, capsys):
    record = toy / "MUTATION.md"
    record.write_text("| `toypkg/other.py` | 3 of 3 | 3 | 0 | 0 | 100% | 1 s |\n")
    code = mutation.main(["--assignment", "toy", "--source-root", str(toy / "source"),
                          "--suites-root", str(toy / "strong"), "--jobs", "2", "--cap", "6",
                          "--record", str(record), "--fail-under", "90"])
    text = record.read_text()
    assert code == 0
    assert "| `toypkg/stats.py` | 6 of" in text and "| 100% |" in text
    assert "| `toypkg/other.py` | 3 of 3 |" in text
    assert "#### `toypkg/stats.py`\n\nNo survivors." in text
    # Only modules with solution regions are mutated (not the empty __init__).
    assert "__init__" not in capsys.readouterr().out


def test_a_suite_failing_on_the_reference_is_an_error_not_kills(toy):
    broken = toy / "strong" / "toy" / "test_broken.py"
    broken.write_text('MOD = "toypkg.stats"\n\ndef test_fails(student):\n    raise AssertionError("always")\n')
    runner = mutation.Runner(toy / "source", jobs=1)
    try:
        report = mutation.mutate_module(runner, "toypkg/stats.py", [broken], cap=3, log=lambda *_: None)
    finally:
        runner.close()
    assert "do not pass on the reference" in report.error and not report.outcomes
    assert "Not measured" in mutation.survivor_section(report)


def test_ast_of_each_toy_mutant_differs_from_the_reference():
    reference = ast.dump(ast.parse(TOY_MODULE))
    for m in mutation.find_mutants(TOY_MODULE, "toypkg/stats.py"):
        assert ast.dump(ast.parse(m.source)) != reference, m.describe()


def test_record_lists_survivors_and_suspects(tmp_path):
    text = textwrap.dedent(TOY_MODULE)
    mutants = mutation.find_mutants(text, "toypkg/stats.py")
    report = mutation.ModuleReport("toypkg/stats.py", ["test_strong.py"], candidates=len(mutants))
    report.outcomes = [mutation.Outcome(mutants[0], "killed"), mutation.Outcome(mutants[1], "survived"),
                       mutation.Outcome(mutants[2], "timeout")]
    path = tmp_path / "M.md"
    mutation.record(path, [report], "cmd")
    text = path.read_text()
    assert f"| `toypkg/stats.py` | 3 of {len(mutants)} | 2 | 1 | 0 | 67% |" in text
    assert f"line {mutants[1].line} [{mutants[1].operator}]" in text


def test_record_keeps_each_assignments_section(tmp_path):
    """layers.py holds regions of assignments 1 and 2: recording one keeps the other's row."""
    mutants = mutation.find_mutants(textwrap.dedent(TOY_MODULE), "toypkg/stats.py")
    report = mutation.ModuleReport("toypkg/stats.py", ["test_strong.py"], candidates=len(mutants))
    report.outcomes = [mutation.Outcome(mutants[0], "killed")]
    path = tmp_path / "M.md"
    mutation.record(path, [report], "cmd --assignment one", "one")
    report.outcomes = [mutation.Outcome(mutants[0], "survived")]
    mutation.record(path, [report], "cmd --assignment two", "two")
    text = path.read_text()
    one, two = text.index("## one\n"), text.index("## two\n")
    assert f"| `toypkg/stats.py` | 1 of {len(mutants)} | 1 | 0 | 0 | 100% |" in text[one:two]
    assert f"| `toypkg/stats.py` | 1 of {len(mutants)} | 0 | 1 | 0 | 0% |" in text[two:]
    mutation.record(path, [report], "cmd --assignment two", "two")  # rewriting one keeps the other as it was
    assert path.read_text() == text
