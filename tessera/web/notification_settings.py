"""/settings/notifications: the signed-in user's notification preferences in the browser (the
document of tessera.notifications.preferences, saved through the same check_/do_ functions as
PUT /v2/notifications/preferences), the issues the user muted, and the user's Slack webhook and
push subscriptions (shown, and removable, as the REST API offers).

The event table's checkboxes show what the user gets (the kind's override, else the channel's
switch). A checkbox cannot say "no override", so each cell also posts what it showed
(`was.<kind>.<channel>`): a cell left as it was keeps its stored override or its lack of one (and
so follows its channel), a changed cell becomes an override unless it now agrees with its channel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from tessera.db.refs import require_id
from tessera.errors import InvalidInput
from tessera.issues.service import access_issue
from tessera.notifications.kinds import ISSUE_KINDS, KINDS
from tessera.notifications.locale import LANGUAGES, language_name
from tessera.notifications.preferences import (
    CHANNELS,
    DIGEST_CHANNELS,
    DIGEST_MODES,
    check_update_preferences,
    do_mute,
    muted_issues,
    preferences_from,
    preferences_view,
)
from tessera.notifications.push.subscriptions import check_unsubscribe, list_subscriptions
from tessera.notifications.slack.service import do_delete_user_slack, get_user_slack, slack_view
from tessera.web.context import Web
from tessera.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = "/settings/notifications"
# The issue kinds in the catalog's order, then the organization-wide ones.
KIND_ORDER: tuple[str, ...] = (*ISSUE_KINDS, *sorted(KINDS - set(ISSUE_KINDS)))


def _on(form: dict[str, str], name: str) -> bool:
    return name in form


def change_from_form(form: dict[str, str], stored: dict[str, Any]) -> dict[str, Any]:
    """The PUT document the form stands for, given the stored one (its `events` overrides).
    Names the form sends that the page never renders (another channel, an unknown kind) are
    passed on, so the domain's validation refuses them by name."""
    channels = {name.split(".", 1)[1]: _on(form, name) for name in form if name.startswith("channel.")}
    channels.update({channel: _on(form, f"channel.{channel}") for channel in CHANNELS})
    cells = {tuple(name.split(".", 2)[1:]) for name in form if name.startswith(("was.", "event."))
             and name.count(".") == 2}
    events: dict[str, dict[str, bool]] = {}
    for kind, channel in sorted(cells):
        overrides = events.setdefault(kind, {})
        shown, checked = form.get(f"was.{kind}.{channel}") == "1", _on(form, f"event.{kind}.{channel}")
        if checked == shown:
            kept = stored.get("events", {}).get(kind, {}).get(channel)
            if kept is not None:
                overrides[channel] = kept
        elif checked != channels.get(channel):  # an unknown channel: passed on, and refused
            overrides[channel] = checked
    digest = {name.split(".", 1)[1]: value for name, value in form.items() if name.startswith("digest.")}
    document = {"channels": channels, "events": events, "own_changes": _on(form, "own_changes"), "digest": digest}
    if "language" in form:
        document["language"] = form["language"]
    return document


async def _render(web: Web, *, status_code: int = 200, error: InvalidInput | None = None,
                  saved: bool = False) -> Response:
    async with web.transaction(write=False) as (session, actor):
        document = await preferences_view(session, organization_id=actor.organization_id, user_id=actor.user_id)
        muted = await muted_issues(session, actor=actor)
        slack = slack_view(await get_user_slack(session, actor))
        subscriptions = await list_subscriptions(session, actor=actor)
    return web.render("notification_settings.html", status_code=status_code, document=document,
                      wants=preferences_from(document).wants, channels=CHANNELS, digest_channels=DIGEST_CHANNELS,
                      digest_modes=DIGEST_MODES, kinds=KIND_ORDER, muted=muted, slack=slack,
                      subscriptions=subscriptions, error=error.message if error else None, saved=saved,
                      languages=[(code, language_name(code)) for code in LANGUAGES],
                      nav="notification-settings")


@router.get(PAGE)
async def settings_page(web: Web, saved: str = "") -> Response:
    return await _render(web, saved=saved == "1")


@router.post(PAGE)
async def save_settings(web: Web) -> Response:
    form = await web.form()
    try:
        async with web.transaction() as (session, actor):
            stored = await preferences_view(session, organization_id=actor.organization_id, user_id=actor.user_id)
            await check_update_preferences(session, organization_id=actor.organization_id, user_id=actor.user_id,
                                           change=change_from_form(form, stored))
    except InvalidInput as error:  # nothing was written: the check comes before the change
        return await _render(web, status_code=error.status, error=error)
    return web.redirect(f"{PAGE}?saved=1")


@router.post(PAGE + "/muted/{issue_id}/unmute")
async def unmute(issue_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        issue, _ = await access_issue(session, actor, require_id(issue_id, not_found="Issue not found."))
        await do_mute(session, organization_id=actor.organization_id, issue_id=issue.id, user_id=actor.user_id,
                      muted=False)
    return web.redirect(PAGE)


@router.post(PAGE + "/slack/remove")
async def remove_slack(web: Web) -> Response:
    async with web.transaction() as (session, actor):
        await do_delete_user_slack(session, actor=actor)
    return web.redirect(PAGE)


@router.post(PAGE + "/push/{subscription_id}/remove")
async def remove_push_subscription(subscription_id: str, web: Web) -> Response:
    async with web.transaction() as (session, actor):
        await check_unsubscribe(session, actor=actor, subscription_id=require_id(
            subscription_id, not_found="No such push subscription."))
    return web.redirect(PAGE)
