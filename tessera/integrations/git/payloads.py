"""Each host's payloads read into one shape: pushes (with their commits), branches created or
deleted, pull requests (GitLab's merge requests) and their reviews. Anything else (ping, tags,
pipelines) reads as None and is acknowledged without effect."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tessera.errors import InvalidInput

ZERO_SHA = "0" * 40
_RAW_AUTHOR = re.compile(r"^\s*(?P<name>.*?)\s*<(?P<email>[^>]*)>\s*$")


@dataclass(frozen=True)
class Commit:
    sha: str
    message: str
    url: str | None
    author_name: str | None
    author_email: str | None
    timestamp: datetime | None


@dataclass(frozen=True)
class Push:
    repository: str
    repository_url: str | None
    branch: str
    created: bool = False
    deleted: bool = False
    commits: tuple[Commit, ...] = ()


@dataclass(frozen=True)
class PullRequest:
    repository: str
    repository_url: str | None
    number: int
    title: str
    body: str
    url: str | None
    # open | merged | declined
    state: str
    source_branch: str | None
    destination_branch: str | None
    author: str | None
    # The latest review, when the event is one: (reviewer, approved | changes_requested | commented | unapproved)
    review: tuple[str, str] | None = None
    # opened | updated | merged | declined | reopened | reviewed
    action: str = "updated"


Event = Push | PullRequest


@dataclass
class _Reader:
    """Reads nested keys of a payload; a value of the wrong type is a 400 naming where."""

    payload: dict
    path: list[str] = field(default_factory=list)

    def get(self, *keys: str, kind: type = str, required: bool = False) -> Any:
        value: Any = self.payload
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            if required:
                raise InvalidInput(f"The payload has no '{'.'.join(keys)}'.", field=".".join(keys))
            return None
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            raise InvalidInput(f"'{'.'.join(keys)}' in the payload is not {kind.__name__}.", field=".".join(keys))
        return value


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _branch(ref: str | None) -> str | None:
    if ref and ref.startswith("refs/heads/"):
        return ref[len("refs/heads/"):]
    return None


def _commits(entries: object, *, sha_key: str = "id") -> tuple[Commit, ...]:
    if not isinstance(entries, list):
        return ()
    found = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get(sha_key), str):
            continue
        author = entry.get("author") if isinstance(entry.get("author"), dict) else {}
        name, email = author.get("name"), author.get("email")
        raw = author.get("raw")
        if isinstance(raw, str) and (match := _RAW_AUTHOR.match(raw)):  # Bitbucket: "Name <email>"
            name, email = match["name"], match["email"]
        links = entry.get("links") if isinstance(entry.get("links"), dict) else {}
        url = entry.get("url") or (links.get("html") or {}).get("href")
        found.append(Commit(sha=entry[sha_key][:64], message=str(entry.get("message") or ""),
                            url=url if isinstance(url, str) else None,
                            author_name=name if isinstance(name, str) else None,
                            author_email=email if isinstance(email, str) and "@" in email else None,
                            timestamp=_time(entry.get("timestamp") or entry.get("date"))))
    return tuple(found)


def _github_like_pr(r: _Reader, action: str | None, review: tuple[str, str] | None) -> PullRequest:
    pr = _Reader(r.get("pull_request", kind=dict, required=True))
    if pr.get("merged", kind=bool):
        state = "merged"
    else:
        state = "open" if pr.get("state") == "open" else "declined"
    mapped = {"opened": "opened", "closed": state if state == "merged" else "declined", "reopened": "reopened"}
    return PullRequest(repository=r.get("repository", "full_name", required=True),
                       repository_url=r.get("repository", "html_url"),
                       number=pr.get("number", kind=int, required=True), title=pr.get("title") or "",
                       body=pr.get("body") or "", url=pr.get("html_url"), state=state,
                       source_branch=pr.get("head", "ref"), destination_branch=pr.get("base", "ref"),
                       author=pr.get("user", "login"), review=review,
                       action="reviewed" if review else mapped.get(action or "", "updated"))


def _github(event: str, payload: dict) -> Event | None:
    r = _Reader(payload)
    if event == "push":
        branch = _branch(r.get("ref"))
        if branch is None:
            return None  # a tag
        return Push(repository=r.get("repository", "full_name", required=True),
                    repository_url=r.get("repository", "html_url"), branch=branch,
                    created=bool(r.get("created", kind=bool)), deleted=bool(r.get("deleted", kind=bool)),
                    commits=_commits(payload.get("commits")))
    if event in ("create", "delete"):
        if r.get("ref_type") != "branch":
            return None
        return Push(repository=r.get("repository", "full_name", required=True),
                    repository_url=r.get("repository", "html_url"), branch=r.get("ref", required=True),
                    created=event == "create", deleted=event == "delete")
    if event == "pull_request":
        return _github_like_pr(r, r.get("action"), None)
    if event == "pull_request_review":
        state = (r.get("review", "state") or "commented").lower()
        return _github_like_pr(r, None, (r.get("review", "user", "login") or "", state))
    return None


def _gitea(event: str, payload: dict) -> Event | None:
    r = _Reader(payload)
    if event == "push":
        branch = _branch(r.get("ref"))
        if branch is None:
            return None
        return Push(repository=r.get("repository", "full_name", required=True),
                    repository_url=r.get("repository", "html_url"), branch=branch,
                    created=r.get("before") == ZERO_SHA, deleted=r.get("after") == ZERO_SHA,
                    commits=_commits(payload.get("commits")))
    if event in ("create", "delete"):
        return _github(event, payload)
    if event == "pull_request":
        return _github_like_pr(r, r.get("action"), None)
    if event.startswith("pull_request_review_"):  # _approved, _rejected, _comment
        kind = {"approved": "approved", "rejected": "changes_requested"}.get(event.rsplit("_", 1)[-1], "commented")
        return _github_like_pr(r, None, (r.get("sender", "login") or "", kind))
    return None


def _gitlab(event: str, payload: dict) -> Event | None:
    r = _Reader(payload)
    if event == "Push Hook":
        branch = _branch(r.get("ref"))
        if branch is None:
            return None
        return Push(repository=r.get("project", "path_with_namespace", required=True),
                    repository_url=r.get("project", "web_url"), branch=branch,
                    created=r.get("before") == ZERO_SHA, deleted=r.get("after") == ZERO_SHA,
                    commits=_commits(payload.get("commits")))
    if event == "Merge Request Hook":
        mr = _Reader(r.get("object_attributes", kind=dict, required=True))
        state = {"opened": "open", "merged": "merged"}.get(mr.get("state") or "", "declined")
        action = mr.get("action") or ""
        review = None
        if action in ("approved", "approval", "unapproved", "unapproval"):
            verdict = "approved" if action in ("approved", "approval") else "unapproved"
            review = (r.get("user", "username") or r.get("user", "name") or "", verdict)
        mapped = {"open": "opened", "merge": "merged", "close": "declined", "reopen": "reopened"}
        return PullRequest(repository=r.get("project", "path_with_namespace", required=True),
                           repository_url=r.get("project", "web_url"), number=mr.get("iid", kind=int, required=True),
                           title=mr.get("title") or "", body=mr.get("description") or "", url=mr.get("url"),
                           state=state, source_branch=mr.get("source_branch"),
                           destination_branch=mr.get("target_branch"), author=r.get("user", "username"),
                           review=review, action="reviewed" if review else mapped.get(action, "updated"))
    return None


def _bitbucket(event: str, payload: dict) -> Event | Push | list[Push] | None:
    r = _Reader(payload)
    repository, repository_url = r.get("repository", "full_name", required=True), r.get("repository", "links",
                                                                                          "html", "href")
    if event == "repo:push":
        pushes = []
        for change in r.get("push", "changes", kind=list) or []:
            if not isinstance(change, dict):
                continue
            ref = change.get("new") or change.get("old") or {}
            if not isinstance(ref, dict) or ref.get("type") not in ("branch", "named_branch"):
                continue
            pushes.append(Push(repository=repository, repository_url=repository_url, branch=str(ref.get("name")),
                               created=bool(change.get("created")), deleted=bool(change.get("closed")),
                               commits=_commits(change.get("commits"), sha_key="hash")))
        return pushes
    if event.startswith("pullrequest:"):
        pr = _Reader(r.get("pullrequest", kind=dict, required=True))
        state = {"OPEN": "open", "MERGED": "merged"}.get(pr.get("state") or "", "declined")
        verb = event.split(":", 1)[1]
        review = None
        if verb in ("approved", "unapproved", "changes_request_created"):
            verdict = {"approved": "approved", "unapproved": "unapproved"}.get(verb, "changes_requested")
            review = (r.get("actor", "display_name") or "", verdict)
        mapped = {"created": "opened", "fulfilled": "merged", "rejected": "declined"}
        return PullRequest(repository=repository, repository_url=repository_url,
                           number=pr.get("id", kind=int, required=True), title=pr.get("title") or "",
                           body=pr.get("description") or "", url=pr.get("links", "html", "href"), state=state,
                           source_branch=pr.get("source", "branch", "name"),
                           destination_branch=pr.get("destination", "branch", "name"),
                           author=pr.get("author", "display_name"), review=review,
                           action="reviewed" if review else mapped.get(verb, "updated"))
    return None


_READERS = {"github": _github, "gitea": _gitea, "gitlab": _gitlab, "bitbucket": _bitbucket}


def read_events(provider: str, event: str, payload: object) -> list[Event]:
    """The events a delivery carries (a Bitbucket push may change several branches)."""
    if not isinstance(payload, dict):
        raise InvalidInput("The payload is not a JSON object.")
    found = _READERS[provider](event, payload)
    if found is None:
        return []
    return found if isinstance(found, list) else [found]
