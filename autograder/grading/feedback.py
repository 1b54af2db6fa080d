"""feedback.md: a submission's results written for the student.

Built from results.json only (never from the pytest log), so it holds
nothing a student may not see: the modules that did not import (first: they
explain every check that failed because of them), the submission problems,
then per test ✓/✗, points and the student-safe message, grouped by suite
file in the order the manifest lists the suites (the order of the notebooks).

Every text that the student's code or files could have shaped (messages
quoting their exceptions, what their code printed, notes) is rendered
inertly: control characters removed, length bounded, inside a fenced code
block whose fence is longer than any run of backticks in the text, so it
can never become Markdown of its own (a fake "✓" line or a bold score).
"""
import re

from .results import file_subtotals

MAX_BLOCK_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def inert(text, limit=MAX_BLOCK_CHARS):
    """`text` as a fenced block that renders as exactly its characters."""
    text = _CONTROL.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def render_feedback(results, title, submission):
    extra = results.get("extra_data", {})
    maximum = extra.get("max_score", sum(t["max_score"] for t in results["tests"]))
    lines = [f"# {title}: autograder feedback", "",
             f"Submission: `{_plain(submission)}`", "",
             f"**Score: {results['score']:g} / {maximum:g}**", ""]
    imports = extra.get("import_problems", [])
    if imports:
        lines += ["## Your code could not be imported", "",
                  "Every check that uses these modules failed for this reason alone; fix it first.", ""]
        for problem in imports:
            lines += [inert(problem), ""]
    problems = extra.get("problems", [])
    if problems:
        lines += ["## Problems with the submission", ""]
        for problem in problems:
            lines += [inert(problem), ""]
    notes = extra.get("notes", [])
    if notes:
        lines += ["## Notes", ""] + [inert(note) for note in notes] + [""]
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
        lines.append(f"- {mark} `{_plain(name or file)}` ({test['score']:g} / {test['max_score']:g}){hidden}")
        if test["status"] != "passed" and test["output"]:
            lines += ["", inert(test["output"]), ""]
    failed = sum(t["status"] != "passed" for t in results["tests"])
    summary = (f"{len(results['tests']) - failed} of {len(results['tests'])} checks passed; "
               f"{results['score']:g} of {maximum:g} points.")
    if any(t["visibility"] != "visible" for t in results["tests"]):
        summary += (" Checks marked *hidden* are not in your public tests. For them you see which call "
                    "failed and the line of your code where it failed, but not the text your code printed "
                    "or put in its exceptions, and never the test's inputs or expected values.")
    lines += ["", "## Summary", "", summary, ""]
    return "\n".join(lines)


def _plain(text):
    """A short name for inline code: no backticks, no control characters, bounded."""
    return _CONTROL.sub("", str(text)).replace("`", "'")[:200]
