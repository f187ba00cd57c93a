"""Bodies of the Jira-compatible API as its OpenAPI document describes them (api/jira/openapi.py).

Handlers return plain dicts built by the translators (issue_json, shapes, ...); these models
name their main properties for clients and for the schemathesis run that checks real answers
against them. Jira's shapes are open: a model lists what is always sent."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class JiraError(BaseModel):
    """Every error on /rest: Jira's shape."""

    errorMessages: list[str]
    errors: dict[str, str] = Field(description="{Jira field id: message}")


class JiraUser(BaseModel):
    self: str
    name: str | None = None
    key: str | None = None
    accountId: str
    emailAddress: str | None = None
    displayName: str | None
    active: bool
    timeZone: str | None = None
    avatarUrls: dict[str, str] | None = None


class Myself(JiraUser):
    locale: str | None = None
    groups: dict[str, Any]
    applicationRoles: dict[str, Any]


class ServerInfo(BaseModel):
    baseUrl: str
    version: str
    versionNumbers: list[int]
    deploymentType: str
    buildNumber: int
    buildDate: str
    serverTime: str
    serverTitle: str


class StatusCategory(BaseModel):
    self: str
    id: int
    key: str
    colorName: str
    name: str


class JiraStatus(BaseModel):
    self: str
    id: str
    name: str
    description: str | None
    iconUrl: str | None = None
    statusCategory: StatusCategory


class JiraIssueType(BaseModel):
    self: str
    id: str
    name: str
    description: str | None
    subtask: bool
    iconUrl: str | None = None


class JiraNamed(BaseModel):
    """A priority, resolution or similar: self, id, name."""

    self: str
    id: str
    name: str


class JiraIssue(BaseModel):
    id: str
    key: str
    self: str
    fields: dict[str, Any] = Field(description="Only those asked for with `fields`; Jira's names "
                                               "(summary, status, customfield_NNNNN, ...).")
    expand: str | None = None


class CreatedIssue(BaseModel):
    id: str
    key: str
    self: str


class BulkCreated(BaseModel):
    issues: list[CreatedIssue]
    errors: list[dict[str, Any]]


class _Paged(BaseModel):
    """Jira's offset paging: where the page starts, its size, and how many there are in all."""

    startAt: int
    maxResults: int
    total: int


class SearchResults(_Paged):
    issues: list[JiraIssue]
    expand: str | None = None
    warningMessages: list[str] | None = None


class JiraTransition(BaseModel):
    id: str
    name: str
    to: JiraStatus
    hasScreen: bool | None = None
    fields: dict[str, Any] | None = None


class Transitions(BaseModel):
    transitions: list[JiraTransition]
    expand: str | None = None


class JiraComment(BaseModel):
    self: str
    id: str
    body: str
    author: JiraUser | None
    updateAuthor: JiraUser | None = None
    created: str
    updated: str
    visibility: dict[str, Any] | None = None


class Comments(_Paged):
    comments: list[JiraComment]


class Worklog(BaseModel):
    self: str
    id: str
    issueId: str
    author: JiraUser | None
    comment: str | None = None
    started: str
    timeSpent: str
    timeSpentSeconds: int


class Worklogs(_Paged):
    worklogs: list[Worklog]


class JiraProject(BaseModel):
    self: str
    id: str
    key: str
    name: str
    projectTypeKey: str | None = None
    avatarUrls: dict[str, str] | None = None


class JiraComponent(BaseModel):
    self: str
    id: str
    name: str
    description: str | None = None
    projectId: int


class JiraVersion(BaseModel):
    self: str
    id: str
    name: str
    projectId: int
    released: bool
    archived: bool


class Watchers(BaseModel):
    self: str
    isWatching: bool
    watchCount: int
    watchers: list[JiraUser]


class Votes(BaseModel):
    self: str
    votes: int
    hasVoted: bool
    voters: list[JiraUser]


class JiraFilter(BaseModel):
    self: str
    id: str
    name: str
    jql: str
    owner: JiraUser | None
    favourite: bool
    viewUrl: str
    searchUrl: str


class IssueLink(BaseModel):
    id: str
    type: dict[str, Any]
    inwardIssue: dict[str, Any]
    outwardIssue: dict[str, Any]


class RemoteLink(BaseModel):
    id: int
    self: str
    object: dict[str, Any]


class JiraAttachment(BaseModel):
    self: str
    id: str
    filename: str
    author: JiraUser | None
    created: str
    size: int
    mimeType: str
    content: str


class Page(BaseModel):
    """Agile and newer endpoints page with `values`."""

    startAt: int
    maxResults: int
    total: int | None = None
    isLast: bool
    values: list[Any]


class Board(BaseModel):
    id: int
    self: str
    name: str
    type: str
    location: dict[str, Any] | None = None


class Epic(BaseModel):
    """Jira Software's epic: `name` is the epic's summary in Tessera."""

    id: int
    key: str
    self: str
    name: str
    summary: str
    color: dict[str, str]
    done: bool


class Sprint(BaseModel):
    id: int
    self: str
    state: str
    name: str
    goal: str | None = None
    originBoardId: int | None = None
    startDate: str | None = None
    endDate: str | None = None
    completeDate: str | None = None


class AgileIssues(_Paged):
    issues: list[JiraIssue]
    expand: str | None = None


class Session(BaseModel):
    self: str
    name: str
    loginInfo: dict[str, Any]


class PageBean(Page):
    """Jira Cloud's paged lists: a Page with its own address and the next page's (unless last)."""

    self: str
    nextPage: str | None = None
    total: int


class EnhancedSearchResults(BaseModel):
    """Jira Cloud's /search/jql: no total; `nextPageToken` (absent on the last page) and `isLast`."""

    issues: list[JiraIssue]
    isLast: bool
    nextPageToken: str | None = None


class ApproximateCount(BaseModel):
    count: int


class IssuePicker(BaseModel):
    sections: list[dict[str, Any]] = Field(description="History Search (`hs`) and, with currentJQL, Current "
                                                       "Search (`cs`): label, id, issues, sub or msg.")


# Jira Cloud's REST v3 writes rich text as Atlassian Document Format (an object).
ADF = Field(description="An Atlassian Document Format document: {\"type\": \"doc\", \"version\": 1, "
                        "\"content\": [...]}")


class CloudComment(JiraComment):
    body: dict[str, Any] = ADF


class CloudComments(_Paged):
    comments: list[CloudComment]


class CloudWorklog(Worklog):
    comment: dict[str, Any] | None = ADF


class CloudWorklogs(_Paged):
    worklogs: list[CloudWorklog]


API = "/api/2"
AGILE = "/agile/1.0"
# Request bodies of the operations whose handlers read Jira's loose JSON themselves; others: any JSON.
class IssueBody(BaseModel):
    fields: dict[str, Any] | None = Field(default=None, description="{Jira field id: value}")
    update: dict[str, Any] | None = Field(default=None, description="{field: [{add|set|remove: value}]}")
    transition: dict[str, Any] | None = None


class SearchBody(BaseModel):
    jql: str | None = None
    startAt: int | str | None = None
    maxResults: int | str | None = None
    fields: list[str] | str | None = None
    expand: list[str] | str | None = None
    validateQuery: bool | str | None = None


class CommentBody(BaseModel):
    body: str
    visibility: dict[str, Any] | None = None


class CloudCommentBody(BaseModel):
    body: dict[str, Any] | str = Field(description="An ADF document (a string is read as Markdown).")
    visibility: dict[str, Any] | None = None


class EnhancedSearchBody(BaseModel):
    jql: str
    nextPageToken: str | None = None
    maxResults: int | str | None = None
    fields: list[str] | str | None = None
    expand: list[str] | str | None = None
    properties: list[str] | None = None
    fieldsByKeys: bool | None = None
    failFast: bool | None = None
    reconcileIssues: list[int] | None = None


OBJECT = {"type": "object", "description": "As Jira documents it; unknown keys are ignored."}
# The request bodies of the operations whose handlers read them (api/jira/bodies.py).
BODIES: dict[tuple[str, str], Any] = {
    ("post", f"{API}/issue"): IssueBody, ("put", f"{API}/issue/{{issue_ref}}"): IssueBody,
    ("post", f"{API}/issue/bulk"): {"type": "object", "properties": {"issueUpdates": {
        "type": "array", "items": {"$ref": "#/components/schemas/IssueBody"}}}},
    ("post", f"{API}/issue/{{issue_ref}}/transitions"): IssueBody, ("post", f"{API}/search"): SearchBody,
    ("post", f"{API}/search/jql"): EnhancedSearchBody,
    ("post", f"{API}/search/approximate-count"): {"type": "object", "properties": {"jql": {"type": "string"}}},
    ("post", f"{API}/issue/{{issue_ref}}/comment"): CommentBody,
    ("put", f"{API}/issue/{{issue_ref}}/comment/{{comment_id}}"): CommentBody,
    ("put", f"{API}/issue/{{issue_ref}}/assignee"): OBJECT,
    ("post", f"{API}/issue/{{issue_ref}}/watchers"): {"type": "string", "description": "The user's name."},
    ("post", f"{API}/issue/{{issue_ref}}/worklog"): OBJECT,
    ("put", f"{API}/issue/{{issue_ref}}/worklog/{{worklog_id}}"): OBJECT,
    ("post", f"{API}/issueLink"): OBJECT, ("post", f"{API}/issue/{{issue_ref}}/remotelink"): OBJECT,
    ("put", f"{API}/issue/{{issue_ref}}/remotelink/{{link_id}}"): OBJECT,
    ("post", f"{API}/filter"): OBJECT, ("put", f"{API}/filter/{{filter_id}}"): OBJECT,
    ("post", f"{API}/project"): OBJECT, ("post", f"{API}/component"): OBJECT,
    ("put", f"{API}/component/{{part_id}}"): OBJECT, ("post", f"{API}/version"): OBJECT,
    ("put", f"{API}/version/{{part_id}}"): OBJECT,
    ("post", f"{AGILE}/board"): OBJECT, ("post", f"{AGILE}/sprint"): OBJECT,
    ("post", f"{AGILE}/sprint/{{sprint_ref}}"): OBJECT, ("put", f"{AGILE}/sprint/{{sprint_ref}}"): OBJECT,
    ("post", f"{AGILE}/sprint/{{sprint_ref}}/issue"): OBJECT, ("post", f"{AGILE}/backlog/issue"): OBJECT,
    ("put", f"{AGILE}/issue/rank"): OBJECT, ("post", f"{AGILE}/epic/{{epic_ref}}/issue"): OBJECT,
}
# Errors that may also come in another shape: Jira's bulk create answers 400 with the
# per-issue errors when no issue was created.
OTHER_ERRORS: dict[tuple[str, str], dict[str, Any]] = {("post", f"{API}/issue/bulk"): {"400": BulkCreated}}
UPLOADS = {("post", f"{API}/issue/{{issue_ref}}/attachments")}
# Reads that may answer 409, as Jira's do: expanding an attachment that is no archive it can read.
READ_CONFLICTS = {("get", f"{API}/attachment/{{attachment_id}}/expand/human"): "The attachment is no ZIP archive.",
                  ("get", f"{API}/attachment/{{attachment_id}}/expand/raw"): "The attachment is no ZIP archive."}
SUCCESS: dict[tuple[str, str], Any] = {
    ("get", f"{API}/serverInfo"): ServerInfo, ("get", f"{API}/myself"): Myself,
    ("get", f"{API}/user"): JiraUser, ("get", f"{API}/user/search"): [JiraUser],
    ("get", f"{API}/user/assignable/search"): [JiraUser], ("get", f"{API}/user/viewissue/search"): [JiraUser],
    ("post", f"{API}/issue"): CreatedIssue, ("post", f"{API}/issue/bulk"): BulkCreated,
    ("get", f"{API}/issue/{{issue_ref}}"): JiraIssue,
    ("get", f"{API}/search"): SearchResults, ("post", f"{API}/search"): SearchResults,
    ("get", f"{API}/search/jql"): EnhancedSearchResults, ("post", f"{API}/search/jql"): EnhancedSearchResults,
    ("post", f"{API}/search/approximate-count"): ApproximateCount, ("get", f"{API}/issue/picker"): IssuePicker,
    ("get", f"{API}/user/bulk"): PageBean, ("get", f"{API}/project/search"): PageBean,
    ("get", f"{API}/field/search"): PageBean, ("get", f"{API}/issue/{{issue_ref}}/changelog"): PageBean,
    ("get", f"{API}/issue/{{issue_ref}}/transitions"): Transitions,
    ("get", f"{API}/issue/{{issue_ref}}/comment"): Comments,
    ("post", f"{API}/issue/{{issue_ref}}/comment"): JiraComment,
    ("get", f"{API}/issue/{{issue_ref}}/comment/{{comment_id}}"): JiraComment,
    ("put", f"{API}/issue/{{issue_ref}}/comment/{{comment_id}}"): JiraComment,
    ("get", f"{API}/issue/{{issue_ref}}/worklog"): Worklogs,
    ("post", f"{API}/issue/{{issue_ref}}/worklog"): Worklog,
    ("get", f"{API}/issue/{{issue_ref}}/worklog/{{worklog_id}}"): Worklog,
    ("put", f"{API}/issue/{{issue_ref}}/worklog/{{worklog_id}}"): Worklog,
    ("get", f"{API}/issue/{{issue_ref}}/watchers"): Watchers, ("get", f"{API}/issue/{{issue_ref}}/votes"): Votes,
    ("get", f"{API}/issue/{{issue_ref}}/remotelink"): [RemoteLink],
    ("get", f"{API}/issue/{{issue_ref}}/remotelink/{{link_id}}"): RemoteLink,
    ("get", f"{API}/issueLink/{{link_id}}"): IssueLink,
    ("get", f"{API}/attachment/{{attachment_id}}"): JiraAttachment,
    ("post", f"{API}/issue/{{issue_ref}}/attachments"): [JiraAttachment],
    ("get", f"{API}/project"): [JiraProject], ("get", f"{API}/project/{{project_ref}}"): JiraProject,
    ("post", f"{API}/project"): JiraProject,
    ("get", f"{API}/project/{{project_ref}}/components"): [JiraComponent],
    ("get", f"{API}/project/{{project_ref}}/versions"): [JiraVersion],
    ("get", f"{API}/component/{{part_id}}"): JiraComponent, ("put", f"{API}/component/{{part_id}}"): JiraComponent,
    ("post", f"{API}/component"): JiraComponent,
    ("get", f"{API}/version/{{part_id}}"): JiraVersion, ("put", f"{API}/version/{{part_id}}"): JiraVersion,
    ("post", f"{API}/version"): JiraVersion,
    ("get", f"{API}/issuetype"): [JiraIssueType], ("get", f"{API}/issuetype/{{ref}}"): JiraIssueType,
    ("get", f"{API}/status"): [JiraStatus], ("get", f"{API}/status/{{ref}}"): JiraStatus,
    ("get", f"{API}/statuscategory"): [StatusCategory], ("get", f"{API}/statuscategory/{{ref}}"): StatusCategory,
    ("get", f"{API}/priority"): [JiraNamed], ("get", f"{API}/priority/{{ref}}"): JiraNamed,
    ("get", f"{API}/resolution"): [JiraNamed], ("get", f"{API}/resolution/{{ref}}"): JiraNamed,
    ("get", f"{API}/filter/{{filter_id}}"): JiraFilter, ("put", f"{API}/filter/{{filter_id}}"): JiraFilter,
    ("post", f"{API}/filter"): JiraFilter, ("get", f"{API}/filter/my"): [JiraFilter],
    ("get", f"{API}/filter/favourite"): [JiraFilter], ("get", f"{API}/filter/search"): Page,
    ("get", f"{AGILE}/board"): Page, ("get", f"{AGILE}/board/{{board_ref}}"): Board, ("post", f"{AGILE}/board"): Board,
    ("get", f"{AGILE}/board/{{board_ref}}/sprint"): Page, ("get", f"{AGILE}/board/{{board_ref}}/issue"): AgileIssues,
    ("get", f"{AGILE}/board/{{board_ref}}/backlog"): AgileIssues,
    ("get", f"{AGILE}/board/{{board_ref}}/sprint/{{sprint_ref}}/issue"): AgileIssues,
    ("get", f"{AGILE}/sprint/{{sprint_ref}}"): Sprint, ("post", f"{AGILE}/sprint"): Sprint,
    ("put", f"{AGILE}/sprint/{{sprint_ref}}"): Sprint, ("post", f"{AGILE}/sprint/{{sprint_ref}}"): Sprint,
    ("get", f"{AGILE}/sprint/{{sprint_ref}}/issue"): AgileIssues,
    ("get", f"{AGILE}/epic/{{epic_ref}}"): Epic, ("get", f"{AGILE}/epic/{{epic_ref}}/issue"): AgileIssues,
    ("get", f"{AGILE}/board/{{board_ref}}/epic"): Page, ("get", f"{AGILE}/issue/{{issue_ref}}"): JiraIssue,
    ("get", "/auth/1/session"): Session,
}

# Where /rest/api/3 (Jira Cloud's dialect) differs from /rest/api/2, by the /rest/api/2 key.
CLOUD_BODIES: dict[tuple[str, str], Any] = {
    ("post", f"{API}/issue/{{issue_ref}}/comment"): CloudCommentBody,
    ("put", f"{API}/issue/{{issue_ref}}/comment/{{comment_id}}"): CloudCommentBody,
    ("post", f"{API}/issue/{{issue_ref}}/watchers"): {"type": "string", "description": "The user's accountId."},
}
CLOUD_SUCCESS: dict[tuple[str, str], Any] = {
    ("get", f"{API}/issue/{{issue_ref}}/comment"): CloudComments,
    ("post", f"{API}/issue/{{issue_ref}}/comment"): CloudComment,
    ("get", f"{API}/issue/{{issue_ref}}/comment/{{comment_id}}"): CloudComment,
    ("put", f"{API}/issue/{{issue_ref}}/comment/{{comment_id}}"): CloudComment,
    ("get", f"{API}/issue/{{issue_ref}}/worklog"): CloudWorklogs,
    ("post", f"{API}/issue/{{issue_ref}}/worklog"): CloudWorklog,
    ("get", f"{API}/issue/{{issue_ref}}/worklog/{{worklog_id}}"): CloudWorklog,
    ("put", f"{API}/issue/{{issue_ref}}/worklog/{{worklog_id}}"): CloudWorklog,
}
