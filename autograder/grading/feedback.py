"""feedback.md: a submission's results written for the student.

Built from results.json only (never from the pytest log), so it holds
nothing a student may not see: per test ✓/✗, points and the student-safe
message, grouped by suite file, then the submission problems.
"""
from .results import file_subtotals


def _quote(text):
    return "\n".join("    " + line for line in text.splitlines())


def render_feedback(results, title, submission):
    extra = results.get("extra_data", {})
    maximum = extra.get("max_score", sum(t["max_score"] for t in results["tests"]))
    lines = [f"# {title}: autograder feedback", "",
             f"Submission: `{submission}`", "",
             f"**Score: {results['score']:g} / {maximum:g}**", ""]
    problems = extra.get("problems", [])
    if problems:
        lines += ["## Problems with the submission", ""] + [f"- {p}" for p in problems] + [""]
    subtotals = file_subtotals(results)
    current = None
    for test in results["tests"]:
        file, _, name = test["name"].partition("::")
        if file != current:
            current = file
            score, total = subtotals[file]
            lines += [f"## {file} ({score:g} / {total:g})", ""]
        mark = "✓" if test["status"] == "passed" else "✗"
        hidden = "" if test["visibility"] == "visible" else " *(hidden test)*"
        lines.append(f"- {mark} `{name or file}` ({test['score']:g} / {test['max_score']:g}){hidden}")
        if test["status"] != "passed" and test["output"]:
            lines += ["", _quote(test["output"]), ""]
    failed = sum(t["status"] != "passed" for t in results["tests"])
    lines += ["", "## Summary", "",
              f"{len(results['tests']) - failed} of {len(results['tests'])} checks passed; "
              f"{results['score']:g} of {maximum:g} points." + (
                  " Checks marked *hidden* are not in your public tests; their messages describe "
                  "your result, never the test's inputs." if any(t["visibility"] != "visible"
                                                                 for t in results["tests"]) else ""), ""]
    return "\n".join(lines)
