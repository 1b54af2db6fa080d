"""The k-nearest-neighbor classifier (cs231n/classifiers/k_nearest_neighbor.py).

Students write the three L2 distance versions of KNearestNeighbor (two loops,
one loop, no loops) and predict_labels (majority vote of the k nearest, ties
to the smaller label). Public tests check shapes, values worked out by hand,
that the three versions agree, and that k=1 recognizes the training points.
Hidden tests compare every version with the reference on fresh inputs of
several shapes (one test point, one training point, CIFAR-sized rows),
duplicated points (where the no-loop expansion must be clamped at 0), votes
with ties and with k beyond the number of labels or training points, predict
end to end, and read the submitted source to check that the no-loop version
has no loops and does not call the other versions.
"""
import ast

import numpy as np
import pytest

from autograder.testkit import CheckFailed, assert_array, assert_close, assert_equal_labels, case

MOD = "cs231n.classifiers.k_nearest_neighbor"
CLASS = "KNearestNeighbor"
VERSIONS = ("compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops")
SOURCE = ("cs231n", "classifiers", "k_nearest_neighbor.py")


def trained(code, X_train, y_train):
    """A KNearestNeighbor of `code` (student or reference) trained on the given data."""
    knn = code.new(MOD, CLASS)
    knn.call("train", X_train, y_train)
    return knn


def distances(knn, version, X):
    """Call one distance version and check that it returns a (num_test, num_train) array."""
    dists = knn.call(version, X)
    assert_array(dists, f"dists from {version}", (X.shape[0], knn.get("X_train").shape[0]))
    return dists


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("version", VERSIONS)
def test_distances_shape(student, rng, version):
    knn = trained(student, rng.standard_normal((13, 6)), rng.integers(0, 3, size=13))
    dists = distances(knn, version, rng.standard_normal((4, 6)))
    if not np.all(np.isfinite(dists)) or np.any(dists < 0):
        raise CheckFailed(f"{version} should return finite, non-negative distances")


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
        assert_close(distances(knn, version, X), expected, "dists")


@pytest.mark.public
@pytest.mark.points(1)
def test_distance_versions_agree(student, rng):
    knn = trained(student, rng.standard_normal((11, 5)), rng.integers(0, 3, size=11))
    X = rng.standard_normal((7, 5))
    two_loops = distances(knn, "compute_distances_two_loops", X)
    for version in VERSIONS[1:]:
        with case(f"{version} against your compute_distances_two_loops"):
            assert_close(distances(knn, version, X), two_loops, "dists", tol=1e-8)


@pytest.mark.public
@pytest.mark.points(2)
def test_predict_labels_by_hand(student):
    """Training labels [3, 1, 2, 1, 3]; each row of dists orders them differently.

    Row 0 visits labels 3, 2, 1, 3, 1 from nearest to farthest; row 1 visits
    1, 1, 2, 3, 3; row 2 visits 2, 3, 3, 1, 1. Ties go to the smaller label,
    so for example k=2 in row 0 (one 3, one 2) predicts 2.
    """
    y_train = np.array([3, 1, 2, 1, 3])
    dists = np.array([[0.2, 0.9, 0.4, 0.6, 0.8],
                      [0.7, 0.1, 0.5, 0.3, 0.9],
                      [0.4, 0.8, 0.1, 0.9, 0.2]])
    expected = {1: [3, 1, 2], 2: [2, 1, 2], 3: [1, 1, 3], 4: [3, 1, 3], 5: [1, 1, 1]}
    knn = trained(student, np.zeros((5, 2)), y_train)
    for k, labels in expected.items():
        with case(f"predict_labels with k={k} on the hand-worked example in the test's docstring"):
            assert_equal_labels(knn.call("predict_labels", dists, k=k), np.array(labels), "y_pred")


@pytest.mark.public
@pytest.mark.points(1)
def test_k1_predicts_training_labels(student, rng):
    """Each training point is its own nearest neighbor, so k=1 must return its label."""
    X_train = rng.standard_normal((30, 6))
    y_train = rng.integers(0, 5, size=30)
    knn = trained(student, X_train, y_train)
    for num_loops in (0, 1, 2):
        with case(f"predict(X_train, k=1, num_loops={num_loops}) on the training points themselves"):
            assert_equal_labels(knn.call("predict", X_train, k=1, num_loops=num_loops), y_train, "y_pred")


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
            assert_close(got, expected, "dists")


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
def test_no_loops_with_duplicated_points(student, reference, rng):
    """Test points that are copies of training points are at distance 0.

    Expanded, that 0 is a difference of large, nearly equal numbers and can
    round to a tiny negative value, whose square root is nan unless clamped.
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
        rows = np.arange(len(copies))
        scale = np.sqrt(d)
        if np.max(got[rows, copies]) > 1e-5 * scale:
            raise CheckFailed(f"{description}: the distance from a point to its own copy should be 0 "
                              "(up to rounding)")
        expected = trained(reference, X_train, np.zeros(n, dtype=np.int64)).call("compute_distances_no_loops", X)
        mask = np.ones(got.shape, dtype=bool)
        mask[rows, copies] = False
        with case(description):
            assert_close(got[mask], expected[mask], "dists between distinct points")


def label_cases(rng):
    """(description, dists, y_train, ks) for the hidden predict_labels comparisons.

    Distances are random floats, so no two are equal and the k nearest are
    always well defined; few labels make ties in the vote common.
    """
    yield ("3 labels, k from 1 to 8", rng.random((40, 20)), rng.integers(0, 3, size=20), (1, 2, 3, 4, 5, 8))
    yield ("10 labels, k=2 (a tie whenever the two nearest differ)", rng.random((30, 25)),
           rng.permutation(np.arange(25) % 10), (2,))
    yield ("2 labels, k=4 and k=6 often split evenly", rng.random((50, 12)), rng.integers(0, 2, size=12),
           (4, 6))
    yield ("labels 4 and 7 only (smaller labels never occur)", rng.random((20, 15)),
           rng.choice([4, 7], size=15), (1, 2, 3, 6))
    yield "k equal to and larger than the number of training points", rng.random((10, 7)), \
        rng.integers(0, 4, size=7), (7, 12)
    yield "a single training point", rng.random((6, 1)), np.array([2]), (1, 3)
    yield "a single test point", rng.random((1, 30)), rng.integers(0, 10, size=30), (1, 5, 10)


@pytest.mark.points(3)
def test_predict_labels_matches_reference(student, reference, rng):
    for description, dists, y_train, ks in label_cases(rng):
        X_train = np.zeros((len(y_train), 1))
        knn, ref = trained(student, X_train, y_train), trained(reference, X_train, y_train)
        for k in ks:
            got = knn.call("predict_labels", dists, k=k)
            with case(f"predict_labels on {description}, k={k}"):
                assert_equal_labels(got, ref.call("predict_labels", dists, k=k), "y_pred")


@pytest.mark.points(2)
def test_predict_matches_reference(student, reference, rng):
    X_train, X = rng.standard_normal((40, 10)), rng.standard_normal((25, 10))
    y_train = rng.integers(0, 4, size=40)
    knn, ref = trained(student, X_train, y_train), trained(reference, X_train, y_train)
    for num_loops in (0, 1, 2):
        for k in (1, 3, 5):
            got = knn.call("predict", X, k=k, num_loops=num_loops)
            with case(f"predict with k={k}, num_loops={num_loops}"):
                assert_equal_labels(got, ref.call("predict", X, k=k, num_loops=num_loops), "y_pred")


# Reading the submitted source (never running it) for how a version is written.

LOOP_NODES = {ast.For: "a for loop", ast.AsyncFor: "a for loop", ast.While: "a while loop",
              ast.ListComp: "a list comprehension", ast.SetComp: "a set comprehension",
              ast.DictComp: "a dict comprehension", ast.GeneratorExp: "a generator expression"}
# Calls that run a Python function once per element: loops by another name.
HIDDEN_LOOPS = {"vectorize", "apply_along_axis", "frompyfunc", "fromfunction", "fromiter", "map"}


def parse_submission(student_root):
    """({name: function node} at module level, {name: method node} of KNearestNeighbor)."""
    path = student_root.joinpath(*SOURCE)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        raise CheckFailed(f"could not read {'/'.join(SOURCE)} from your submission") from None
    except SyntaxError as exc:
        raise CheckFailed(f"{'/'.join(SOURCE)} is not valid Python (line {exc.lineno})") from None
    defs = (ast.FunctionDef, ast.AsyncFunctionDef)
    functions = {node.name: node for node in tree.body if isinstance(node, defs)}
    methods = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == CLASS:
            methods = {item.name: item for item in node.body if isinstance(item, defs)}
    return functions, methods


def reachable(name, student_root):
    """Method `name` of KNearestNeighbor and every function or method of the file it calls, transitively."""
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
                    and func.attr in methods):
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


def require_correct(student, reference, rng, version):
    """Structure checks only count for a version that computes the right distances."""
    X_train, X = rng.standard_normal((20, 6)), rng.standard_normal((9, 6))
    y_train = rng.integers(0, 3, size=20)
    got = distances(trained(student, X_train, y_train), version, X)
    with case(version):
        assert_close(got, trained(reference, X_train, y_train).call(version, X), "dists")


@pytest.mark.points(2)
def test_no_loops_has_no_loops(student, reference, rng, student_root):
    require_correct(student, reference, rng, "compute_distances_no_loops")
    loops = loops_in(reachable("compute_distances_no_loops", student_root))
    if loops:
        line, what = loops[0]
        raise CheckFailed(f"compute_distances_no_loops (or a function it calls) uses {what} at line {line} "
                          f"of {'/'.join(SOURCE)}; compute all distances with array operations only")


@pytest.mark.points(1)
def test_no_loops_does_not_call_other_versions(student, reference, rng, student_root):
    require_correct(student, reference, rng, "compute_distances_no_loops")
    for node in reachable("compute_distances_no_loops", student_root):
        for sub in ast.walk(node):
            name = sub.attr if isinstance(sub, ast.Attribute) else getattr(sub, "id", None)
            if name in VERSIONS[:2] or (isinstance(sub, ast.Constant) and sub.value in VERSIONS[:2]):
                raise CheckFailed(f"compute_distances_no_loops (or a function it calls) uses {name or sub.value} "
                                  f"at line {sub.lineno} of {'/'.join(SOURCE)}; it must compute the "
                                  "distances itself")


@pytest.mark.points(1)
def test_one_loop_has_one_loop(student, reference, rng, student_root):
    require_correct(student, reference, rng, "compute_distances_one_loop")
    loops = loops_in(reachable("compute_distances_one_loop", student_root))
    if len(loops) > 1:
        lines = ", ".join(str(line) for line, _ in loops)
        raise CheckFailed(f"compute_distances_one_loop (with the functions it calls) has {len(loops)} loops "
                          f"(lines {lines} of {'/'.join(SOURCE)}); loop over the test points only")
