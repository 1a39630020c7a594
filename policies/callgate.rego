# callgate default policy pack.
#
# Decides one tool call (policy input contract version 1: DESIGN.md "Contracts"):
#
#   data.callgate.decision         {allow, reasons, require_approval, credential, redact, cost}
#   data.callgate.output_decision  {allow, reasons, redact}
#
# A call is allowed only when no rule below adds a reason to `deny`. Reasons are
# returned sorted, so the same input always gives the same decision record.
#
# Written for both OPA and regorus (the embedded engine): no io.jwt.*, crypto.*,
# graphql.*, no recursion. Note: regorus' glob.match lets `*` cross a ":" delimiter
# (OPA does not), so scopes are matched one ":" segment at a time.
package callgate

import rego.v1

# --------------------------------------------------------------------------- decision

default allow := false

allow if count(deny) == 0

default require_approval := false

require_approval if input.tool.effect == "payment"

default credential := null

credential := input.tool.default_credential if input.tool.default_credential != null

reasons := sort(deny)

decision := {
	"allow": allow,
	"reasons": reasons,
	"require_approval": require_approval,
	"credential": credential,
	"redact": [],
	"cost": null,
}

# Output inspection rules come later; for now every response passes unchanged.
output_decision := {
	"allow": true,
	"reasons": [],
	"redact": [],
}

reason(code, message, owasp) := {"code": code, "message": message, "owasp": owasp}

# --------------------------------------------------------------------------- input

deny contains reason(
	"input.version_unsupported",
	sprintf("policy input version %v is not supported (expected 1)", [object.get(input, "version", null)]),
	[],
) if {
	not input.version == 1
}

# --------------------------------------------------------------------------- agents

# data.gateway.agents is null (or absent) when the configuration lists no agents.
agents_listed if is_object(data.gateway.agents)

agent_entry := data.gateway.agents[input.agent.id]

deny contains reason(
	"agent.unknown",
	sprintf("agent '%s' is not a known agent", [object.get(object.get(input, "agent", {}), "id", "")]),
	["ASI03"],
) if {
	agents_listed
	not agent_entry
}

deny contains reason(
	"agent.tenant_not_allowed",
	sprintf("agent '%s' may not act for tenant '%v'", [input.agent.id, agent_tenant]),
	["ASI03"],
) if {
	agents_listed
	is_object(agent_entry)
	tenants := object.get(agent_entry, "tenants", [])
	count(tenants) > 0
	not agent_tenant in tenants
}

# An absent tenant is null, so that `not ... in` never meets an undefined value.
agent_tenant := object.get(input.agent, "tenant", null)

# --------------------------------------------------------------------------- tools

tool_known if data.gateway.tools[input.tool.name]

# An MCP tool `{server}.{name}` is known when its server is configured; its own
# definition is checked by the gateway (pinned hash, held until approved).
tool_known if {
	input.call.protocol == "mcp"
	data.gateway.mcp_servers[input.tool.mcp_server]
}

# For messages: always defined, even for a malformed input.
tool_name := object.get(object.get(input, "tool", {}), "name", "")

tool_effect := object.get(object.get(input, "tool", {}), "effect", "")

needed_scope := concat(":", ["tool", tool_name]) if tool_effect == "read"

needed_scope := concat(":", ["tool", tool_name, tool_effect]) if tool_effect != "read"

deny contains reason(
	"tool.unknown",
	sprintf("tool '%s' is not configured", [tool_name]),
	["ASI02"],
) if {
	not tool_known
}

# --------------------------------------------------------------------------- scopes
#
# `tool:<name>` grants the tool's read; `tool:<name>:<effect>` grants that effect.
# `*` matches within one segment: `tool:demo.*` grants `demo.search`, `tool:*` every
# tool's read, `tool:echo:*` every effect of echo. A scope with `*` and any other
# character than these (`?`, `[`, `{`, `\`, ...) grants nothing, so an odd scope in a
# token can never break evaluation.
#
# Every builtin call costs regorus a microsecond or two, so the common case (scopes
# without `*`) is a plain membership test, and a bare `*` segment needs no glob.

granted_effects contains "read" if concat(":", ["tool", input.tool.name]) in input.agent.scopes

granted_effects contains input.tool.effect if {
	concat(":", ["tool", input.tool.name, input.tool.effect]) in input.agent.scopes
}

granted_effects contains "read" if {
	some parts in wildcard_grants
	count(parts) == 2
	segment_matches(parts[1], input.tool.name)
}

granted_effects contains input.tool.effect if {
	some parts in wildcard_grants
	count(parts) == 3
	segment_matches(parts[1], input.tool.name)
	segment_matches(parts[2], input.tool.effect)
}

# Scopes with a `*`, split into segments: ["tool", name] or ["tool", name, effect].
wildcard_grants contains parts if {
	some scope in input.agent.scopes
	contains(scope, "*")
	startswith(scope, "tool:")
	trim(scope, scope_chars) == "" # nothing but these characters
	parts := split(scope, ":")
}

scope_chars := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./*:-"

segment_matches(pattern, value) if pattern == value

segment_matches("*", value) if not contains(value, ":")

segment_matches(pattern, value) if {
	pattern != "*"
	contains(pattern, "*")
	glob.match(pattern, [":"], value)
}

effect_granted if input.tool.effect in granted_effects

deny contains reason(
	"scope.missing",
	sprintf("no scope grants tool '%s' (needs scope %s)", [tool_name, needed_scope]),
	["LLM06", "ASI03"],
) if {
	not effect_granted
	not "read" in granted_effects
}

deny contains reason(
	"scope.effect_missing",
	sprintf("tool '%s' has effect %s; the agent's scopes grant it only for read (needs scope %s)", [
		tool_name, tool_effect, needed_scope,
	]),
	["LLM06", "ASI02"],
) if {
	not effect_granted
	"read" in granted_effects
}

# --------------------------------------------------------------------------- approvals

# Approvals do not exist yet: a call that needs one is denied.
deny contains reason(
	"approval.required",
	sprintf("tool '%s' has effect payment and needs a human approval", [tool_name]),
	["LLM06", "ASI02"],
) if {
	require_approval
}
