"""The benchmark's helpers (the benchmark itself is `make bench`: minutes, not a test)."""
import tomllib

from autograder import bench


def test_scoped_reference_lists_only_the_given_suites(tmp_path):
    root = bench.scoped_reference("assignment1", ["test_knn.py"], tmp_path)
    with open(root / "assignment1" / "assignment.toml", "rb") as f:
        scoped = tomllib.load(f)
    with open(bench.REPO / "source" / "assignment1" / "assignment.toml", "rb") as f:
        original = tomllib.load(f)
    assert scoped["suites"] == ["test_knn.py"] != original["suites"]
    # [samples] names suites the copy may not list; the rest is the manifest as it is.
    assert {k: v for k, v in scoped.items() if k != "suites"} == \
        {k: v for k, v in original.items() if k not in ("suites", "samples")}
    assert (root / "cs231n" / "classifiers" / "k_nearest_neighbor.py").read_bytes() == \
        (bench.REPO / "source" / "cs231n" / "classifiers" / "k_nearest_neighbor.py").read_bytes()
    assert bench.scoped_reference("assignment1", None, tmp_path / "unused") == bench.REPO / "source"


def test_knn_timing_compares_equal_distance_matrices(monkeypatch):
    monkeypatch.setattr(bench, "NUM_TRAIN", 200)
    monkeypatch.setattr(bench, "NUM_TEST", 20)
    two_s, no_s, what, difference = bench.time_knn(repeat=1)
    assert two_s > 0 and no_s > 0
    assert difference < 1e-6
    assert "200" in what or "random" in what


def test_markdown_table_holds_every_row():
    text = bench.markdown([("one", "1.00 s", "<= 5 s: met", "0.5 / 0.6")], [("date", "today")])
    assert "| one | 1.00 s | <= 5 s: met | 0.5 / 0.6 |" in text
    assert "| date | today |" in text
    assert "max \\|difference\\|" in bench.markdown([("x", "max |difference|", "", "")], [])


def test_scoped_reference_of_a_later_assignment_loads_with_its_earlier_work(tmp_path):
    """assignment2's manifest names assignment1 as earlier work: the scoped copy keeps the course's
    order and the other manifests, so the grader's one manifest reader accepts it."""
    from course import Roots, load_manifest
    root = bench.scoped_reference("assignment2", ["test_optim.py"], tmp_path)
    manifest = load_manifest(Roots.of(source=root), "assignment2")
    assert manifest.suites == ("test_optim.py",)
    assert bench.benchmarks_file("assignment2").name == "BENCHMARKS_assignment2.md"
    assert bench.benchmarks_file("assignment1") == bench.BENCHMARKS


def test_layers_bench_agrees_with_torch_and_reports_both_goals(monkeypatch):
    from autograder import bench_layers
    monkeypatch.setattr(bench_layers, "N", 4)  # small: what matters here is the check and the table
    result = bench_layers.measure(repeat=1, naive_images=1)
    assert result["agreement"] < 1e-6
    assert all(result[key] > 0 for key in ("conv fast", "conv torch", "conv naive", "pool fast", "pool naive"))
    table = bench_layers.markdown(result, 1, 1)
    assert "| conv 7x7 |" in table and "goal <= 3x" in table and "goal >= 20x" in table
