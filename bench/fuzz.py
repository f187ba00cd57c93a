"""Fuzz /v2 and /rest of a real `tessera serve` from their OpenAPI documents with schemathesis,
counting requests sent, 5xx answers and answers that break the document (a status it does not
list, a body its schema refuses), per API. Target: 0 5xx in at least 50,000 requests per API.

    # a fresh server on a fresh database (the usual way):
    .venv/bin/python bench/fuzz.py --backend sqlite --requests 50000
    .venv/bin/python bench/fuzz.py --backend postgres --requests 50000
    # a short smoke run:
    .venv/bin/python bench/fuzz.py --backend sqlite --requests 2000 --label sqlite-smoke
    # or a running server (an API token of an organization admin):
    .venv/bin/python bench/fuzz.py --url http://127.0.0.1:8000 --token tsr_... --requests 5000

The run goes in rounds. Each round makes fresh data (a project, issues, a comment, a worklog,
links, an attachment, a filter, a board, a sprint, a component...) so that path parameters
name real rows, then sends, for every operation of each API, cases generated from its schema:
valid ones and invalid ones with those real path values, and valid ones with generated path
values. Deletes come last in a round. Rounds go on until each API has had --requests requests.
The run authenticates with its own token and never aims a generated id at that token or at the
admin (token and user ids stay fixed), so nothing it sends can lock it out.

Every answer is checked as the test suite checks it (tests/api/fuzzing.py): schemathesis'
not_a_server_error, status_code_conformance and response_schema_conformance. The first few
failures of each kind are written to the report with a curl command to replay them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.reporting import with_reporter
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import (  # noqa: E402
    create_org,
    free_port,
    fresh_database,
    start_server,
    stop_server,
    tessera,
)

RESULTS = Path(__file__).parent / "results"
TARGET_REQUESTS = 50_000
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
ALWAYS_FIXED = {"token_id", "user_id"}
EXAMPLES_KEPT = 5


@dataclass
class ApiTally:
    requests: int = 0
    refused_by_client: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    by_operation: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def keep(self, kind: str, text: str) -> None:
        kept = self.examples.setdefault(kind, [])
        if len(kept) < EXAMPLES_KEPT:
            kept.append(text)

    def summary(self) -> dict:
        return {"requests": self.requests, "refused_by_client": self.refused_by_client,
                "server_errors": self.failures["5xx"], "schema_violations": self.failures["schema violation"],
                "undocumented_statuses": self.failures["undocumented status"],
                "statuses": dict(sorted((str(k), v) for k, v in self.statuses.items())),
                "failing_operations": dict(self.by_operation.most_common(20)), "examples": self.examples,
                "seconds": round(self.seconds, 1),
                "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else None}


# -- data for the path parameters --------------------------------------------------------------------

class World:
    """Fresh rows for one round, made over HTTP with the admin token."""

    def __init__(self, http: requests.Session, url: str, token: str, round_number: int) -> None:
        self.http, self.url = http, url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.round = round_number

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = self.http.post(self.url + path, json=body, headers={**self.headers, **kwargs.pop("headers", {})},
                                  timeout=60, **kwargs)
        if response.status_code not in (200, 201):
            raise SystemExit(f"setting up data: POST {path} -> {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    def make(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
        """(path values for /v2, path values for /rest, the run's own auth headers)."""
        key = f"FZ{self.round}{os.getpid() % 1000}"[:10]
        project = self.post("/v2/projects", {"key": key, "name": f"Fuzz {self.round}"})
        component = self.post(f"/v2/projects/{project['id']}/components", {"name": "Backend"})
        self.post(f"/v2/projects/{project['id']}/versions", {"name": "1.0"})
        field_ = self.post("/v2/fields", {"name": f"Severity {self.round}", "field_type": "select",
                                          "options": ["S1", "S2"]})
        epic = self.post("/v2/issues", {"project_id": project["id"], "issue_type": "Epic", "summary": "Epic"})
        story = self.post("/v2/issues", {"project_id": project["id"], "issue_type": "Story", "summary": "Story",
                                         "parent_id": epic["id"]})
        link = self.post("/v2/issue-links", {"type": "relates", "outward_issue": story["id"],
                                             "inward_issue": epic["id"]})
        self.post("/v2/myself/tokens", {"name": "spare"})
        run_token = self.post("/v2/myself/tokens", {"name": f"fuzz-{self.round}"})["api_token"]
        tokens = self.http.get(f"{self.url}/v2/myself/tokens", headers=self.headers, timeout=60).json()["tokens"]
        spare = [t for t in tokens if t["name"] == "spare" and not t["revoked"]][-1]
        user = self.post("/v2/users", {"email": f"fuzz{self.round}-{os.getpid()}@example.test",
                                       "name": "Fuzz member", "role": "member"})
        workflow = self.http.get(f"{self.url}/v2/workflows", headers=self.headers, timeout=60).json()["workflows"][0]
        scheme = self.http.get(f"{self.url}/v2/workflow-schemes", headers=self.headers,
                               timeout=60).json()["workflow_schemes"][0]
        saved = self.post("/v2/filters", {"name": f"Fuzz filter {self.round}", "jql": f"project = {key}"})
        comment = self.post(f"/v2/issues/{story['id']}/comments", {"body": "Fuzz **comment**"})
        attached = self.post(f"/v2/issues/{story['id']}/attachments",
                             files=[("file", ("fuzz.txt", b"fuzz", "text/plain"))])
        board = self.post("/v2/boards", {"name": "Fuzz board", "project_id": project["id"], "filter_id": saved["id"]})
        sprint = self.post(f"/v2/boards/{board['id']}/sprints", {"name": "Fuzz sprint"})
        dashboard = self.post("/v2/dashboards", {"name": "Fuzz dashboard", "layout": {"gadgets": [
            {"type": "pie_chart", "config": {"filter_id": saved["id"], "field": "status"}},
            {"type": "activity_stream"}]}})
        worklog = self.post(f"/rest/api/2/issue/{story['key']}/worklog", {"timeSpent": "1h"})
        self.post(f"/rest/api/2/issue/{story['key']}/remotelink", {"object": {"url": "https://example.com",
                                                                               "title": "Example"}})
        v2 = {"scheme_id": scheme["id"], "filter_id": saved["id"], "issue_id": story["id"], "project_id": project["id"],
              "part_id": component["id"], "user_id": user["id"], "token_id": spare["id"],
              "field_id": field_["numeric_id"], "link_id": link["id"], "workflow_id": workflow["id"],
              "transition_id": "11", "role": "developers", "comment_id": comment["id"],
              "attachment_id": attached[0]["id"], "board_id": board["id"], "sprint_id": sprint["id"],
              "dashboard_id": dashboard["id"]}
        rest = {"project_ref": key, "type_ref": "Task", "issue_ref": story["key"], "comment_id": comment["id"],
                "worklog_id": worklog["id"], "type_id": "10000", "link_id": str(link["id"]),
                "attachment_id": attached[0]["id"], "filter_id": saved["id"], "ref": "1", "role_id": "10002",
                "part_id": component["id"], "board_ref": board["id"], "sprint_ref": sprint["id"],
                "epic_ref": epic["key"]}
        return v2, rest, {"Authorization": f"Bearer {run_token}"}


# -- fuzzing ------------------------------------------------------------------------------------------

def load_operations(http: requests.Session, url: str, document: str) -> list[Any]:
    schema = schemathesis.openapi.from_dict(http.get(url + document, timeout=60).json())
    found = [result.ok() for result in schema.get_all_operations()]
    return sorted(found, key=lambda op: (op.method.upper() == "DELETE", op.path, op.method))


def fuzz_operation(operation: Any, *, http: requests.Session, url: str, headers: dict[str, str],
                   fixed: dict[str, Any], mode: GenerationMode, examples: int, tally: ApiTally) -> None:
    strategy = operation.as_strategy(mode, path_parameters=fixed or None, headers=dict(headers))

    @settings(max_examples=examples, database=None, deadline=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        case.headers = {**(case.headers or {}), **headers}
        try:
            response = case.call(base_url=url, session=http, timeout=60)
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader, UnicodeError, ValueError):
            tally.refused_by_client += 1  # the client library will not send it: nothing reached the server
            return
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            kinds = dict.fromkeys(_kind_of(failure) for failure in group.exceptions)
            if "5xx" in kinds:
                kinds.pop("undocumented status", None)  # a 500 is never documented: counted once, as a 5xx
            for kind in kinds:
                failure = next(f for f in group.exceptions if _kind_of(f) == kind)
                tally.failures[kind] += 1
                tally.by_operation[f"{operation.label}: {kind}"] += 1
                tally.keep(kind, f"{operation.label} -> {response.status_code}: "
                                 f"{str(getattr(failure, 'message', failure))[:400]}\n{case.as_curl_command()[:600]}")

    try:
        with with_reporter(lambda _: None):  # hypothesis would print a seed for each unsatisfiable plan
            run()
    except Unsatisfiable:
        pass  # nothing to negate (no parameters, no body): the valid cases cover it


def _kind_of(failure: BaseException) -> str:
    title = str(getattr(failure, "title", type(failure).__name__)).lower()
    if "server error" in title:
        return "5xx"
    if "status code" in title:
        return "undocumented status"
    if "schema" in title:
        return "schema violation"
    return title


def fuzz_round(operations: list[Any], *, http: requests.Session, url: str, headers: dict[str, str],
               values: dict[str, Any], per_operation: int, tally: ApiTally) -> None:
    started = time.monotonic()
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        fixed = {name: values[name] for name in names if name in values}
        plans = [(GenerationMode.POSITIVE, fixed), (GenerationMode.NEGATIVE, fixed)]
        if names and operation.method.upper() != "DELETE":
            plans.append((GenerationMode.POSITIVE, {n: v for n, v in fixed.items() if n in ALWAYS_FIXED}))
        for mode, path_values in plans:
            fuzz_operation(operation, http=http, url=url, headers=headers, fixed=path_values, mode=mode,
                           examples=max(1, per_operation // len(plans)), tally=tally)
    tally.seconds += time.monotonic() - started


# -- server ---------------------------------------------------------------------------------------------

@contextmanager
def target_server(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Iterator[tuple[str, str]]:
    if args.url:
        if not args.token:
            parser.error("--url needs --token")
        yield args.url.rstrip("/"), args.token
        return
    with tempfile.TemporaryDirectory(prefix="tessera-fuzz-") as directory:
        database_url = fresh_database(args.backend, args.postgres_url, args.database_name, directory)
        tessera("migrate", "--database-url", database_url)
        token = create_org(database_url)
        port = free_port()
        os.environ["TESSERA_ATTACHMENTS_DIR"] = str(Path(directory) / "attachments")
        server = start_server(database_url, port, args.workers)
        try:
            # Nothing here measures limits: the run's organization is not capped.
            key = requests.get(f"http://127.0.0.1:{port}/v2/myself", headers={"Authorization": f"Bearer {token}"},
                               timeout=60).json()["organization_key"]
            tessera("set-limits", key, "--searches-per-hour", "100000000", "--max-users", "1000000",
                    "--storage-mb", "100000", "--database-url", database_url)
            yield f"http://127.0.0.1:{port}", token
        finally:
            stop_server(server)


def run(args: argparse.Namespace, url: str, token: str) -> dict[str, ApiTally]:
    http = requests.Session()
    documents = {"v2": "/v2/openapi.json", "rest": "/rest/openapi.json"}
    operations = {api: load_operations(http, url, path) for api, path in documents.items()}
    tallies = {api: ApiTally() for api in documents}
    round_number = 0
    while any(t.requests < args.requests for t in tallies.values()) and round_number < args.max_rounds:
        round_number += 1
        v2_values, rest_values, headers = World(http, url, token, round_number).make()
        for api, values in (("v2", v2_values), ("rest", rest_values)):
            tally = tallies[api]
            missing = args.requests - tally.requests
            if missing <= 0:
                continue
            # ~2.5 plans per operation; hypothesis sends fewer when an operation has few distinct cases.
            per_operation = max(2, math.ceil(missing / len(operations[api])))
            fuzz_round(operations[api], http=http, url=url, headers=headers, values=values,
                       per_operation=min(per_operation, args.examples_cap), tally=tally)
            print(f"round {round_number} {api}: {tally.requests:,} requests, {tally.failures['5xx']} 5xx, "
                  f"{tally.failures['schema violation']} schema violations, "
                  f"{tally.failures['undocumented status']} undocumented statuses", flush=True)
    return tallies


def render(result: dict) -> str:
    title = f"# Fuzzing /v2 and /rest: {result['backend']}"
    if result["smoke"]:
        title += f" (smoke run: {result['requested']:,} requests per API; the target needs >= {TARGET_REQUESTS:,})"
    lines = [title, "", f"{result['when']} on {result['machine']}; server started by the script: "
             f"{result['server_started']}; schemathesis {result['schemathesis']}.", "",
             "| API | requests | 5xx | schema violations | undocumented statuses | requests/s | target met |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for api, tally in result["apis"].items():
        met = tally["server_errors"] == 0 and tally["requests"] >= TARGET_REQUESTS
        lines.append(f"| /{api} | {tally['requests']:,} | {tally['server_errors']} | {tally['schema_violations']} | "
                     f"{tally['undocumented_statuses']} | {tally['requests_per_second']} | "
                     f"{'yes' if met else 'no (too few requests)' if tally['server_errors'] == 0 else 'NO'} |")
    for api, tally in result["apis"].items():
        lines += ["", f"## /{api}", "", "Statuses: " + ", ".join(f"{k}: {v:,}" for k, v in tally["statuses"].items())]
        if tally["failing_operations"]:
            lines += ["", "| operation: failure | count |", "|---|---:|"]
            lines += [f"| {name} | {count} |" for name, count in tally["failing_operations"].items()]
        for kind, examples in tally["examples"].items():
            lines += ["", f"### {kind}", ""] + [f"```\n{example}\n```" for example in examples]
    if result.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="target a running server instead of starting one")
    parser.add_argument("--token", help="with --url: an API token of an organization admin")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="tessera_fuzz")
    parser.add_argument("--requests", type=int, default=TARGET_REQUESTS, help="per API")
    parser.add_argument("--examples-cap", type=int, default=100, help="most cases per operation and round")
    parser.add_argument("--max-rounds", type=int, default=1000)
    parser.add_argument("--label", default=None, help="results file suffix (default: the backend)")
    parser.add_argument("--note", action="append", default=[], help="a line for the report")
    args = parser.parse_args()
    with target_server(args, parser) as (url, token):
        tallies = run(args, url, token)
    result = {"backend": args.backend, "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared by server and fuzzer)",
              "server_started": not args.url, "schemathesis": schemathesis.__version__,
              "requested": args.requests, "smoke": args.requests < TARGET_REQUESTS, "target_requests": TARGET_REQUESTS,
              "apis": {api: tally.summary() for api, tally in tallies.items()}, "notes": args.note}
    RESULTS.mkdir(parents=True, exist_ok=True)
    label = args.label or args.backend
    (RESULTS / f"fuzz-{label}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"fuzz-{label}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()
