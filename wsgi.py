"""The WSGI entry point: ``granian wsgi:app`` (see deploy/granian.env)."""

from engagement.cli import app_or_exit

app = app_or_exit()
