"""Payloads shaped as each host sends them (after the hosts' published examples and the
go-playground/webhooks testdata), with the headers each host adds, signed the host's way."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

SHA_A, SHA_B = "a1" * 20, "b2" * 20


def github_push(message: str, *, sha: str = SHA_B, email: str = "ada@example.com", branch: str = "main") -> dict:
    return {"ref": f"refs/heads/{branch}", "before": SHA_A, "after": sha, "created": False, "deleted": False,
            "forced": False, "compare": f"https://github.com/acme/web/compare/{SHA_A[:12]}...{sha[:12]}",
            "commits": [{"id": sha, "tree_id": "c3" * 20, "distinct": True, "message": message,
                         "timestamp": "2025-01-01T10:00:00+01:00", "url": f"https://github.com/acme/web/commit/{sha}",
                         "author": {"name": "Ada", "email": email, "username": "ada"},
                         "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
                         "added": [], "removed": [], "modified": ["README.md"]}],
            "head_commit": {"id": sha}, "repository": {"id": 1, "name": "web", "full_name": "acme/web",
                                                       "html_url": "https://github.com/acme/web"},
            "pusher": {"name": "ada", "email": email}, "sender": {"login": "ada", "id": 1}}


def github_pull_request(action: str, title: str, *, merged: bool = False, number: int = 7) -> dict:
    state = "closed" if action == "closed" else "open"
    return {"action": action, "number": number,
            "pull_request": {"id": 1000 + number, "number": number, "state": state, "locked": False, "title": title,
                             "user": {"login": "ada"}, "body": "Fixes the login.",
                             "html_url": f"https://github.com/acme/web/pull/{number}", "draft": False,
                             "merged": merged, "merged_at": "2025-01-02T00:00:00Z" if merged else None,
                             "head": {"ref": "feature/login", "sha": SHA_B}, "base": {"ref": "main", "sha": SHA_A}},
            "repository": {"id": 1, "name": "web", "full_name": "acme/web",
                           "html_url": "https://github.com/acme/web"},
            "sender": {"login": "ada"}}


def gitlab_push(message: str, *, sha: str = SHA_B, email: str = "ada@example.com") -> dict:
    return {"object_kind": "push", "event_name": "push", "before": SHA_A, "after": sha, "ref": "refs/heads/main",
            "checkout_sha": sha, "user_id": 4, "user_name": "Ada", "user_username": "ada", "user_email": "",
            "project_id": 15, "project": {"id": 15, "name": "web", "path_with_namespace": "acme/web",
                                          "web_url": "https://gitlab.example/acme/web"},
            "commits": [{"id": sha, "message": message, "title": message.splitlines()[0],
                         "timestamp": "2025-01-01T09:00:00Z", "url": f"https://gitlab.example/acme/web/-/commit/{sha}",
                         "author": {"name": "Ada", "email": email}, "added": [], "modified": [], "removed": []}],
            "total_commits_count": 1, "repository": {"name": "web", "homepage": "https://gitlab.example/acme/web"}}


def gitlab_merge_request(action: str, title: str, *, state: str = "opened", iid: int = 3) -> dict:
    return {"object_kind": "merge_request", "event_type": "merge_request",
            "user": {"id": 1, "name": "Ada", "username": "ada"},
            "project": {"id": 15, "path_with_namespace": "acme/web", "web_url": "https://gitlab.example/acme/web"},
            "object_attributes": {"id": 99, "iid": iid, "title": title, "description": "", "state": state,
                                  "action": action, "source_branch": "feature/x", "target_branch": "main",
                                  "url": f"https://gitlab.example/acme/web/-/merge_requests/{iid}"},
            "labels": [], "changes": {}}


def bitbucket_push(message: str, *, sha: str = SHA_B, branch: str = "main") -> dict:
    return {"actor": {"display_name": "Ada"},
            "repository": {"full_name": "acme/web", "type": "repository",
                           "links": {"html": {"href": "https://bitbucket.org/acme/web"}}},
            "push": {"changes": [{"new": {"type": "branch", "name": branch, "target": {"hash": sha}},
                                  "old": {"type": "branch", "name": branch, "target": {"hash": SHA_A}},
                                  "created": False, "closed": False, "forced": False, "truncated": False,
                                  "commits": [{"hash": sha, "type": "commit", "message": message,
                                               "date": "2025-01-01T08:00:00+00:00",
                                               "author": {"raw": "Ada <ada@example.com>"},
                                               "links": {"html": {"href": f"https://bitbucket.org/acme/web/commits/{sha}"}}}]}]}}


def bitbucket_pull_request(title: str, *, state: str = "OPEN", pr_id: int = 5) -> dict:
    return {"actor": {"display_name": "Ada"},
            "repository": {"full_name": "acme/web", "links": {"html": {"href": "https://bitbucket.org/acme/web"}}},
            "pullrequest": {"id": pr_id, "title": title, "description": "", "state": state,
                            "author": {"display_name": "Ada"}, "source": {"branch": {"name": "feature/y"}},
                            "destination": {"branch": {"name": "main"}},
                            "links": {"html": {"href": f"https://bitbucket.org/acme/web/pull-requests/{pr_id}"}}}}


def gitea_push(message: str, *, sha: str = SHA_B) -> dict:
    return {"ref": "refs/heads/main", "before": SHA_A, "after": sha,
            "compare_url": f"https://gitea.example/acme/web/compare/{SHA_A}...{sha}",
            "commits": [{"id": sha, "message": message, "url": f"https://gitea.example/acme/web/commit/{sha}",
                         "author": {"name": "Ada", "email": "ada@example.com", "username": "ada"},
                         "committer": {"name": "Ada", "email": "ada@example.com", "username": "ada"},
                         "timestamp": "2025-01-01T07:00:00Z", "added": [], "removed": [], "modified": []}],
            "head_commit": {"id": sha}, "repository": {"id": 1, "full_name": "acme/web",
                                                       "html_url": "https://gitea.example/acme/web"},
            "pusher": {"login": "ada", "email": "ada@example.com"}, "sender": {"login": "ada"}}


def signed(provider: str, secret: str, event: str, payload: dict, *, delivery: str | None = None,
           wrong: bool = False) -> tuple[bytes, dict[str, str]]:
    """The body and the headers the host sends; `wrong` signs with another secret."""
    body = json.dumps(payload).encode()
    key = (secret + "x" if wrong else secret).encode()
    digest = hmac.new(key, body, hashlib.sha256).hexdigest()
    delivery = delivery or str(uuid.uuid4())
    headers = {"Content-Type": "application/json"}
    if provider == "github":
        headers |= {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": f"sha256={digest}",
                    "User-Agent": "GitHub-Hookshot/abc"}
    elif provider == "gitlab":
        headers |= {"X-Gitlab-Event": event, "X-Gitlab-Event-UUID": delivery, "X-Gitlab-Token": key.decode()}
    elif provider == "bitbucket":
        headers |= {"X-Event-Key": event, "X-Request-UUID": delivery, "X-Hook-UUID": str(uuid.uuid4()),
                    "X-Hub-Signature": f"sha256={digest}"}
    else:
        headers |= {"X-Gitea-Event": event, "X-Gitea-Delivery": delivery, "X-Gitea-Signature": digest}
    return body, headers


def signed_raw(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
