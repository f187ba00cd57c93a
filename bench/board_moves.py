"""Board moves in the browser: how long a card move takes from the moment the page posts it to
the moment the server's answer is applied (static/board.js records it on the board), for moves
to the next column (the workflow transition runs) and within a column (rank), made with the
keyboard as a person would, in headless Chromium against a real `tessera serve` (SQLite).

    .venv/bin/python bench/board_moves.py [--cards 30] [--moves 60]

The page's own live refresh after each move is awaited before the next one (people do not move
a card every few milliseconds). Also reported: the wall time from the key press to the
announcement, as seen from the test driver (includes Playwright's round trips).
Results: bench/results/board_moves.json and .md. Target: P95 < 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.factories.ports import free_port  # noqa: E402

RESULTS = Path(__file__).parent / "results"
TESSERA = Path(sys.executable).with_name("tessera")
CHROMIUM = "/usr/bin/chromium"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share + 0.5) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {"count": len(values), "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 0.95), 1), "max_ms": round(max(values), 1)}


def measure(url: str, email: str, password: str, board_id: int, key: str, moves: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    timings: dict[str, list[float]] = {"column": [], "rank": [], "column_wall": [], "rank_wall": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{url}/signin")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/projects")
        page.goto(f"{url}/boards/{board_id}")
        page.wait_for_selector("#board-body[data-live=connected]", state="attached")
        body = page.locator("#board-body")
        keys = ["Shift+ArrowRight", "Shift+ArrowLeft", "Shift+ArrowDown", "Shift+ArrowUp"]
        for index in range(moves):
            press = keys[index % len(keys)]
            kind = "column" if press.endswith(("Right", "Left")) else "rank"
            done, refreshed = int(body.get_attribute("data-moves") or 0), body.get_attribute("data-refreshed")
            page.locator(f"#card-{key}").focus()
            started = time.perf_counter()
            page.keyboard.press(press)
            page.wait_for_function(f"() => document.getElementById('board-body').dataset.moves === '{done + 1}'")
            timings[f"{kind}_wall"].append((time.perf_counter() - started) * 1000)
            timings[kind].append(float(body.get_attribute("data-last-move-ms") or "nan"))
            page.wait_for_function(  # the live refresh that follows the move
                f"() => (document.getElementById('board-body').dataset.refreshed ?? null) !== {json.dumps(refreshed)}")
        browser.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=30)
    parser.add_argument("--moves", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        database_url = f"sqlite:///{directory}/board.db"
        org, password = f"BM{uuid.uuid4().hex[:6].upper()}", "board-bench-password"
        email = f"a@{org.lower()}.test"
        out = subprocess.run([str(TESSERA), "create-org", org, "--name", "Board bench", "--admin-email", email,
                              "--admin-password", password, "--admin-name", "Ada", "--json",
                              "--database-url", database_url], capture_output=True, text=True, check=True)
        headers = {"Authorization": f"Bearer {json.loads(out.stdout.strip().splitlines()[-1])['api_token']}"}
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([str(TESSERA), "serve", "--port", str(port), "--database-url", database_url],
                                  env={**os.environ, "TESSERA_LOG_LEVEL": "WARNING"},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
                client.post("/v2/projects", json={"key": "BM", "name": "Bench"}).raise_for_status()
                issues = [client.post("/v2/issues", json={"project_id": "BM", "issue_type": "Task",
                                                          "summary": f"Card {n}"}).json() for n in range(args.cards)]
                board = client.post("/v2/boards", json={"name": "Bench", "type": "kanban", "project_id": "BM"}).json()
            timings = measure(url, email, password, board["id"], issues[1]["key"], args.moves)
        finally:
            server.terminate()
            server.wait(timeout=10)
    result = {"cards": args.cards, "moves": args.moves, "database": "sqlite",
              **{kind: summary(values) for kind, values in timings.items()},
              "all_moves": summary(timings["column"] + timings["rank"]), "load_average": os.getloadavg()}
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "board_moves.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = "\n".join(f"| {kind} | {result[kind]['count']} | {result[kind]['p50_ms']} | {result[kind]['p95_ms']} | "
                     f"{result[kind]['max_ms']} |" for kind in ("column", "rank", "all_moves", "column_wall",
                                                                 "rank_wall"))
    (RESULTS / "board_moves.md").write_text(
        "# Board moves in the browser (bench/board_moves.py)\n\n"
        f"{args.cards} cards, {args.moves} keyboard moves, SQLite, headless Chromium; load average "
        f"{', '.join(f'{x:.1f}' for x in result['load_average'])} on 2 cores shared with other work.\n"
        "`column`/`rank`: from the post leaving the page to the answer applied (the target, P95 < 150 ms); "
        "`*_wall`: key press to announcement as the driver sees it.\n\n"
        "| moves | count | P50 ms | P95 ms | max ms |\n|---|---|---|---|---|\n" + rows + "\n")


if __name__ == "__main__":
    main()
