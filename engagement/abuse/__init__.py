"""Abuse protection beyond rate limits: bans and the spam screening of new comments."""
