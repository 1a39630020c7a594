"""The MCP rule table: every JSON-RPC message, in both directions, meets a named rule.

Read it like ``default_stages()``. Nothing is relayed because no rule matched:

client → server (each one a ``ToolCall`` through the whole pipeline, one record each)
    requests        ``CLIENT_REQUESTS[method]``, or ``OTHER_REQUEST`` for any other
                    method (the default pack denies methods it does not know)
    notifications   ``CLIENT_NOTIFICATION``: policy decides (the pack allows the
                    lifecycle ones); a request method without an id is refused
    responses       answers to server requests the gateway forwarded; anything else
                    is dropped and counted (no pipeline: not a call)

server → client (screened in ``Mediator.server_message``)
    answers         only to the gateway's own id of the request in flight; screened
                    by the request's rule (``screen``); anything else dropped and counted
    requests        ``sampling/createMessage``, ``elicitation/create``, ``roots/list``,
                    ...: policy decides (default deny → a JSON-RPC error to the server);
                    an allowed one is screened like output before the agent gets it
    notifications   ``SERVER_NOTIFICATIONS`` forwarded, each one's params screened like
                    output; ``cancelled`` only with an id the agent knows (mapped);
                    ``tools/list_changed`` re-checks pins first; any other dropped and counted
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Screen = Literal["tool_result", "tool_list", "scoped_list", "document", "none"]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    per_tool: bool = False  # the ToolCall's tool is {server}.{params.name}, else the server itself
    screen: Screen = "document"  # how the answer is screened
    opens_session: bool = False
    stream: bool = False  # the GET stream: no timeout on the whole answer
    # scoped_list: the list's key, and the method its items are used with (an agent that may
    # not use them gets an empty list)
    list_key: str = ""
    used_by: str = ""


CLIENT_REQUESTS: dict[str, Rule] = {
    "tools/call": Rule("tool.call", per_tool=True, screen="tool_result"),
    "tools/list": Rule("tool.list", screen="tool_list"),
    "initialize": Rule("session.initialize", opens_session=True),
    "server/discover": Rule("session.discover"),
    "ping": Rule("ping", screen="none"),
    "prompts/list": Rule("prompt.list", screen="scoped_list", list_key="prompts", used_by="prompts/get"),
    "prompts/get": Rule("prompt.get"),
    "resources/list": Rule("resource.list", screen="scoped_list", list_key="resources", used_by="resources/read"),
    "resources/templates/list": Rule(
        "resource.templates", screen="scoped_list", list_key="resourceTemplates", used_by="resources/read"
    ),
    "resources/read": Rule("resource.read"),
    "resources/subscribe": Rule("resource.subscribe"),
    "resources/unsubscribe": Rule("resource.unsubscribe"),
    "completion/complete": Rule("completion"),
    "logging/setLevel": Rule("logging.level", screen="none"),
}
OTHER_REQUEST = Rule("request.other")
CLIENT_NOTIFICATION = Rule("notification", screen="none")
# Not JSON-RPC: the HTTP side of a session, as operations of their own (mcp_method).
STREAM = Rule("session.stream", screen="none", stream=True)
CLOSE = Rule("session.close", screen="none")
STREAM_METHOD = "session/stream"
CLOSE_METHOD = "session/close"
REFUSED = Rule("refused", screen="none")  # a message refused before it meets a method rule

SERVER_NOTIFICATIONS = frozenset(
    {
        "notifications/progress",
        "notifications/message",
        "notifications/cancelled",
        "notifications/resources/updated",
        "notifications/resources/list_changed",
        "notifications/prompts/list_changed",
        "notifications/tools/list_changed",  # re-checks pins before it is forwarded
    }
)


def client_rule(method: str) -> Rule:
    return CLIENT_REQUESTS.get(method, OTHER_REQUEST)


def is_request_method(method: str) -> bool:
    """A method that needs an answer: one sent as a notification is refused."""
    return not method.startswith("notifications/")
