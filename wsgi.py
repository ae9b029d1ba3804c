"""The WSGI entry point: ``gunicorn wsgi:app``."""

from engagement.cli import app_or_exit

app = app_or_exit()
