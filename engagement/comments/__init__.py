"""Threaded reader comments: posting, reading, the author's edits, likes and reports."""
