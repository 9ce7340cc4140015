"""Contract check: Schemathesis against a live gpo with the demo data, as three principals.

    .venv/bin/python scripts/contract_check.py          (or: make contract)

What it does, and undoes:
 1. a fresh SQLite database under instance/contract/ (`flask db upgrade`, `flask gpo
    seed-demo`) and localstripe (for the payment routes), each on a free loopback port;
 2. for each principal (an MSO admin, a practice buyer, Acme's vendor API key), the three
    side by side: a copy of the seeded database, gunicorn serving the app on a free
    loopback port, and `schemathesis run` on the served /api/v1/openapi.json with every
    check on (scripts/schemathesis.toml says which take the API's own status codes and
    why, and the budget);
 3. stops everything it started, prints a summary (requests the server answered, 5xx,
    Schemathesis' failures by kind, per principal) and exits 1 if anything failed.

Every principal gets its own copy of the demo data: what one run creates, revokes or
throttles (an API key deleted, a login locked out) cannot make another fail.

Reports (JSON, JUnit, the server's access and error logs) stay in instance/contract/.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "gpo-demo-password"  # every demo user's (gpo/demo/accounts.py)
ACME_API_KEY = "gpo_demo_acme_medical_supply_key_0001"
PRINCIPALS = {
    # name: (e-mail to sign in with, or None for an API key; the key)
    "mso_admin": ("admin@summit-mso.example", None),
    "practice_buyer": ("buyer@lakeside.example", None),
    "vendor_key": (None, ACME_API_KEY),
}
# The practice buyer's run also checks object-level authorization: Schemathesis reads what
# one practice's buyer created or listed as another practice's buyer (its peer), and a
# success is a failure. The peer signs in too; the requests are the buyer's.
PEERS = {"practice_buyer": {"riverbend_buyer": "buyer@riverbend.example"}}
SECRET_KEY = "contract-check-secret-key-0123456789abcdef"
WEBHOOK_SECRET = "whsec_contract_check"
# gunicorn's access log: method, path (no query: it may carry generated junk), status.
ACCESS_FORMAT = '%(m)s %(U)s %(s)s'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(text: str) -> None:
    print(f"[contract] {text}", flush=True)


def wait_for_http(url: str, proc: subprocess.Popen, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode} before answering on {url}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer on {url} within {timeout:.0f}s") from None
            time.sleep(0.2)


def stop(proc: subprocess.Popen | None, what: str) -> None:
    """End one process we started (gunicorn: its master ends its workers)."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        log(f"{what} did not stop on SIGTERM: killing it")
        proc.kill()
        proc.wait(timeout=10)


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database in WAL mode (the backup API, not cp)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def login(base_url: str, email: str) -> str:
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/login", method="POST",
        data=json.dumps({"email": email, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["access_token"]


@dataclass
class Result:
    principal: str
    exit_code: int = -1
    seconds: float = 0.0
    requests: int = 0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    server_errors: list[str] = field(default_factory=list)  # "METHOD /path 500"
    tracebacks: list[str] = field(default_factory=list)     # last line of each traceback in the error log
    report: dict = field(default_factory=dict)               # Schemathesis' JSON report

    @property
    def failures(self) -> list[dict]:
        return self.report.get("failures", [])

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.server_errors


class ContractCheck:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.out = Path(args.out).resolve()
        self.procs: list[tuple[subprocess.Popen, str]] = []
        self.stripe_url = ""

    # -- processes --------------------------------------------------------------

    def env(self, database: Path) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GPO_", "REDIS_", "RQ_"))}
        env.update(
            FLASK_APP="wsgi", DATABASE_URL=f"sqlite:///{database}", SECRET_KEY=SECRET_KEY,
            STRIPE_API_BASE=self.stripe_url, STRIPE_API_KEY="sk_test_contract_check",
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, PYTHONUNBUFFERED="1",
            # The run's e-mails in its own folder, and the demo's webhook endpoints at a
            # port nobody listens on: never a developer's instance/mail or running receiver.
            MAIL_DIR=str(self.out / "mail"), DEMO_WEBHOOK_RECEIVER_URL="http://127.0.0.1:9/no-receiver",
            DEMO_WEBHOOK_RECEIVER_SECRETS=str(self.out / "webhook-receiver-secrets"),
        )
        return env

    def start(self, argv: list[str], what: str, logfile: Path, env: dict | None = None) -> subprocess.Popen:
        out = open(logfile, "w")
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        out.close()
        self.procs.append((proc, what))
        return proc

    def stop_all(self) -> None:
        for proc, what in reversed(self.procs):
            stop(proc, what)
        self.procs.clear()

    def flask(self, database: Path, *args: str, logfile: Path) -> None:
        with open(logfile, "w") as out:
            done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=self.env(database),
                                  stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=600)
        if done.returncode != 0:
            sys.stdout.write(logfile.read_text()[-4000:])
            raise RuntimeError(f"flask {' '.join(args)} failed ({done.returncode}): see {logfile}")

    # -- the run ----------------------------------------------------------------

    def prepare(self) -> Path:
        if self.out.exists():
            shutil.rmtree(self.out)
        self.out.mkdir(parents=True)
        port = free_port()
        proc = self.start([str(BIN / "python"), str(ROOT / "scripts" / "localstripe_loopback.py"),
                           "--port", str(port), "--ephemeral"], "localstripe", self.out / "localstripe.log")
        self.stripe_url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{self.stripe_url}/v1/customers", proc, "localstripe")
        seeded = self.out / "seeded.sqlite3"
        started = time.monotonic()
        self.flask(seeded, "db", "upgrade", logfile=self.out / "migrate.log")
        self.flask(seeded, "gpo", "seed-demo", logfile=self.out / "seed-demo.log")
        log(f"demo data seeded in {time.monotonic() - started:.0f}s; localstripe on {self.stripe_url}")
        return seeded

    def serve(self, database: Path, name: str) -> tuple[subprocess.Popen, str]:
        port = free_port()
        proc = self.start([
            str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(self.args.server_workers),
            "--threads", "2", "--timeout", "120", "--graceful-timeout", "5",
            # no request-line or header size limit of gunicorn's own: its 414/431 pages are
            # HTML from in front of the app, whose answers are what the contract is about
            "--limit-request-line", "0", "--limit-request-field_size", "0",
            "--access-logfile", str(self.out / f"{name}-access.log"), "--access-logformat", ACCESS_FORMAT,
            "--error-logfile", str(self.out / f"{name}-error.log"), "wsgi:app",
        ], f"gunicorn ({name})", self.out / f"{name}-gunicorn.log", env=self.env(database))
        base_url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base_url}/api/v1/openapi.json", proc, f"gunicorn ({name})")
        return proc, base_url

    def run_principal(self, seeded: Path, name: str) -> Result:
        result = Result(name)
        database = self.out / f"{name}.sqlite3"
        copy_sqlite(seeded, database)
        server, base_url = self.serve(database, name)
        try:
            email, key = PRINCIPALS[name]
            token = login(base_url, email) if email else key
            report_dir = self.out / name
            argv = [
                str(BIN / "schemathesis"), "--config-file", str(self.config_for(name, token, base_url)),
                "run", f"{base_url}/api/v1/openapi.json",
                "--workers", str(self.args.workers),
                "--max-response-time", str(self.args.max_response_time),
                "--request-timeout", "30",
                "--seed", str(self.args.seed),
                "--report", "json,junit", "--report-dir", str(report_dir),
                "--no-color",
            ]
            if self.args.max_examples:  # else scripts/schemathesis.toml's, per phase
                argv += ["--max-examples", str(self.args.max_examples)]
            if self.args.phases:
                argv += ["--phases", self.args.phases]
            argv += self.args.schemathesis_args
            started = time.monotonic()
            log(f"{name}: schemathesis against {base_url} (log: {self.out / (name + '-schemathesis.txt')})")
            with open(self.out / f"{name}-schemathesis.txt", "w") as out:
                done = subprocess.run(argv, cwd=self.out, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, timeout=self.args.timeout)
            result.exit_code = done.returncode
            result.seconds = time.monotonic() - started
        finally:
            stop(server, f"gunicorn ({name})")
        reports = sorted((self.out / name).glob("json-*.json"))
        if reports:
            result.report = json.loads(reports[-1].read_text())
        self.read_server_logs(result)
        return result

    def config_for(self, name: str, token: str, base_url: str) -> Path:
        """scripts/schemathesis.toml with this principal's credentials: a Web Fuzzing Commons
        auth file (the principal first, then its peers, if any, for object-level
        authorization)."""
        users = [{"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}]
        for peer, email in PEERS.get(name, {}).items():
            users.append({"name": peer, "fixedHeaders": [
                {"name": "Authorization", "value": f"Bearer {login(base_url, email)}"}]})
        auth = self.out / f"{name}-auth.json"
        auth.write_text(json.dumps({"auth": users}, indent=1))
        config = self.out / f"{name}-schemathesis.toml"
        wfc = {"path": str(auth), "user": name}
        if len(users) > 1:
            wfc["peers"] = [u["name"] for u in users]
        lines = [f"{key} = {json.dumps(value)}" for key, value in wfc.items()]
        config.write_text((ROOT / "scripts" / "schemathesis.toml").read_text()
                          + "\n[auth.wfc]  # contract_check.py\n" + "\n".join(lines) + "\n")
        return config

    def read_server_logs(self, result: Result) -> None:
        access = self.out / f"{result.principal}-access.log"
        for line in access.read_text(errors="replace").splitlines() if access.exists() else []:
            parts = line.rsplit(" ", 1)
            if len(parts) != 2 or not parts[1].isdigit():
                continue
            status = int(parts[1])
            result.requests += 1
            result.statuses[status] += 1
            if status >= 500:
                result.server_errors.append(line)
        for name in (f"{result.principal}-error.log", f"{result.principal}-gunicorn.log"):
            path = self.out / name
            in_traceback = False
            for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
                if line.startswith("Traceback (most recent call last):"):
                    in_traceback = True
                elif in_traceback and line and not line[0].isspace():
                    result.tracebacks.append(line[:300])  # the exception that ended it
                    in_traceback = False

    def run(self) -> int:
        results: list[Result] = []
        started = time.monotonic()
        try:
            seeded = self.prepare()
            # The principals run side by side, each with its own server and database (2
            # cores: Schemathesis and the server take turns; one Schemathesis worker each,
            # since Hypothesis' source inspection is not thread-safe on Python 3.11).
            with concurrent.futures.ThreadPoolExecutor(max_workers=self.args.parallel) as pool:
                futures = [pool.submit(self.run_principal, seeded, name) for name in self.args.principals]
                for future in concurrent.futures.as_completed(futures):
                    self.print_one(future.result())
                results = [f.result() for f in futures]
        finally:
            self.stop_all()
        self.print_summary(results, time.monotonic() - started)
        return 0 if results and all(r.ok for r in results) else 1

    # -- output -----------------------------------------------------------------

    def print_one(self, r: Result) -> None:
        cases = r.report.get("test_cases", {})
        log(f"{r.principal}: exit {r.exit_code} in {r.seconds:.0f}s, {r.requests} requests answered, "
            f"{cases.get('generated', '?')} test cases, {cases.get('unique_failures', '?')} unique failures, "
            f"{len(r.server_errors)} 5xx")

    def print_summary(self, results: list[Result], seconds: float) -> None:
        print("\n=== contract check summary ===")
        total_requests = sum(r.requests for r in results)
        total_failures = sum(f.get("count", 0) for r in results for f in r.failures)
        for r in results:
            cases = r.report.get("test_cases", {})
            statuses = ", ".join(f"{s}: {n}" for s, n in sorted(r.statuses.items()))
            print(f"\n{r.principal}: {'PASS' if r.ok else 'FAIL'} (schemathesis exit {r.exit_code}, {r.seconds:.0f}s)")
            print(f"  requests answered by the server: {r.requests} ({statuses})")
            print(f"  test cases: {cases.get('generated', '?')} generated, {cases.get('unique_failures', '?')} "
                  f"unique failures, {cases.get('errored', '?')} errored")
            for failure in r.failures:
                operations = failure.get("operations", [])
                shown = ", ".join(operations[:6]) + (f" and {len(operations) - 6} more" if len(operations) > 6 else "")
                print(f"  {failure.get('code')} {failure.get('title')}: {failure.get('count')} ({shown})")
            for error in r.report.get("errors", [])[:10]:
                print(f"  error: {json.dumps(error)[:300]}")
            if r.server_errors:
                print(f"  5xx answered ({len(r.server_errors)}): " + "; ".join(
                    f"{line} x{n}" for line, n in collections.Counter(r.server_errors).most_common(10)))
            for line, n in collections.Counter(r.tracebacks).most_common(10):
                print(f"  server traceback x{n}: {line}")
        print(f"\ncontract: {total_requests} requests, {total_failures} failures, "
              f"{sum(len(r.server_errors) for r in results)} 5xx, {len(results)} principals in {seconds:.0f}s; "
              f"details in {self.out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--principals", default=",".join(PRINCIPALS),
                        help="comma-separated, of %(default)s")
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("CONTRACT_MAX_EXAMPLES", 0)),
                        help="test cases per operation in every phase (default: scripts/schemathesis.toml's)")
    parser.add_argument("--workers", type=int, default=1, help="Schemathesis workers each (default: %(default)s)")
    parser.add_argument("--parallel", type=int, default=len(PRINCIPALS),
                        help="principals tested at once (default: %(default)s)")
    parser.add_argument("--server-workers", type=int, default=1,
                        help="gunicorn workers each (with 2 threads; default: %(default)s)")
    parser.add_argument("--max-response-time", type=float, default=10.0,
                        help="seconds; a slower answer is a failure (default: %(default)s)")
    parser.add_argument("--phases", default=os.environ.get("CONTRACT_PHASES", ""),
                        help="examples,coverage,fuzzing,stateful (default: all)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CONTRACT_SEED", 20261201)),
                        help="Schemathesis' seed (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per principal (default: %(default)s)")
    parser.add_argument("--out", default=str(ROOT / "instance" / "contract"), help="work and report folder")
    parser.add_argument("schemathesis_args", nargs="*",
                        help="more `schemathesis run` options, after --, e.g. -- --include-path-regex orders")
    args = parser.parse_args(argv)
    args.principals = [p for p in args.principals.split(",") if p]
    unknown = set(args.principals) - set(PRINCIPALS)
    if unknown:
        parser.error(f"unknown principals: {', '.join(sorted(unknown))}")
    return ContractCheck(args).run()


if __name__ == "__main__":
    sys.exit(main())
