"""Email-to-issue latency: from handing a message to `tessera mail-in` over SMTP until the API
serves the issue it created.

    .venv/bin/python bench/mail_in.py [--mails 200] [--postgres]

Set-up: a fresh database (a SQLite file, or a new PostgreSQL database with --postgres), an
organization made with `tessera create-org`, `tessera serve` and `tessera mail-in` as separate
processes on 127.0.0.1 (as deployed), and a project MAIL. Each mail is a realistic support
message (a quoted reply and a signature to strip, a 20 KiB PNG attachment every fifth one) sent
with smtplib on a new connection, as a relay delivers; the clock starts before connecting and
stops when `GET /v2/issues/MAIL-n` first answers 200 (polled every 5 ms on a kept-alive HTTP
connection). Mails go one after another; 5 warm-up mails are not counted. Also reported: the
time until the listener's 250 (it answers only after the issue is committed).

Results: bench/results/mail_in-<backend>.json and .md. The machine has 2 cores shared with
other work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import httpx

RESULTS = Path(__file__).parent / "results"
TESSERA = Path(sys.executable).parent / "tessera"
WARM_UP = 5
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(20 * 1024)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def message(n: int, sender: str, to: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Admin <{sender}>"
    mail["To"] = to
    mail["Subject"] = f"Re: Checkout fails for order {1000 + n}"
    mail["Message-ID"] = f"<{uuid.uuid4().hex}@customer.test>"
    mail.set_content(f"The checkout page fails for order {1000 + n} with error 502 after the card step.\n\n"
                     "It started this morning; three customers reported it.\n\n-- \nAnn Admin\nSupport, ACME\n\n"
                     "On Mon, Jan 6, 2025 at 10:00 AM Tessera <tessera@localhost> wrote:\n> earlier text\n> more\n")
    if n % 5 == 0:
        mail.add_attachment(PNG, maintype="image", subtype="png", filename=f"screen-{n}.png")
    return mail.as_bytes(policy=mail.policy.clone(linesep="\r\n"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def wait_for(check, what: str, process: subprocess.Popen, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        try:
            check()
            return
        except (OSError, httpx.TransportError):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{what} did not start: {process.stderr.read() if process.stderr else ''}") from None
            time.sleep(0.1)


async def _pg(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=200)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tessera-bench-mail-"))
    if args.postgres:
        name = f"bench_mail_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
        database_url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    else:
        database_url = f"sqlite:///{workdir}/tessera.db"
    http_port, smtp_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(TESSERA_DATABASE_URL=database_url, TESSERA_BASE_URL=f"http://127.0.0.1:{http_port}",
               TESSERA_ATTACHMENTS_DIR=str(workdir / "attachments"), TESSERA_LOG_LEVEL="WARNING")
    created = json.loads(subprocess.run(
        [str(TESSERA), "create-org", "BENCH", "--name", "Bench", "--admin-email", "admin@bench.test",
         "--admin-password", "bench-password-1", "--json"], env=env, check=True, capture_output=True, text=True).stdout)
    headers = {"Authorization": f"Bearer {created['api_token']}"}
    server = subprocess.Popen([str(TESSERA), "serve", "--port", str(http_port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    mail_in = subprocess.Popen([str(TESSERA), "mail-in", "--port", str(smtp_port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        http = httpx.Client(base_url=f"http://127.0.0.1:{http_port}", headers=headers, timeout=30)
        wait_for(lambda: http.get("/v2/myself").raise_for_status(), "tessera serve", server)
        wait_for(lambda: smtplib.SMTP("127.0.0.1", smtp_port, timeout=5).quit(), "tessera mail-in", mail_in)
        http.post("/v2/projects", json={"key": "MAIL", "name": "Mail"}).raise_for_status()
        to = "bench-mail@127.0.0.1"
        accepted: list[float] = []
        visible: list[float] = []
        for n in range(1, WARM_UP + args.mails + 1):
            raw = message(n, "admin@bench.test", to)
            started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
                smtp.sendmail("admin@bench.test", [to], raw)
            answered = time.perf_counter()
            while http.get(f"/v2/issues/MAIL-{n}").status_code != 200:
                time.sleep(0.005)
            done = time.perf_counter()
            if n > WARM_UP:
                accepted.append((answered - started) * 1000)
                visible.append((done - started) * 1000)
        description = http.get(f"/v2/issues/MAIL-{WARM_UP + 1}").json()["description"]
    finally:
        for process in (mail_in, server):
            process.terminate()
            process.wait(timeout=60)
        if args.postgres:
            asyncio.run(_pg(f'DROP DATABASE "{name}"'))
    backend = "postgresql" if args.postgres else "sqlite"
    figures = {name: {"p50_ms": round(percentile(values, 0.5), 1), "p95_ms": round(percentile(values, 0.95), 1),
                      "p99_ms": round(percentile(values, 0.99), 1), "max_ms": round(max(values), 1),
                      "mean_ms": round(statistics.mean(values), 1)}
               for name, values in (("smtp_250", accepted), ("issue_in_api", visible))}
    result = {"benchmark": "mail_in", "backend": backend, "mails": args.mails, "attachments_every": 5,
              "figures": figures, "description_kept": description, "machine": platform.platform(),
              "cpus": os.cpu_count(), "python": platform.python_version()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"mail_in-{backend}.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = "\n".join(f"| {name} | {f['p50_ms']} | {f['p95_ms']} | {f['p99_ms']} | {f['max_ms']} |"
                     for name, f in figures.items())
    (RESULTS / f"mail_in-{backend}.md").write_text(
        f"# Email-to-issue latency ({backend})\n\n{args.mails} mails sent one after another with smtplib to "
        "`tessera mail-in` (one connection each; every fifth with a 20 KiB attachment), timed until "
        "`GET /v2/issues/MAIL-n` answers 200 from `tessera serve` (another process). 2 shared cores.\n\n"
        "| measure | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|\n" + rows + "\n\n"
        f"Description kept of the first mail: {description!r}\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
