"""The k-nearest-neighbor classifier (cs231n/classifiers/k_nearest_neighbor.py).

Students write the three L2 distance versions of KNearestNeighbor (two loops,
one loop, no loops) and predict_labels (majority vote of the k nearest, ties
to the smaller label). Each test checks one thing:

* public: each version's result has the right shape and its values are right
  on a hand-worked example; predict_labels on a hand-worked example without
  ties, and (its own test, the docstring's convention) with ties;
* hidden: each version against the reference on fresh inputs of several
  shapes; the no-loop version on duplicated points (where the expansion must
  be clamped at 0 before the square root; nothing else is checked there);
  predict_labels against the reference on votes without ties, and with k at
  or beyond the number of training points (every training point votes);
  the submitted source, read to check that the no-loop version has no loops
  and calls neither other version, and that the one-loop version has one.
"""
import ast

import numpy as np
import pytest

from autograder.testkit import (CheckFailed, assert_array, assert_close, assert_equal_labels, case,
                                class_methods, parse_module, require_defined_in_class_body)

MOD = "cs231n.classifiers.k_nearest_neighbor"
CLASS = "KNearestNeighbor"
VERSIONS = ("compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops")
SOURCE = ("cs231n", "classifiers", "k_nearest_neighbor.py")


def trained(code, X_train, y_train):
    """A KNearestNeighbor of `code` trained on the given data."""
    knn = code.new(MOD, CLASS)
    knn.call("train", X_train, y_train)
    return knn


def distances(knn, version, X):
    """Call one distance version and check that it returns a (num_test, num_train) array."""
    dists = knn.call(version, X)
    assert_array(dists, f"dists from {version}", (X.shape[0], knn.get("X_train").shape[0]))
    return dists


def assert_distances(got, expected, name="dists"):
    """assert_close, saying so when the values are the squared distances (no square root)."""
    try:
        assert_close(got, expected, name)
    except CheckFailed as exc:
        squared = (isinstance(got, np.ndarray) and got.shape == expected.shape and got.dtype.kind in "iuf"
                   and np.any(expected > 1.5) and np.allclose(got, expected ** 2, rtol=1e-6, atol=1e-9))
        if squared:
            raise CheckFailed(f"{exc}; your values are the squared distances: take the square root") from None
        raise


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("version", VERSIONS)
def test_distances_shape(student, rng, version):
    knn = trained(student, rng.standard_normal((13, 6)), rng.integers(0, 3, size=13))
    dists = distances(knn, version, rng.standard_normal((4, 6)))
    if not np.all(np.isfinite(dists)) or np.any(dists < 0):
        raise CheckFailed(f"{version} should return finite, non-negative distances")
    # Random points are all distinct, so no distance between them is 0 (an all-zero array has
    # the right shape and is finite, but is not a distance matrix).
    if not np.all(dists > 1e-3):
        raise CheckFailed(f"{version} returns {int(np.sum(dists <= 1e-3))} distances of 0 between distinct "
                          "random points; dists[i, j] should be the L2 distance between X[i] and X_train[j]")


@pytest.mark.public
@pytest.mark.points(2)
@pytest.mark.parametrize("version", VERSIONS)
def test_distances_by_hand(student, version):
    """Points chosen so that every distance is easy to check: 3-4-5 triangles."""
    X_train = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]])
    X = np.array([[0.0, 0.0], [6.0, 8.0]])
    expected = np.array([[0.0, 5.0, np.sqrt(2.0)], [10.0, 5.0, np.sqrt(74.0)]])
    knn = trained(student, X_train, np.array([0, 1, 2]))
    with case(f"{version} on a hand-worked example with 2 test and 3 training points in 2-D"):
        assert_distances(distances(knn, version, X), expected)


# Training labels [3, 1, 2, 1, 3]; each row of DISTS orders them differently.
# Row 0 visits labels 3, 2, 1, 3, 1 from nearest to farthest; row 1 visits
# 1, 1, 2, 3, 3; row 2 visits 2, 3, 3, 1, 1.
Y_BY_HAND = np.array([3, 1, 2, 1, 3])
DISTS_BY_HAND = np.array([[0.2, 0.9, 0.4, 0.6, 0.8],
                          [0.7, 0.1, 0.5, 0.3, 0.9],
                          [0.4, 0.8, 0.1, 0.9, 0.2]])


@pytest.mark.public
@pytest.mark.points(2)
def test_predict_labels_by_hand(student):
    """k=1 is the nearest label; k=4 has a clear majority in every row (3, 1 and 3)."""
    knn = trained(student, np.zeros((5, 2)), Y_BY_HAND)
    for k, labels in {1: [3, 1, 2], 4: [3, 1, 3]}.items():
        with case(f"predict_labels with k={k} on the hand-worked example in the test's comments"):
            assert_equal_labels(knn.call("predict_labels", DISTS_BY_HAND, k=k), np.array(labels), "y_pred")


@pytest.mark.public
@pytest.mark.points(1)
def test_predict_labels_breaks_ties_towards_smaller_label(student):
    """The docstring's convention: when labels occur equally often among the k nearest,
    the smallest of them wins (not the nearest one's). With k=2, rows 0 and 2 tie
    (3 against 2, 2 against 3); with k=3, row 0 ties three ways (3, 2, 1)."""
    knn = trained(student, np.zeros((5, 2)), Y_BY_HAND)
    for k, labels in {2: [2, 1, 2], 3: [1, 1, 3]}.items():
        got = knn.call("predict_labels", DISTS_BY_HAND, k=k)
        with case(f"predict_labels with k={k} on the hand-worked example in the test's comments, "
                  "where labels tie"):
            try:
                assert_equal_labels(got, np.array(labels), "y_pred")
            except CheckFailed as exc:
                raise CheckFailed(f"{exc}: when several labels occur equally often among the k nearest, "
                                  "the smallest of them wins (np.argmax(np.bincount(...)) does that)") from None


# ------------------------------------------------------------------ hidden

def distance_cases(rng):
    """(description, X_train, X) for the hidden comparisons with the reference."""
    yield "a single test point", rng.standard_normal((30, 8)), rng.standard_normal((1, 8))
    yield "a single training point", rng.standard_normal((1, 8)), rng.standard_normal((12, 8))
    yield "one test and one training point", rng.standard_normal((1, 5)), rng.standard_normal((1, 5))
    yield "one-dimensional points", rng.standard_normal((9, 1)), rng.standard_normal((7, 1))
    yield "more test than training points", rng.standard_normal((15, 20)), rng.standard_normal((40, 20))
    yield ("CIFAR-sized rows (D=3072) with pixel-like values",
           rng.uniform(0, 255, size=(60, 3072)), rng.uniform(0, 255, size=(25, 3072)))


def check_distances_against_reference(student, reference, rng, version):
    for description, X_train, X in distance_cases(rng):
        y_train = rng.integers(0, 4, size=X_train.shape[0])
        got = distances(trained(student, X_train, y_train), version, X)
        expected = trained(reference, X_train, y_train).call(version, X)
        with case(f"{version} on {description}"):
            assert_distances(got, expected)


@pytest.mark.points(2)
def test_two_loops_matches_reference(student, reference, rng):
    check_distances_against_reference(student, reference, rng, "compute_distances_two_loops")


@pytest.mark.points(2)
def test_one_loop_matches_reference(student, reference, rng):
    check_distances_against_reference(student, reference, rng, "compute_distances_one_loop")


@pytest.mark.points(3)
def test_no_loops_matches_reference(student, reference, rng):
    check_distances_against_reference(student, reference, rng, "compute_distances_no_loops")


@pytest.mark.points(1)
def test_no_loops_with_duplicated_points(student, rng):
    """Test points that are copies of training points are at distance 0.

    Expanded, that 0 is a difference of large, nearly equal numbers and can
    round to a tiny negative value, whose square root is nan unless clamped.
    Only that is checked here: the values elsewhere are the comparison tests' job.
    """
    for n, d in [(30, 50), (20, 5), (10, 3072)]:
        X_train = rng.standard_normal((n, d))
        copies = rng.permutation(n)[: n // 2]
        X = np.concatenate([X_train[copies], rng.standard_normal((5, d))])
        got = distances(trained(student, X_train, rng.integers(0, 3, size=n)), "compute_distances_no_loops", X)
        description = f"compute_distances_no_loops with test points that are copies of training points (D={d})"
        if not np.all(np.isfinite(got)):
            raise CheckFailed(f"{description}: dists contains nan or inf values; a squared distance that "
                              "rounds to slightly below 0 must be clamped at 0 before the square root")
        if np.max(got[np.arange(len(copies)), copies]) > 1e-5 * np.sqrt(d):
            raise CheckFailed(f"{description}: the distance from a point to its own copy should be 0 "
                              "(up to rounding)")


def votes_without_ties(dists, y_train, k):
    """Boolean (num_test,): rows whose k nearest labels have a single most common label.

    Distances are random floats, so the k nearest are well defined; only the
    vote can tie, and ties are the convention test's business.
    """
    decided = np.zeros(dists.shape[0], dtype=bool)
    for i, row in enumerate(dists):
        counts = np.bincount(y_train[np.argsort(row)[:k]])
        decided[i] = np.sum(counts == counts.max()) == 1
    return decided


def check_labels_against_reference(student, reference, description, dists, y_train, ks):
    X_train = np.zeros((len(y_train), 1))
    knn, ref = trained(student, X_train, y_train), trained(reference, X_train, y_train)
    for k in ks:
        got = knn.call("predict_labels", dists, k=k)
        decided = votes_without_ties(dists, y_train, k)
        with case(f"predict_labels on {description}, k={k}"):
            assert_array(got, "y_pred", (dists.shape[0],))
            assert_equal_labels(got[decided], ref.call("predict_labels", dists, k=k)[decided],
                                "y_pred (on the rows whose vote does not tie)")


def label_cases(rng):
    """(description, dists, y_train, ks) with k below the number of training points."""
    yield "3 labels, k from 1 to 8", rng.random((40, 20)), rng.integers(0, 3, size=20), (1, 2, 3, 5, 8)
    yield "2 labels, odd k", rng.random((50, 12)), rng.integers(0, 2, size=12), (3, 5, 7)
    yield ("labels 4 and 7 only (smaller labels never occur)", rng.random((20, 15)),
           rng.choice([4, 7], size=15), (1, 3, 5))
    yield "10 labels, k=6", rng.random((30, 25)), rng.permutation(np.arange(25) % 10), (6,)
    yield "a single test point", rng.random((1, 30)), rng.integers(0, 10, size=30), (1, 5, 10)


@pytest.mark.points(3)
def test_predict_labels_matches_reference(student, reference, rng):
    for description, dists, y_train, ks in label_cases(rng):
        check_labels_against_reference(student, reference, description, dists, y_train, ks)


@pytest.mark.points(1)
def test_predict_labels_with_k_beyond_training_points(student, reference, rng):
    """k equal to or larger than the number of training points: every training point votes."""
    check_labels_against_reference(student, reference, "k equal to and larger than the number of training "
                                   "points", rng.random((10, 7)), np.array([0, 2, 2, 1, 2, 3, 0]), (7, 12))
    check_labels_against_reference(student, reference, "a single training point", rng.random((6, 1)),
                                   np.array([2]), (1, 3))


# Reading the submitted source (never running it) for how a version is written.

LOOP_NODES = {ast.For: "a for loop", ast.AsyncFor: "a for loop", ast.While: "a while loop",
              ast.ListComp: "a list comprehension", ast.SetComp: "a set comprehension",
              ast.DictComp: "a dict comprehension", ast.GeneratorExp: "a generator expression"}
# Calls that run a Python function once per element: loops by another name.
HIDDEN_LOOPS = {"vectorize", "apply_along_axis", "frompyfunc", "fromfunction", "fromiter", "map"}


def parse_submission(student_root):
    """({name: function node} at module level, {name: method node} of KNearestNeighbor), read as
    Python runs the file."""
    tree = parse_module(student_root.joinpath(*SOURCE), "/".join(SOURCE))
    defs = (ast.FunctionDef, ast.AsyncFunctionDef)
    return {node.name: node for node in tree.body if isinstance(node, defs)}, class_methods(tree, CLASS)


def reachable(name, student_root, skip=()):
    """Method `name` of KNearestNeighbor and every function or method of the file it calls,
    transitively, except the methods named in `skip` (which another test is about)."""
    functions, methods = parse_submission(student_root)
    if name not in methods:
        raise CheckFailed(f"{CLASS}.{name} is not defined in {'/'.join(SOURCE)}")
    found, todo = {}, [methods[name]]
    while todo:
        node = todo.pop()
        if id(node) in found:
            continue
        found[id(node)] = node
        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self"
                    and func.attr in methods and func.attr not in skip):
                todo.append(methods[func.attr])
            elif isinstance(func, ast.Name) and func.id in functions:
                todo.append(functions[func.id])
    return list(found.values())


def loops_in(nodes):
    """[(line, what)] for every loop, comprehension or loop-like call in the function nodes."""
    loops = []
    for node in nodes:
        for sub in ast.walk(node):
            if type(sub) in LOOP_NODES:
                loops.append((sub.lineno, LOOP_NODES[type(sub)]))
            elif isinstance(sub, ast.Call):
                func = sub.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called in HIDDEN_LOOPS:
                    loops.append((sub.lineno, f"a call to {called}, which loops in Python"))
    return sorted(set(loops))


def require_implemented(student, rng, version, student_root):
    """Structure checks count only for a version that runs and returns a (num_test, num_train)
    array (the stub does not), and that is the method of the class body the checks read (not
    one bound to the class afterwards); whether its values are right is the comparison tests' job."""
    knn = trained(student, rng.standard_normal((20, 6)), rng.integers(0, 3, size=20))
    distances(knn, version, rng.standard_normal((9, 6)))
    require_defined_in_class_body(knn, version, parse_submission(student_root)[1], CLASS)


@pytest.mark.points(2)
def test_no_loops_has_no_loops(student, rng, student_root):
    require_implemented(student, rng, "compute_distances_no_loops", student_root)
    # Calling another version is test_no_loops_does_not_call_other_versions' charge, not this one's.
    loops = loops_in(reachable("compute_distances_no_loops", student_root, skip=VERSIONS[:2]))
    if loops:
        line, what = loops[0]
        raise CheckFailed(f"compute_distances_no_loops (or a function it calls) uses {what} at line {line} "
                          f"of {'/'.join(SOURCE)}; compute all distances with array operations only")


@pytest.mark.points(1)
def test_no_loops_does_not_call_other_versions(student, rng, student_root):
    require_implemented(student, rng, "compute_distances_no_loops", student_root)
    for node in reachable("compute_distances_no_loops", student_root, skip=VERSIONS[:2]):
        for sub in ast.walk(node):
            name = sub.attr if isinstance(sub, ast.Attribute) else getattr(sub, "id", None)
            if name in VERSIONS[:2] or (isinstance(sub, ast.Constant) and sub.value in VERSIONS[:2]):
                raise CheckFailed(f"compute_distances_no_loops (or a function it calls) uses {name or sub.value} "
                                  f"at line {sub.lineno} of {'/'.join(SOURCE)}; it must compute the "
                                  "distances itself")


@pytest.mark.points(1)
def test_one_loop_has_one_loop(student, rng, student_root):
    require_implemented(student, rng, "compute_distances_one_loop", student_root)
    loops = loops_in(reachable("compute_distances_one_loop", student_root))
    if len(loops) > 1:
        lines = ", ".join(str(line) for line, _ in loops)
        raise CheckFailed(f"compute_distances_one_loop (with the functions it calls) has {len(loops)} loops "
                          f"(lines {lines} of {'/'.join(SOURCE)}); loop over the test points only")
