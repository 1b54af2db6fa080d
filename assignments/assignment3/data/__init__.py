"""Builders of the datasets this assignment's notebooks read: `python -m data.<module> --help`."""
