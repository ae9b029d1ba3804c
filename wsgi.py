"""The WSGI entry point: ``granian wsgi:app`` (see deploy/granian.env), or any WSGI server.

A bad setting or an unusable database is one line on stderr and exit status 4, which gunicorn
takes as "the application cannot load" and stops instead of restarting workers.
"""

from engagement.startup import EXIT_APP_LOAD, app_or_exit

app = app_or_exit(status=EXIT_APP_LOAD)
