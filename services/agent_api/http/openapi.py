"""The agent API's OpenAPI 3.1 document, built from one table of operations and the code's own types.

Every route the app registers must have a row in OPERATIONS, and every row a route: the
drift test builds the document from the running app and compares it with the copy checked
into `contracts/agent_api.openapi.json`. Request and query schemas are the Structs the
handlers decode with, so a changed field changes the document.
"""

from typing import Annotated, Any

import msgspec

from services.agent_api.commands import audit
from services.agent_api.http import (
    admin_routes,
    agent_edit_routes,
    broadcast_routes,
    callback_reveal,
    callback_routes,
    canned_routes,
    consent_routes,
    conversation_routes,
    customer_routes,
    privacy_routes,
    schemas,
    session_routes,
    stats_routes,
    workspace_routes,
)
from services.agent_api.queries import listing

PATH = "/v1/openapi.json"
TITLE = "Relaydesk agent API"
ALWAYS = (400, 401, 422, 429, 503)
"""Any authenticated call may meet a value out of bounds, a bad token, an unusable value, its rate limit,
or an outage."""
REASONS = {
    204: "Done; no content.",
    400: "Not JSON, a bad cursor, a broken form, or a date or number out of bounds (`out_of_range`).",
    401: "No valid bearer token or console session.",
    403: "Your role may not do this (or a session's write lacks its CSRF token, or a file link is not valid).",
    404: "Not found, or not yours to see.",
    409: "Conflicts with the current state.",
    413: "Too large.",
    410: "The link has expired.",
    415: "File type not accepted, or the name's extension disagrees with it.",
    422: "The request does not fit its schema, or text holds a NUL (`invalid_text`).",
    502: "The service holding the file did not answer or failed.",
    429: "Rate limited (see Retry-After), or the upload quota is used up.",
    503: "A dependency is unavailable; retry.",
}


class Op(msgspec.Struct, frozen=True):
    summary: str
    tag: str
    response: Any = None
    status: int = 200
    body: Any = None
    query: Any = None
    errors: tuple[int, ...] = ()
    public: bool = False
    content: str = "application/json"
    description: str = ""


class CannedQuery(msgspec.Struct, forbid_unknown_fields=True):
    q: Annotated[str, msgspec.Meta(max_length=100)] = ""
    language: str = ""
    category: str = ""


class RenderQuery(msgspec.Struct):
    conversation_id: str


class UploadQuery(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    """The file's name, for a raw upload (multipart uploads name the file in the form)."""


class FileLinkQuery(msgspec.Struct):
    expires: str
    """Unix seconds after which the link is refused (410)."""
    sig: str
    """The link's signature (403 when it does not match)."""


class TokensQuery(msgspec.Struct):
    agent_id: str | None = None


class StatsQuery(msgspec.Struct):
    start: str | None = msgspec.field(default=None, name="from")
    end: str | None = msgspec.field(default=None, name="to")
    tz: str = stats_routes.DEFAULT_TZ
    group: str | None = None
    format: str = "json"


C, W, K, P, A, S = "conversations", "workspace", "canned responses", "customers", "admin", "statistics"
CB, B = "callbacks", "broadcasts"
ACCEPTED = {"response": schemas.Accepted, "status": 202}
SESSION_RULES = (
    "The `rd_session` cookie is HttpOnly and SameSite=Strict (Secure when the public URL is https). "
    "Writes made with it need the header `X-CSRF-Token: <csrf_token>`. "
    "It ends after `idle_timeout_s` unused, and after 12 hours at most."
)
OPERATIONS: dict[tuple[str, str], Op] = {
    ("POST", "/v1/session"): Op(
        "Sign in to the console with name and password",
        "session",
        schemas.Session,
        body=session_routes.Credentials,
        errors=(400, 401, 422, 429),
        public=True,
        description=SESSION_RULES
        + " A wrong name and a wrong password get the same 401; failures in a row lock the name"
        " (and the client address) out with 429 and Retry-After, doubling from 30 s to 15 minutes.",
    ),
    ("GET", "/v1/session"): Op("Your console session (401 without one)", "session", schemas.Session),
    ("DELETE", "/v1/session"): Op("Sign out: end the session, clear the cookie", "session", status=204, errors=(403,)),
    ("GET", "/v1/me"): Op("Who you are, your status and open conversations", "me", schemas.Me),
    ("PUT", "/v1/me/status"): Op(
        "Set your status", "me", body=conversation_routes.StatusRequest, errors=(400, 422), **ACCEPTED
    ),
    ("GET", "/v1/stream"): Op(
        "Live events over a WebSocket",
        "me",
        status=101,
        errors=(400, 403),
        description=(
            "Upgrade to a WebSocket. Frames are JSON events with an `id`; reconnect with `?after=<id>`"
            " (0 to 9223372036854775807) to resume. After the server's own broker reconnect a"
            ' `{"type":"resync"}` frame precedes the replay of what the stream had not sent.'
            " With the session cookie, the `Origin` must be the API's own (else 403)."
        ),
    ),
    ("GET", "/v1/conversations"): Op(
        "List conversations you may see", C, schemas.ConversationPage, query=listing.ListQuery, errors=(400, 403, 422)
    ),
    ("GET", "/v1/conversations/{id}"): Op(
        "A conversation with messages and notes (audited)", C, schemas.ConversationDetail, errors=(404,)
    ),
    ("GET", "/v1/conversations/{id}/attachments/{message_id}/{index}"): Op(
        "A file a message of the conversation carries (whoever may see the conversation)",
        C,
        errors=(404, 410, 413, 415, 502),
        content="file",
        description="Customers' files are fetched from the adapter of their channel; served with the same"
        " safety headers as uploaded files (nosniff, a sandboxing CSP, Content-Disposition)."
        " 503 `media_pending` while WeChat has not given the file yet; 410 once WeChat no longer has it.",
    ),
    ("POST", "/v1/conversations/{id}/replies"): Op(
        "Reply to the customer", C, body=conversation_routes.ReplyRequest, errors=(400, 404, 409, 422), **ACCEPTED
    ),
    ("POST", "/v1/conversations/{id}/resolve"): Op("Resolve", C, errors=(404, 409), **ACCEPTED),
    ("POST", "/v1/conversations/{id}/transfer"): Op(
        "Transfer to an agent, a team or the queue",
        C,
        body=conversation_routes.TransferRequest,
        errors=(400, 404, 409, 422),
        **ACCEPTED,
    ),
    ("POST", "/v1/conversations/{id}/accept"): Op("Accept an offered conversation", C, errors=(404,), **ACCEPTED),
    ("POST", "/v1/conversations/{id}/decline"): Op("Decline an offered conversation", C, errors=(404,), **ACCEPTED),
    ("POST", "/v1/conversations/{id}/reopen"): Op(
        "Reopen a resolved conversation",
        W,
        body=workspace_routes.ReopenRequest,
        errors=(400, 404, 409, 422),
        **ACCEPTED,
    ),
    ("GET", "/v1/conversations/{id}/notes"): Op("Internal notes", W, schemas.Notes, errors=(404,)),
    ("POST", "/v1/conversations/{id}/notes"): Op(
        "Add an internal note", W, schemas.Note, 201, body=workspace_routes.NewNote, errors=(400, 404, 422)
    ),
    ("POST", "/v1/conversations/{id}/tags"): Op(
        "Tag", W, schemas.Tags, body=workspace_routes.NewTag, errors=(400, 404, 422)
    ),
    ("DELETE", "/v1/conversations/{id}/tags/{tag}"): Op("Remove a tag", W, schemas.Tags, errors=(404,)),
    ("GET", "/v1/conversations/{id}/customer"): Op(
        "The customer behind a conversation (audited)", P, schemas.CustomerView, errors=(404,)
    ),
    ("PUT", "/v1/conversations/{id}/consent"): Op(
        "Record the customer's consent for this address",
        P,
        schemas.AcceptedMany,
        202,
        body=consent_routes.ConsentRequest,
        errors=(400, 404, 409, 422),
    ),
    ("GET", "/v1/customers"): Op(
        "The customer directory (supervisors)",
        P,
        schemas.CustomerPage,
        query=customer_routes.DirectoryQuery,
        errors=(400, 403, 422),
    ),
    ("POST", "/v1/customers"): Op(
        "Create a profile",
        P,
        schemas.Created,
        201,
        body=customer_routes.ProfileFields,
        errors=(400, 403, 404, 409, 422),
    ),
    ("GET", "/v1/customers/{id}"): Op(
        "A profile with history and consent (audited)", P, schemas.CustomerView, errors=(404,)
    ),
    ("PATCH", "/v1/customers/{id}"): Op(
        "Change a profile", P, schemas.Created, body=customer_routes.ProfileFields, errors=(400, 403, 404, 409, 422)
    ),
    ("POST", "/v1/customers/{id}/links"): Op(
        "Link a contact to a profile",
        P,
        schemas.Linked,
        body=customer_routes.LinkRequest,
        errors=(400, 403, 404, 409, 422),
    ),
    ("PUT", "/v1/customers/{id}/consent"): Op(
        "Record consent for a channel",
        P,
        schemas.AcceptedMany,
        202,
        body=consent_routes.ConsentRequest,
        errors=(400, 404, 409, 422),
    ),
    ("GET", "/v1/canned-responses"): Op("Canned responses you may use", K, schemas.CannedResponses, query=CannedQuery),
    ("POST", "/v1/canned-responses"): Op(
        "Create a canned response",
        K,
        schemas.CannedResponse,
        201,
        body=canned_routes.NewCanned,
        errors=(400, 403, 409, 422),
    ),
    ("PATCH", "/v1/canned-responses/{id}"): Op(
        "Change a canned response",
        K,
        schemas.CannedResponse,
        body=canned_routes.CannedChanges,
        errors=(400, 403, 404, 409, 422),
    ),
    ("DELETE", "/v1/canned-responses/{id}"): Op("Delete a canned response", K, status=204, errors=(403, 404)),
    ("GET", "/v1/canned-responses/{id}/render"): Op(
        "A canned response filled in for a conversation", K, schemas.Rendered, query=RenderQuery, errors=(404,)
    ),
    ("POST", "/v1/files"): Op(
        "Upload a file to send",
        W,
        schemas.File,
        201,
        query=UploadQuery,
        errors=(400, 413, 415, 429),
        content="file-upload",
        description="The name's extension must agree with the type (none: the usual one is added); each agent"
        " may upload RELAYDESK_AGENT_API_UPLOAD_QUOTA bytes in 24 hours. `url` is the signed link customers get.",
    ),
    ("GET", "/v1/files/{id}"): Op(
        "An uploaded file (its uploader, supervisors and admins)", W, errors=(404,), content="file"
    ),
    ("GET", "/files/{key}/{name}"): Op(
        "A sent file, to whoever holds its signed link until it expires",
        W,
        query=FileLinkQuery,
        errors=(403, 404, 410, 422),
        public=True,
        content="file",
    ),
    ("POST", "/v1/messages/{id}/unmask"): Op(
        "One message unmasked (supervisors; audited)",
        A,
        schemas.Unmasked,
        body=privacy_routes.UnmaskRequest,
        errors=(400, 403, 404, 422),
    ),
    ("GET", "/v1/admin/audit"): Op(
        "The audit log (admins)", A, schemas.AuditPage, query=audit.AuditQuery, errors=(403, 422)
    ),
    ("GET", "/v1/admin/agents"): Op("Agents (admins)", A, schemas.Agents, errors=(403,)),
    ("POST", "/v1/admin/agents"): Op(
        "Create an agent and a first token (admins)",
        A,
        schemas.NewAccount,
        201,
        body=admin_routes.NewAgent,
        errors=(400, 403, 409, 422),
    ),
    ("GET", "/v1/admin/tokens"): Op(
        "Tokens, without secrets (admins)", A, schemas.Tokens, query=TokensQuery, errors=(403, 404, 422)
    ),
    ("POST", "/v1/admin/agents/{id}/tokens"): Op(
        "Create a token (admins)",
        A,
        schemas.TokenWithSecret,
        201,
        body=admin_routes.NewToken,
        errors=(400, 403, 404, 409, 422),
    ),
    ("POST", "/v1/admin/tokens/{id}/rotate"): Op(
        "Rotate a token (admins)", A, schemas.TokenWithSecret, errors=(403, 404, 409)
    ),
    ("DELETE", "/v1/admin/tokens/{id}"): Op("Revoke a token (admins)", A, status=204, errors=(403, 404, 409)),
    ("PATCH", "/v1/admin/agents/{id}"): Op(
        "Change an agent's role, skills, languages, channels, teams or capacity (admins; audited)",
        A,
        schemas.AgentAccount,
        body=agent_edit_routes.AgentChanges,
        errors=(400, 403, 404, 409),
    ),
    ("PUT", "/v1/admin/agents/{id}/password"): Op(
        "Set an agent's console password; their sessions end (admins)",
        A,
        status=204,
        body=admin_routes.NewPassword,
        errors=(400, 403, 404, 422),
    ),
    ("DELETE", "/v1/admin/agents/{id}/sessions"): Op(
        "Sign an agent out of every console (admins)", A, status=204, errors=(403, 404)
    ),
    ("GET", "/v1/stats/{name}"): Op(
        "A statistic as JSON or CSV (supervisors)",
        S,
        schemas.Statistic,
        query=StatsQuery,
        errors=(403, 404, 422),
        content="json-or-csv",
    ),
    ("GET", "/v1/callbacks"): Op(
        "Your due and upcoming callbacks (supervisors: anyone's)",
        CB,
        callback_routes.CallbackList,
        query=callback_routes.CallbacksQuery,
        errors=(403,),
    ),
    ("POST", "/v1/callbacks"): Op(
        "Schedule a callback to a customer you served",
        CB,
        body=callback_routes.NewCallback,
        errors=(400, 404),
        **ACCEPTED,
    ),
    ("GET", "/v1/callbacks/{id}"): Op(
        "A callback with what to prepare and its history", CB, callback_routes.CallbackDetail, errors=(404,)
    ),
    ("POST", "/v1/callbacks/{id}/claim"): Op("Claim a callback", CB, errors=(404, 409), **ACCEPTED),
    ("POST", "/v1/callbacks/{id}/outcome"): Op(
        "Record how the call went", CB, body=callback_routes.OutcomeRequest, errors=(400, 404, 409), **ACCEPTED
    ),
    ("POST", "/v1/callbacks/{id}/reveal"): Op(
        "Reveal the number to call a due callback (its agent, supervisors; audited)",
        CB,
        callback_reveal.RevealedNumber,
        errors=(403, 404, 409),
    ),
    ("GET", "/v1/broadcasts"): Op("Broadcasts, newest first (supervisors)", B, schemas.Broadcasts, errors=(403,)),
    ("POST", "/v1/broadcasts"): Op(
        "Create a broadcast (supervisors)",
        B,
        schemas.BroadcastAccepted,
        202,
        body=broadcast_routes.NewBroadcast,
        errors=(400, 403),
    ),
    ("POST", "/v1/broadcasts/estimate"): Op(
        "What a broadcast's SMS would cost, before creating it (supervisors)",
        B,
        schemas.BroadcastEstimate,
        body=broadcast_routes.NewBroadcast,
        errors=(400, 403),
    ),
    ("GET", "/v1/broadcasts/{id}"): Op(
        "A broadcast and its progress (supervisors)", B, schemas.BroadcastView, errors=(403, 404)
    ),
    **{
        ("POST", f"/v1/broadcasts/{{id}}/{action}"): Op(
            f"{action.capitalize()} a broadcast (supervisors)", B, errors=(403, 404, 409), **ACCEPTED
        )
        for action in ("pause", "resume", "cancel")
    },
    ("GET", PATH): Op("This document", "meta", public=True, content="openapi"),
}
