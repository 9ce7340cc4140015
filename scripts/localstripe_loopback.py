"""Run localstripe (the Stripe API stand-in used by the demo and tests) on loopback only.

localstripe's own launcher listens on every interface; this one binds 127.0.0.1.
    python scripts/localstripe_loopback.py --port 8420
Webhooks: POST /_config/webhooks/{id} with url= and secret= (form data).
"""
from __future__ import annotations

import argparse
import logging

from aiohttp import web
from localstripe.server import app, store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--from-scratch", action="store_true", help="ignore localstripe's saved state")
    parser.add_argument("--ephemeral", action="store_true",
                        help="start empty and never write /tmp/localstripe.pickle (the test suite's own server)")
    args = parser.parse_args()
    if args.ephemeral:
        type(store).dump_to_disk = lambda self: None
    elif not args.from_scratch:
        store.try_load_from_disk()
    logging.basicConfig(level=logging.INFO)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
