"""Words and templates that demo and bulk data are written from.

Everything here is plain data plus a few pure functions that fill templates from a
`random.Random`, so the same seed always writes the same text. Nothing here touches a database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# -- people -------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Priya", "Marcus", "Sofia", "Kenji", "Amara", "Lukas", "Chloé", "Diego", "Hannah", "Tomasz", "Aisha",
    "Elliot", "Mei", "Rafael", "Ingrid", "Samuel", "Yara", "Oliver", "Nadia", "Jonas", "Leila", "Mateo",
    "Freya", "Arjun", "Zoe", "Henrik", "Camila", "Kwame", "Elena", "Felix", "Ayumi", "Gabriel", "Rosa",
    "Daniel", "Maya", "Viktor", "Noor", "Theo", "Lucía", "Emeka", "Clara", "Ravi", "Astrid", "Omar",
)
LAST_NAMES = (
    "Patel", "Okafor", "Lindqvist", "Tanaka", "Mensah", "Becker", "Dubois", "Fernández", "Kowalski", "Haddad",
    "Nguyen", "Schmidt", "Rossi", "Andersen", "Costa", "O'Brien", "Yamamoto", "Novak", "Silva", "Khan",
    "Müller", "García", "Jensen", "Ibrahim", "Moreau", "Park", "Larsen", "Santos", "Weber", "Chen",
)

# -- products -----------------------------------------------------------------------------------

BROWSERS = ("Safari 17", "Chrome 124", "Firefox 125", "Edge 123", "Safari on iOS 17.4", "Chrome on Android 14")
DEVICES = ("iPhone 15", "iPhone SE", "Pixel 8", "Galaxy S23", "iPad Air", "OnePlus 11")
MOBILE_OS = ("iOS 17.4", "iOS 16.7", "Android 14", "Android 13")
SCREENS = ("login page", "checkout page", "dashboard", "settings page", "search results", "profile page",
           "onboarding flow", "order history", "notification centre", "billing page", "admin console")
ELEMENTS = ("Login button", "Save button", "Date picker", "Search box", "Navigation menu", "Avatar upload",
            "Password reset link", "Cart badge", "Language switcher", "Pagination control", "Filter dropdown",
            "Export to CSV button", "Dark mode toggle", "Cookie banner", "Sidebar", "Modal close icon")
WEB_SYMPTOMS = ("unresponsive", "misaligned", "not rendered", "flickers", "shows the wrong label",
                "ignores keyboard input", "overlaps the footer", "is cut off", "loses its state after reload",
                "throws a console error")
ENDPOINTS = ("/v1/orders", "/v1/users/{id}", "/v1/payments", "/v1/search", "/v1/invoices", "/v1/sessions",
             "/v1/webhooks", "/v1/reports/export", "/v1/inventory", "/v1/notifications")
API_SYMPTOMS = ("returns 500 when the body is empty", "times out under load", "ignores the page size",
                "leaks a database connection", "returns stale data after an update",
                "accepts an expired token", "sorts by the wrong field", "double-charges on retry",
                "drops the Content-Type header", "is missing rate-limit headers")
SERVICES = ("billing service", "auth service", "notification worker", "search indexer", "order pipeline",
            "reporting job", "image resizer", "email sender", "audit log writer", "cache warmer")
MOBILE_FEATURES = ("push notifications", "offline mode", "biometric login", "photo picker", "deep links",
                   "in-app purchase", "background sync", "map view", "share sheet", "home-screen widget")
MOBILE_SYMPTOMS = ("crashes on launch", "drains the battery", "freezes after rotation", "shows a blank screen",
                   "fails silently", "duplicates entries", "ignores the system font size",
                   "stops after backgrounding")
DEPENDENCIES = (("React", "18.3"), ("Django", "5.0"), ("PostgreSQL", "16"), ("Node.js", "20 LTS"),
                ("Kotlin", "1.9"), ("Swift", "5.10"), ("Terraform", "1.8"), ("OpenSSL", "3.2"),
                ("Redis", "7.2"), ("Webpack", "5.91"), ("Gradle", "8.7"), ("Python", "3.12"))
PERSONAS = ("shopper", "store owner", "support agent", "new user", "finance admin", "team lead",
            "returning customer", "warehouse operator", "account owner", "guest visitor")
CAPABILITIES = ("save a search and get alerts for it", "export my invoices as PDF", "sign in with a passkey",
                "see my order status on the home screen", "invite teammates by email",
                "reorder a previous purchase in one tap", "filter reports by region",
                "set quiet hours for notifications", "recover my account without support",
                "pay with Apple Pay", "compare two plans side by side", "bulk-edit product prices",
                "see an audit trail of account changes", "schedule a report every Monday",
                "switch the interface language", "upload a profile photo from the camera")
BENEFITS = ("I don't miss new listings", "I can file them with my accountant", "I never type a password",
            "I know when to expect delivery", "we can onboard faster", "I save time on repeat orders",
            "I can compare markets", "I'm not woken up at night", "I don't have to wait for support",
            "checkout is faster", "I can pick the right plan", "seasonal updates take minutes",
            "we pass the security audit", "managers get numbers without asking")
OPS_SUBJECTS = ("Q3 vendor contract renewal", "office move to the 4th floor", "SOC 2 evidence collection",
                "laptop refresh for the sales team", "new-hire onboarding checklist",
                "annual penetration test", "travel policy update", "on-call rota for the holidays",
                "customer advisory board meeting", "budget review for the platform team",
                "GDPR data retention review", "conference booth for DevWeek")
OPS_VERBS = ("Prepare", "Review", "Organise", "Finalise", "Collect quotes for", "Schedule", "Document",
             "Sign off", "Coordinate", "Plan")
EPIC_THEMES = ("Checkout redesign", "Passwordless sign-in", "Performance budget", "Accessibility audit fixes",
               "Internationalisation", "Offline-first mobile", "Public API v2", "Billing migration",
               "Observability and alerting", "Search relevance", "Onboarding revamp", "Admin reporting",
               "Compliance readiness", "Notification preferences")
SUBTASK_STEPS = ("Write unit tests", "Update the API documentation", "Add feature flag", "Review copy with design",
                 "Add analytics events", "Handle the error states", "Update the database migration",
                 "QA on staging", "Add monitoring dashboard", "Write the release note")
LABELS = ("frontend", "backend", "regression", "performance", "security", "accessibility", "ux", "tech-debt",
          "customer-reported", "flaky-test", "i18n", "payments", "mobile", "infra", "quick-win", "needs-design")
COMMENTS = (
    "I can reproduce this on staging with a fresh account.",
    "Looks related to the change we shipped last sprint; checking the diff now.",
    "Could we get a HAR file or the request id from the logs?",
    "Pushed a fix to a branch, PR is up for review.",
    "Verified on the latest build, works for me now.",
    "This affects roughly 3% of sessions according to the dashboard.",
    "Moving this to the next sprint, we ran out of capacity.",
    "Design signed off on the new layout, attaching the final mock-ups.",
    "Added a regression test so this doesn't come back.",
    "Customer confirmed the workaround helps while we fix it properly.",
    "Root cause: a race between the cache refresh and the write path.",
    "Please double-check the Android behaviour before we close this.",
    "Discussed in stand-up: we'll split this into two smaller tickets.",
    "Deployed to production at 14:20 UTC, monitoring error rates.",
    "Blocked until the vendor sends the updated certificate.",
    "Numbers look good after the change: p95 went from 840 ms to 210 ms.",
)
SEVERITIES = ("Critical", "Major", "Minor", "Trivial")


@dataclass(frozen=True)
class Text:
    summary: str
    description: str


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _steps(rng: random.Random, where: str, action: str) -> str:
    return (f"*Steps to reproduce*\n1. Sign in as a regular user.\n2. Open the {where}.\n3. {action}.\n\n"
            f"*Expected*\nThe page responds normally.\n\n*Actual*\nNothing happens; "
            f"{rng.choice(('no error is shown', 'the console shows a TypeError', 'a spinner never stops'))}.\n\n"
            f"Seen in {rng.randint(2, 40)} support tickets this week.")


def bug_text(rng: random.Random, area: str) -> Text:
    """A bug report for a project area: "web", "api", "mobile" or anything else (generic)."""
    if area == "api":
        endpoint = rng.choice(ENDPOINTS)
        symptom = rng.choice(API_SYMPTOMS)
        return Text(f"{endpoint} {symptom}",
                    f"*Steps to reproduce*\n1. Call `{endpoint}` with a valid token.\n2. Repeat "
                    f"{rng.randint(2, 50)} times within a minute.\n\n*Expected*\nA 2xx response within the SLO.\n\n"
                    f"*Actual*\nThe endpoint {symptom}. Request ids are in the {rng.choice(SERVICES)} logs.")
    if area == "mobile":
        feature = rng.choice(MOBILE_FEATURES)
        symptom = rng.choice(MOBILE_SYMPTOMS)
        device = rng.choice(DEVICES)
        return Text(f"App {symptom} when using {feature} on {device}",
                    f"*Environment*\n{device}, {rng.choice(MOBILE_OS)}, app build {rng.randint(300, 999)}.\n\n"
                    f"*Steps to reproduce*\n1. Install the latest build.\n2. Enable {feature}.\n3. Put the app in "
                    f"the background and reopen it.\n\n*Actual*\nThe app {symptom}. Crash logs attached.")
    element = rng.choice(ELEMENTS)
    symptom = rng.choice(WEB_SYMPTOMS)
    browser = rng.choice(BROWSERS)
    screen = rng.choice(SCREENS)
    return Text(f"{element} {symptom} on {browser}",
                _steps(rng, screen, f"Click the {element.lower()} using {browser}"))


def story_text(rng: random.Random) -> Text:
    persona, capability, benefit = rng.choice(PERSONAS), rng.choice(CAPABILITIES), rng.choice(BENEFITS)
    return Text(f"As a {persona}, I can {capability}",
                f"As a {persona} I want to {capability} so that {benefit}.\n\n*Acceptance criteria*\n"
                f"- Works on desktop and mobile.\n- Covered by an end-to-end test.\n"
                f"- Tracked with an analytics event.")


def task_text(rng: random.Random, area: str) -> Text:
    if area == "ops":
        subject = rng.choice(OPS_SUBJECTS)
        return Text(f"{rng.choice(OPS_VERBS)} {subject}",
                    f"Owner to coordinate the {subject} with the stakeholders.\n\n*Checklist*\n- Agree the budget\n"
                    f"- Confirm dates\n- Share the summary in #ops by Friday.")
    if rng.random() < 0.5:
        name, version = rng.choice(DEPENDENCIES)
        return Text(f"Upgrade {name} to {version}",
                    f"The current {name} release reaches end of support soon. Upgrade, run the full test suite "
                    f"and note any breaking changes in the changelog.")
    service = rng.choice(SERVICES)
    return Text(f"Add alerting for the {service}",
                f"We only hear about {service} failures from customers. Add an error-rate alert and a runbook "
                f"link, and route pages to the owning team.")


def epic_text(rng: random.Random, theme: str) -> Text:
    return Text(theme, f"Umbrella for the {theme.lower()} work this half.\n\n*Goals*\n- Ship behind a feature "
                       f"flag\n- Measure adoption for {rng.randint(2, 6)} weeks\n- Remove the old path afterwards.")


def subtask_text(rng: random.Random, parent_summary: str) -> Text:
    step = rng.choice(SUBTASK_STEPS)
    return Text(f"{step}: {parent_summary[:80]}", f"{step} for the parent issue.")


def comment_text(rng: random.Random) -> str:
    return rng.choice(COMMENTS)


def text_pool(rng: random.Random, size: int, areas: tuple[str, ...] = ("web", "api", "mobile", "ops")
              ) -> list[tuple[str, str, str]]:
    """`size` precomputed (kind, summary, description) triples for bulk generation, kind one of
    "bug", "story", "task"; bulk loaders pick from it instead of formatting text per row."""
    pool: list[tuple[str, str, str]] = []
    for index in range(size):
        area = areas[index % len(areas)]
        roll = rng.random()
        if roll < 0.4:
            kind, text = "bug", bug_text(rng, area)
        elif roll < 0.75:
            kind, text = "story", story_text(rng)
        else:
            kind, text = "task", task_text(rng, area)
        pool.append((kind, text.summary, text.description))
    return pool
