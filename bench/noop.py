"""The no-op floor of bench/api_load.py: a WSGI app answering a fixed small JSON to any
request, served by the same gunicorn configuration as the app (what serving alone costs).

    gunicorn --pythonpath bench noop:app
"""
from __future__ import annotations

BODY = b'{"ok": true}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
