"""Step: copy the manifest's cs231n modules as this assignment releases them.

Each module is scoped and stubbed by `course.stubs.release_module` (the same
function the grader uses for its stubs): code of later assignments left out,
this assignment's solution regions replaced by a NotImplementedError naming
the function to complete, earlier assignments' regions by a "copy your
solution" stub or given solved, as the manifest's `earlier_work` says. The
`# TODO` comment above a stub and the docstrings stay.
"""
from course.manifest import load_course
from course.stubs import release_module


def stub_modules(job):
    """Add source/<module> as <module> for each module in the manifest, scoped and stubbed."""
    course = load_course(job.roots)
    for module in job.manifest.modules:
        released = release_module(module, job.manifest, job.roots, course)
        job.solved_lines.extend(released.solved_lines)
        job.tree.add(module, released.text)
