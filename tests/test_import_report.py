"""A student module that does not import is reported once, at the top of the feedback
(autograder/grading/plugin.py: import_report; results.py; feedback.py).

The unit tests build small submissions by hand; the end-to-end test grades the
reference submission with two broken modules (the classic starter code's
`from past.builtins import xrange`, and scipy) on the kNN, SVM and linear
classifier suites: about 15 s on the shared 2-core machine.
"""
import shutil

import pytest

from autograder.grading.plugin import import_report

KNN = "cs231n/classifiers/k_nearest_neighbor.py"


def submission(tmp_path, files):
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_missing_module_names_the_line_and_what_to_do(tmp_path):
    root = submission(tmp_path, {KNN: "import numpy as np\nfrom past.builtins import xrange\n"})
    report = import_report(root, "cs231n.classifiers.k_nearest_neighbor", "ModuleNotFoundError",
                           "importing cs231n.classifiers.k_nearest_neighbor raised ModuleNotFoundError: "
                           "No module named 'past'")
    assert report.startswith(f"{KNN}, line 2: `from past.builtins import xrange` raised ModuleNotFoundError "
                             "(No module named 'past')")
    assert "use range where the code says xrange" in report


def test_missing_module_imported_by_another_module_is_found_there(tmp_path):
    """linear_classifier imports linear_svm, whose scipy import fails: the line shown is linear_svm's."""
    root = submission(tmp_path, {
        "cs231n/classifiers/linear_classifier.py": "from .linear_svm import svm_loss_vectorized\n",
        "cs231n/classifiers/linear_svm.py": "import numpy as np\nimport scipy.special\n"})
    report = import_report(root, "cs231n.classifiers.linear_classifier", "ModuleNotFoundError",
                           "No module named 'scipy'")
    assert report.startswith("cs231n/classifiers/linear_svm.py, line 2: `import scipy.special`")
    assert "use NumPy instead" in report


def test_name_missing_from_an_existing_module(tmp_path):
    root = submission(tmp_path, {KNN: "import numpy as np\nfrom numpy.lib.npyio import recfromcsv\n"})
    report = import_report(root, "cs231n.classifiers.k_nearest_neighbor", "ImportError",
                           "cannot import name 'recfromcsv' from 'numpy.lib.npyio' (/usr/lib/...)")
    assert report.startswith(f"{KNN}, line 2: `from numpy.lib.npyio import recfromcsv` raised ImportError: the "
                             "course environment's numpy.lib.npyio has no 'recfromcsv'")


def test_other_exception_at_import_shows_the_students_line_not_the_message(tmp_path):
    root = submission(tmp_path, {KNN: "import numpy as np\n\nLIMIT = undefined_name + 1\n"})
    report = import_report(root, "cs231n.classifiers.k_nearest_neighbor", "NameError",
                           "importing ... raised NameError: SECRET (at k_nearest_neighbor.py, line 3)")
    assert report.startswith(f"{KNN}, line 3: `LIMIT = undefined_name + 1` raised NameError")
    assert "SECRET" not in report


def test_unknown_exception_class_and_unfound_line(tmp_path):
    root = submission(tmp_path, {KNN: "import numpy as np\n"})
    report = import_report(root, "cs231n.classifiers.k_nearest_neighbor", "MyOwnError_with_text",
                           "No module named 'nothing_here'")
    assert "MyOwnError" not in report and "nothing_here" not in report
    assert report.startswith(f"{KNN}: importing cs231n.classifiers.k_nearest_neighbor raised an exception")


def test_grading_reports_import_failures_once_at_the_top(tmp_path):
    from data.prepare import missing_reason
    if missing_reason("cifar10_heldout"):
        pytest.skip(missing_reason("cifar10_heldout"))
    from autograder.grading import grade_submission
    from autograder.samples import build_reference
    from autograder.grading.scoped_reference import write_scoped_reference
    from tests.test_fairness import ROOTS, write_release
    write_release("assignment1", tmp_path / "release")
    reference = write_scoped_reference(tmp_path / "reference", "assignment1",
                                       ["test_knn.py", "test_linear_svm.py", "test_linear_classifier.py"])
    good = build_reference("assignment1", tmp_path / "submission")
    for module, line in [(KNN, "from past.builtins import xrange"),
                         ("cs231n/classifiers/linear_svm.py", "from scipy.special import logsumexp")]:
        path = good / module
        path.write_text(path.read_text().replace("import numpy as np\n", f"import numpy as np\n{line}\n", 1))
    results = grade_submission("assignment1", good, tmp_path / "out", suites_root=ROOTS.suites,
                               reference_root=reference, release_root=tmp_path / "release")
    output = results["output"].splitlines()
    assert output[1] == "Your code could not be imported, so every check that uses it failed:"
    assert output[2].startswith(f"- {KNN}, line ") and "`from past.builtins import xrange`" in output[2]
    assert output[3].startswith("- cs231n/classifiers/linear_svm.py, line ") and "scipy" in output[3]
    assert len(results["extra_data"]["import_problems"]) == 2   # linear_classifier's failure is linear_svm's line
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert failed and all(t["output"].startswith("not run: cs231n.classifiers.") for t in failed
                          if not t["name"].startswith("test_linear_classifier.py::test_saved"))
    assert not any("past" in t["output"] or "scipy" in t["output"] for t in results["tests"])
    feedback = (tmp_path / "out" / "feedback.md").read_text()
    assert feedback.index("## Your code could not be imported") < feedback.index("## test_knn.py")
    assert feedback.count("from past.builtins import xrange") == 1
    shutil.rmtree(tmp_path / "out")
