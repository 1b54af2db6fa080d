"""The grading engine: sandboxed execution of student code, the test
vocabulary shared with students (testkit), the hidden suites (suites/), and
batch grading, reports, the gradebook and the Gradescope bundle."""
