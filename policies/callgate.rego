# callgate default policy pack.
#
# Decides one tool call (policy input contract version 1: DESIGN.md "Contracts"):
#
#   data.callgate.decision         {allow, reasons, require_approval, approvals_required, credential, redact, cost}
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

require_approval if {
	input.tool.effect == "payment"
	not approved
}

require_approval if {
	count(approval_findings) > 0
	not approved
}

# How many distinct people must approve: two for critical-risk tools, else one.
default approvals_required := 1

approvals_required := 2 if input.tool.risk == "critical"

default credential := null

credential := input.tool.default_credential if input.tool.default_credential != null

reasons := sort(deny)

decision := {
	"allow": allow,
	"reasons": reasons,
	"require_approval": require_approval,
	"approvals_required": approvals_required,
	"credential": credential,
	"redact": [],
	"cost": null,
}

output_decision := {
	"allow": count(output_deny) == 0,
	"reasons": sort(output_reasons),
	"redact": sort(output_redact),
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
# `granted_effects` is every effect the scopes grant (for rules that need the set).

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

# The checks the decision makes, as `else` chains: the first branch that holds ends the
# evaluation, so the common case (an exact scope) never splits or globs a scope.
# effect_granted answers as `input.tool.effect in granted_effects`; read_granted is
# the `tool:<name>` grant (with effect_granted false, as `"read" in granted_effects`).
read_granted := true if {
	concat(":", ["tool", input.tool.name]) in input.agent.scopes
} else := true if {
	some parts in wildcard_grants
	count(parts) == 2
	segment_matches(parts[1], input.tool.name)
} else := true if {
	mcp_server_read_granted # `tool:<server>.*` grants the server's own operations (MCP methods, below)
} else := false

effect_granted := true if {
	input.tool.effect == "read"
	read_granted
} else := true if {
	concat(":", ["tool", input.tool.name, input.tool.effect]) in input.agent.scopes
} else := true if {
	some parts in wildcard_grants
	count(parts) == 3
	segment_matches(parts[1], input.tool.name)
	segment_matches(parts[2], input.tool.effect)
} else := false

deny contains reason(
	"scope.missing",
	sprintf("no scope grants tool '%s' (needs scope %s)", [tool_name, needed_scope]),
	["LLM06", "ASI03"],
) if {
	not mcp_scope_free
	not effect_granted
	not read_granted
}

deny contains reason(
	"scope.effect_missing",
	sprintf("tool '%s' has effect %s; the agent's scopes grant it only for read (needs scope %s)", [
		tool_name, tool_effect, needed_scope,
	]),
	["LLM06", "ASI02"],
) if {
	not mcp_scope_free
	not effect_granted
	read_granted
}

# --------------------------------------------------------------------------- approvals

# A call that needs approval is held (202 approval.pending) until enough people approve
# it; the retry carries input.approval = {id, approvers, granted_at}, verified by the
# gateway to be granted, unused and bound to exactly this call.
approved if {
	is_object(input.approval)
	count(input.approval.approvers) >= approvals_required
}

deny contains reason(
	"approval.required",
	sprintf("tool '%s' has effect payment and needs a human approval", [tool_name]),
	["LLM06", "ASI02"],
) if {
	tool_effect == "payment"
	not approved
}

deny contains reason(
	"approval.required",
	sprintf("%s finding in the arguments (%s at %s) needs a human approval", [f.detector, f.kind, f.path]),
	f.owasp,
) if {
	some f in approval_findings
	not approved
}

# --------------------------------------------------------------------------- findings (arguments)
#
# Detectors in gateway/inspect/ add findings (input.findings) with their own OWASP ids:
# injection LLM01/ASI01, secrets and pii LLM02, shell/sql/template LLM05/ASI05,
# ssrf/path_traversal/schema LLM06/ASI02, terminal and bidi controls LLM05, limits LLM10.
# By severity:
# high/critical deny, medium needs approval, low/info are only recorded.

findings := object.get(input, "findings", [])

blocking_severities := {"high", "critical"}

deny contains reason(
	concat(".", ["inspect", f.detector]),
	sprintf("%s finding in the arguments: %s at '%s' (%s)", [f.detector, f.kind, f.path, f.evidence]),
	f.owasp,
) if {
	some f in findings
	f.severity in blocking_severities
}

approval_findings contains f if {
	some f in findings
	f.severity == "medium"
}

# --------------------------------------------------------------------------- output decision
#
# input.output = {status, findings}. Indirect prompt injection (LLM01, ASI01) of high
# severity blocks the output, or is stripped when the tool says injection_action:
# strip; secrets and PII (LLM02) are redacted with typed placeholders.

output_findings := object.get(object.get(input, "output", {}), "findings", [])

injection_action := object.get(object.get(object.get(input, "tool", {}), "inspect", {}), "injection_action", "block")

output_injection contains f if {
	some f in output_findings
	f.detector in {"injection", "classifier"}
	f.severity in blocking_severities
}

output_deny contains reason(
	"output.injection",
	# No evidence here: the message goes back to the agent, and the evidence is the
	# attacker's text. The record keeps it in output_findings.
	sprintf("the tool's output carries a prompt injection (%s)", [f.kind]),
	f.owasp,
) if {
	injection_action == "block"
	some f in output_injection
}

# Secrets are always redacted; of PII, card numbers and national ids by default, and the
# kinds the tool lists in inspect.redact (e-mail, phone and IBAN are ordinary tool data:
# an inbox, a calendar, a banking call). A kind found in decoded text ("email_via_url")
# counts as its base kind.
default_redact_pii := {"payment_card", "us_ssn"}

tool_redact_pii := {k | some k in object.get(object.get(object.get(input, "tool", {}), "inspect", {}), "redact", [])}

base_kind(kind) := split(kind, "_via_")[0]

output_redact contains f.kind if {
	some f in output_findings
	f.detector == "secrets"
}

# Terminal control sequences other than colours (clipboard writes, concealed text, reports,
# OSC and control strings, resets) and bidi controls in text without right-to-left letters
# are cut out of answers; hyperlinks, cursor moves (progress bars), shell titles and bidi
# overrides in right-to-left text are only recorded (low).
output_redact contains f.kind if {
	some f in output_findings
	f.detector in {"terminal", "bidi"}
	f.severity in {"medium", "high", "critical"}
}

output_redact contains f.kind if {
	some f in output_findings
	f.detector == "pii"
	base_kind(f.kind) in default_redact_pii
}

output_redact contains f.kind if {
	some f in output_findings
	f.detector == "pii"
	base_kind(f.kind) in tool_redact_pii
}

output_redact contains f.kind if {
	injection_action == "strip"
	some f in output_injection
}

output_reasons contains r if some r in output_deny

output_reasons contains reason(
	"output.redacted",
	sprintf("%s (%s) in the tool's output was redacted", [f.kind, f.detector]),
	f.owasp,
) if {
	some f in output_findings
	f.kind in output_redact
}

# --------------------------------------------------------------------------- MCP methods
#
# Every MCP message is a call with input.call.mcp_method. Tool calls use the tool
# `{server}.{name}`; everything else the server's own entry `{server}` (input.tool
# .mcp_tool is null), which `tool:{server}` or `tool:{server}.*` grants (read).
# Lifecycle methods need no scope (lists are filtered per agent by the gateway).
# Unknown methods and server-initiated requests are denied; allow more with
# data.gateway.extra.mcp_allow_methods (policy.data.mcp_allow_methods in the config).
#
# tools/call is the hot path: every rule here tests for it first (a string compare),
# so it never pays for the method sets.

mcp_method := input.call.mcp_method

mcp_other_method if {
	input.call.protocol == "mcp"
	input.call.mcp_method != "tools/call"
}

mcp_lifecycle := {
	"initialize", "ping", "server/discover",
	"tools/list", "prompts/list", "resources/list", "resources/templates/list",
	"notifications/initialized", "notifications/cancelled", "notifications/progress",
	"notifications/roots/list_changed",
	"session/stream", "session/close",
}

mcp_operations := {
	"tools/call", "prompts/get", "resources/read", "resources/subscribe", "resources/unsubscribe",
	"completion/complete", "logging/setLevel",
}

# Requests a server sends the agent's client: denied unless an author allows them.
mcp_server_requests := {"sampling/createMessage", "elicitation/create", "roots/list"}

mcp_allowed_extra contains m if {
	some m in object.get(object.get(data.gateway, "extra", {}), "mcp_allow_methods", [])
}

mcp_scope_free if {
	mcp_other_method
	mcp_method in mcp_lifecycle
}

mcp_scope_free if {
	mcp_other_method
	mcp_method in mcp_allowed_extra
}

mcp_server_read_granted if {
	input.tool.mcp_tool == null
	input.call.protocol == "mcp"
	concat("", ["tool:", input.tool.name, ".*"]) in input.agent.scopes
}

granted_effects contains "read" if mcp_server_read_granted

deny contains reason(
	"mcp.method_unknown",
	sprintf("MCP method '%v' is not allowed by the policy pack", [mcp_method]),
	["ASI02"],
) if {
	mcp_other_method
	not mcp_method in mcp_lifecycle
	not mcp_method in mcp_operations
	not mcp_method in mcp_server_requests
	not mcp_method in mcp_allowed_extra
}

deny contains reason(
	"mcp.server_request_denied",
	sprintf("the MCP server's request '%v' to the agent is not allowed", [mcp_method]),
	["LLM06", "ASI02"],
) if {
	mcp_other_method
	mcp_method in mcp_server_requests
	not mcp_method in mcp_allowed_extra
}
