"""The grader's test vocabulary, shipped so the public tests run unchanged."""
