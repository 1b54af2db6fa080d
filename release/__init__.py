"""The release pipeline: source/ -> assignments/<name>/ for students.

    python -m release build --all | <assignment>    regenerate assignments/<name>/
    python -m release check --all | <assignment>    leak check + is the committed release fresh?

A build is a list of small named steps (`pipeline.STEPS`), in the spirit of
nbgrader's preprocessors; each adds files to an in-memory `ReleaseTree`:

    stub_modules          source/cs231n modules, solution regions -> NotImplementedError
    generate_notebooks    nbgrader's own generate_assignment on a throwaway course dir; each
                          cell stub then names what to write
    copy_readme           source/<name>/README.md
    copy_student_tools    check.py, make_submission.py (from source/common/)
    copy_dataset_fetcher  data/fetch.py as get_datasets.py
    copy_testkit          autograder/testkit -> tests/autograder/testkit
    write_public_tests    public tests (and the helpers they need) from each suite
    write_student_conftest, write_hidden_test_counts, write_submission_manifest
    write_requirements    requirements.txt: the manifest's student_packages, pinned
                          with their dependencies from constraints.txt
    copy_setup_script     setup_env.py (source/common/): creates the student environment
    write_gitignore       .gitignore (source/common/student.gitignore)

The tree is then written to a staging folder, leak-checked (`leaks.py`), and
only then moved over assignments/<name>/. `check` compares a fresh build with
the committed folder, leaving out what the release's .gitignore ignores
(`ignore.py`).
"""
