"""results.json in Gradescope's format, from the tests of one submission.

    {"score", "execution_time", "output", "visibility", "stdout_visibility",
     "tests": [{"name", "score", "max_score", "status", "output", "visibility"}],
     "extra_data": {...our bookkeeping...}}

Public tests are "visible"; hidden tests are "after_published" (students see
them once grades are published). Gradescope's stdout of the autograder (the
pytest log, with tracebacks) stays "hidden". The schema is in
`gradescope_results.schema.json` next to this file.
"""
import json
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("gradescope_results.schema.json")


def load_schema():
    return json.loads(SCHEMA_PATH.read_text())


def output_for(test):
    if test.passed:
        return ""
    text = test.message
    if test.output:
        text += "\n\nYour code printed (last lines):\n" + test.output
    return text


# extra_data["status"]: how grading went. Only "graded" and "rejected" results are final;
# the others have no cache key, so the next run grades the submission again.
STATUSES = ("graded", "rejected", "incomplete", "grader_failed")
GRADER_FAILED = ("The autograder failed on this submission for a reason that is not your fault; "
                 "the course staff will look into it and regrade.")


IMPORT_HEADING = "Your code could not be imported, so every check that uses it failed:"


def summary(tests, problems, run_problem, notes=(), import_problems=()):
    score = sum(t.points for t in tests if t.passed)
    total = sum(t.points for t in tests)
    lines = [f"Autograder score: {score:g} / {total:g} ({sum(t.passed for t in tests)} of {len(tests)} checks "
             "passed)."] if tests else []
    if import_problems:
        lines += [IMPORT_HEADING] + [f"- {problem}" for problem in import_problems]
    lines += problems
    if run_problem:
        lines.append(run_problem)
    lines += [f"Note: {note}." for note in notes]
    return "\n".join(lines)


def not_graded_results(tests, message, problems, status, extra_data):
    """A zero result whose every test says `message`: a rejected submission ("rejected")
    or a grader that failed on it ("grader_failed", which has no cache key)."""
    for test in tests:
        test.passed, test.message, test.output = False, message, ""
    if status == "grader_failed":
        problems = [GRADER_FAILED] + list(problems)
        extra_data = dict(extra_data, cache_key=None, complete=False)
    return build_results(tests, problems, "", 0.0, extra_data, status=status)


def build_results(tests, problems, run_problem, execution_time_s, extra_data, status="graded", notes=(),
                  import_problems=()):
    """The results.json content. `tests` are `run_suite.TestResult`s, in suite order; `import_problems`
    (one line per student module that did not import) come first, right after the score."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return {
        "score": float(sum(t.points for t in tests if t.passed)),
        "execution_time": int(round(execution_time_s)),
        "output": summary(tests, problems, run_problem, notes, import_problems),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        # Plain text: messages quote what a student's code wrote, which must never render as markup.
        "output_format": "text",
        "test_output_format": "text",
        "tests": [{
            "name": t.name,
            "score": float(t.points if t.passed else 0.0),
            "max_score": float(t.points),
            "status": "passed" if t.passed else "failed",
            "output": output_for(t),
            "visibility": "visible" if t.public else "after_published",
        } for t in tests],
        "extra_data": dict(extra_data, status=status, max_score=float(sum(t.points for t in tests)),
                           problems=list(problems) + ([run_problem] if run_problem else []),
                           notes=list(notes), import_problems=list(import_problems)),
    }


def file_subtotals(results):
    """{suite file: (score, max)} from a results.json's tests."""
    totals = {}
    for test in results["tests"]:
        file = test["name"].split("::", 1)[0]
        score, maximum = totals.get(file, (0.0, 0.0))
        totals[file] = (score + test["score"], maximum + test["max_score"])
    return totals
