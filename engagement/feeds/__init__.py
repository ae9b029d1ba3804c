"""Atom feeds of the latest approved comments, site-wide and per article."""
