"""A small webhook receiver for the demo: what a vendor's system would run, on loopback.

    python scripts/webhook_receiver.py --port 8430 --secrets-file instance/webhook-receiver-secrets

Every POST is checked with the `standardwebhooks` package against each secret in the
secrets file (one `whsec_...` per line, read again for every request, so a secret the
demo writes after start-up, or a rotation, counts at once): a valid delivery is
answered 204 and kept; a forged or stale one 401. Each delivery is appended to
instance/webhook-receiver.jsonl; http://127.0.0.1:8430/ lists them, newest first, and
/deliveries.json gives them as JSON. `--answer 500` (or 410, 429) makes it answer that
instead, to watch gpo's retries and its 410 rule; so does a path `/answer/<code>` for the
deliveries sent there (the demo's second endpoint, `/answer/503`, is a system that is
down), whatever `--answer` says. A 429 comes with `Retry-After: 60`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

MAX_BODY = 256 * 1024
ANSWER_PATH = re.compile(r"^/answer/([1-5][0-9][0-9])(?:[/?]|$)")  # /answer/503: answer 503 there


class Receiver:
    """What arrived, and how to check it."""

    def __init__(self, secrets_file: Path | None, log_file: Path | None, answer: int) -> None:
        self.secrets_file = secrets_file
        self.log_file = log_file
        self.answer = answer
        self.received: list[dict] = []
        self.lock = threading.Lock()

    def secrets(self) -> list[str]:
        if self.secrets_file is None or not self.secrets_file.exists():
            return []
        return [line.strip() for line in self.secrets_file.read_text().splitlines() if line.strip().startswith("whsec_")]

    def verify(self, body: bytes, headers: dict[str, str]) -> bool:
        for secret in self.secrets():
            try:
                Webhook(secret).verify(body, headers)
                return True
            except WebhookVerificationError:
                continue
        return False

    def answer_for(self, path: str) -> int:
        """What a valid delivery to `path` is answered: /answer/<code> says, else --answer."""
        told = ANSWER_PATH.match(path)
        return int(told.group(1)) if told else self.answer

    def keep(self, record: dict) -> None:
        with self.lock:
            self.received.append(record)
            if self.log_file is not None:
                with self.log_file.open("a") as out:
                    out.write(json.dumps(record) + "\n")


def handler_for(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, b"too large")
                return
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            valid = receiver.verify(body, headers)
            try:
                event = json.loads(body)
            except ValueError:
                event = {}
            answer = receiver.answer_for(self.path) if valid else 401
            receiver.keep({
                "received_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "path": self.path, "webhook_id": headers.get("webhook-id"),
                "signatures": len((headers.get("webhook-signature") or "").split()),
                "valid": valid, "type": event.get("type"),
                "summary": (event.get("data") or {}).get("summary"), "answered": answer,
            })
            if not valid:
                self._answer(401, b"signature not valid")
            elif answer != 204:
                self._answer(answer, b"told to answer so", {"Retry-After": "60"} if answer == 429 else {})
            else:
                self._answer(204, b"")

        def do_GET(self) -> None:  # noqa: N802
            with receiver.lock:
                rows = list(reversed(receiver.received))
            if self.path.startswith("/deliveries.json"):
                self._answer(200, json.dumps(rows).encode(), {"Content-Type": "application/json"})
                return
            cells = "".join(
                f"<tr><td>{html.escape(r['received_at'])}</td><td>{html.escape(str(r.get('path', '')))}</td>"
                f"<td>{html.escape(str(r['type']))}</td>"
                f"<td>{html.escape(str(r['webhook_id']))}</td><td>{'valid' if r['valid'] else 'REJECTED'}"
                f" ({r['signatures']} signature{'s' if r['signatures'] != 1 else ''})</td>"
                f"<td>{html.escape(str(r.get('answered', '')))}</td>"
                f"<td>{html.escape(str(r['summary'] or ''))}</td></tr>" for r in rows)
            page = ("<!doctype html><html lang=en><meta charset=utf-8><title>Webhook receiver</title>"
                    f"<h1>Deliveries received</h1><p>{len(rows)} received, newest first "
                    "(<a href=\"/deliveries.json\">as JSON</a>).</p><table><thead><tr><th>Received</th><th>Path</th>"
                    "<th>Event</th><th>webhook-id</th><th>Signature</th><th>Answered</th><th>Summary</th></tr></thead>"
                    f"<tbody>{cells}</tbody></table></html>")
            self._answer(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

        def _answer(self, status: int, body: bytes, headers: dict | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args) -> None:  # noqa: A002 - http.server's signature
            pass

    return Handler


def serve(host: str, port: int, receiver: Receiver) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), handler_for(receiver))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8430)
    parser.add_argument("--secrets-file", type=Path, default=Path("instance/webhook-receiver-secrets"))
    parser.add_argument("--log-file", type=Path, default=Path("instance/webhook-receiver.jsonl"))
    parser.add_argument("--answer", type=int, default=204, help="answer valid deliveries with this status")
    args = parser.parse_args()
    receiver = Receiver(args.secrets_file, args.log_file, args.answer)
    if args.log_file.exists():
        receiver.received = [json.loads(line) for line in args.log_file.read_text().splitlines() if line.strip()]
    server = serve(args.host, args.port, receiver)
    print(f"webhook receiver on http://{args.host}:{args.port}/ (secrets: {args.secrets_file})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
