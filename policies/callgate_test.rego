# Tests for the default pack: `callgate policy test policies` (or `opa test policies`).
package callgate_test

import rego.v1

import data.callgate

# --------------------------------------------------------------------------- fixtures

tool_doc(name, effect) := {
	"name": name,
	"effect": effect,
	"risk": "low",
	"tags": [],
	"upstream": "http://127.0.0.1:9000/",
	"credentials": ["default"],
	"default_credential": "default",
}

gateway := {
	"agents": {
		"agent-1": {"tenants": ["acme"]},
		"agent-any": {"tenants": []},
	},
	"tools": {
		"echo": tool_doc("echo", "read"),
		"notes": tool_doc("notes", "write"),
		"files": tool_doc("files", "delete"),
		"pay": tool_doc("pay", "payment"),
		"demo.search": tool_doc("demo.search", "read"),
		"demo.write": tool_doc("demo.write", "write"),
		"bare": object.union(tool_doc("bare", "read"), {"credentials": [], "default_credential": null}),
	},
	"extra": {},
}

gateway_open := object.union(gateway, {"agents": null})

call(agent, tenant, scopes, tool) := {
	"version": 1,
	"agent": {"id": agent, "tenant": tenant, "scopes": scopes, "on_behalf_of": null, "claims": {}},
	"tool": object.get(gateway.tools, tool, tool_doc(tool, "read")),
	"call": {
		"protocol": "http",
		"method": "POST",
		"path": "/",
		"query": "",
		"mcp_method": null,
		"arguments": {"q": "hello"},
		"intent": null,
		"idempotency_key": null,
		"run_id": null,
	},
	"findings": [],
	"usage": {},
	"approval": null,
	"now": "2026-11-23T20:00:00Z",
}

# A call by agent-1 for tenant acme with the given scopes.
acme(scopes, tool) := call("agent-1", "acme", scopes, tool)

codes(d) := [r.code | some r in d.reasons]

# --------------------------------------------------------------------------- decision shape

test_decision_has_every_field if {
	d := callgate.decision with input as acme(["tool:echo"], "echo") with data.gateway as gateway
	object.keys(d) == {"allow", "reasons", "require_approval", "approvals_required", "credential", "redact", "cost"}
	d.allow == true
	d.reasons == []
	d.require_approval == false
	d.credential == "default"
	d.redact == []
	d.cost == null
}

test_denied_decision_is_complete if {
	d := callgate.decision with input as acme([], "pay") with data.gateway as gateway
	d.allow == false
	is_array(d.reasons)
	d.require_approval == true
	d.credential == "default"
	d.cost == null
}

test_reasons_are_sorted_by_code if {
	d := callgate.decision with input as call("stranger", null, [], "nope") with data.gateway as gateway
	codes(d) == ["agent.unknown", "scope.missing", "tool.unknown"]
}

test_reasons_carry_owasp_lists if {
	d := callgate.decision with input as call("stranger", null, [], "nope") with data.gateway as gateway
	every r in d.reasons {
		is_array(r.owasp)
		is_string(r.message)
	}
}

test_malformed_input_is_denied if {
	d := callgate.decision with input as {} with data.gateway as gateway
	d.allow == false
	"input.version_unsupported" in codes(d)
}

test_other_input_version_is_denied if {
	inp := object.union(acme(["tool:echo"], "echo"), {"version": 2})
	d := callgate.decision with input as inp with data.gateway as gateway
	codes(d) == ["input.version_unsupported"]
}

test_credential_is_the_tools_default if {
	d := callgate.decision with input as acme(["tool:echo"], "echo") with data.gateway as gateway
	d.credential == "default"
}

test_credential_null_without_default if {
	d := callgate.decision with input as acme(["tool:bare"], "bare") with data.gateway as gateway
	d.allow == true
	d.credential == null
}

# --------------------------------------------------------------------------- agents

test_unknown_agent_denied if {
	d := callgate.decision with input as call("stranger", "acme", ["tool:echo"], "echo") with data.gateway as gateway
	d.allow == false
	codes(d) == ["agent.unknown"]
	d.reasons[0].owasp == ["ASI03"]
}

test_known_agent_allowed if {
	callgate.allow with input as acme(["tool:echo"], "echo") with data.gateway as gateway
}

test_any_agent_when_agents_null if {
	callgate.allow with input as call("stranger", null, ["tool:echo"], "echo") with data.gateway as gateway_open
}

test_any_agent_when_agents_absent if {
	gw := object.remove(gateway, ["agents"])
	callgate.allow with input as call("stranger", null, ["tool:echo"], "echo") with data.gateway as gw
}

# --------------------------------------------------------------------------- tenants

test_tenant_not_allowed if {
	d := callgate.decision with input as call("agent-1", "globex", ["tool:echo"], "echo") with data.gateway as gateway
	codes(d) == ["agent.tenant_not_allowed"]
}

test_missing_tenant_not_allowed_when_listed if {
	d := callgate.decision with input as call("agent-1", null, ["tool:echo"], "echo") with data.gateway as gateway
	codes(d) == ["agent.tenant_not_allowed"]
}

test_listed_tenant_allowed if {
	callgate.allow with input as call("agent-1", "acme", ["tool:echo"], "echo") with data.gateway as gateway
}

test_empty_tenant_list_allows_any_tenant if {
	callgate.allow with input as call("agent-any", "globex", ["tool:echo"], "echo") with data.gateway as gateway
}

test_no_tenant_check_when_agents_null if {
	callgate.allow with input as call("agent-1", "globex", ["tool:echo"], "echo") with data.gateway as gateway_open
}

# --------------------------------------------------------------------------- tools

test_unknown_tool_denied if {
	d := callgate.decision with input as acme(["tool:*"], "nope") with data.gateway as gateway
	d.allow == false
	codes(d) == ["tool.unknown"]
}

test_known_tool_is_not_unknown if {
	d := callgate.decision with input as acme([], "echo") with data.gateway as gateway
	not "tool.unknown" in codes(d)
}

# --------------------------------------------------------------------------- scopes

test_scope_grants_read if {
	callgate.allow with input as acme(["tool:echo"], "echo") with data.gateway as gateway
}

test_no_scope_denied if {
	d := callgate.decision with input as acme([], "echo") with data.gateway as gateway
	d.allow == false
	d.reasons == [{
		"code": "scope.missing",
		"message": "no scope grants tool 'echo' (needs scope tool:echo)",
		"owasp": ["LLM06", "ASI03"],
	}]
}

test_other_tools_scope_does_not_grant if {
	d := callgate.decision with input as acme(["tool:notes:write", "tool:echoes"], "echo") with data.gateway as gateway
	codes(d) == ["scope.missing"]
}

test_scope_names_effect if {
	callgate.allow with input as acme(["tool:notes:write"], "notes") with data.gateway as gateway
}

test_read_scope_on_write_tool_is_effect_missing if {
	d := callgate.decision with input as acme(["tool:notes"], "notes") with data.gateway as gateway
	d.reasons == [{
		"code": "scope.effect_missing",
		"message": "tool 'notes' has effect write; the agent's scopes grant it only for read (needs scope tool:notes:write)",
		"owasp": ["LLM06", "ASI02"],
	}]
}

test_explicit_read_scope_grants_read if {
	callgate.allow with input as acme(["tool:echo:read"], "echo") with data.gateway as gateway
}

test_write_scope_does_not_grant_read if {
	d := callgate.decision with input as acme(["tool:echo:write"], "echo") with data.gateway as gateway
	codes(d) == ["scope.missing"]
}

test_other_effect_scope_does_not_grant if {
	d := callgate.decision with input as acme(["tool:files:write"], "files") with data.gateway as gateway
	codes(d) == ["scope.missing"]
}

test_glob_scope_grants_server_tools if {
	callgate.allow with input as acme(["tool:demo.*"], "demo.search") with data.gateway as gateway
}

test_glob_scope_stays_on_its_server if {
	d := callgate.decision with input as acme(["tool:demo.*"], "echo") with data.gateway as gateway
	codes(d) == ["scope.missing"]
}

test_glob_scope_grants_read_only if {
	d := callgate.decision with input as acme(["tool:demo.*"], "demo.write") with data.gateway as gateway
	codes(d) == ["scope.effect_missing"]
}

test_star_grants_every_read if {
	callgate.allow with input as acme(["tool:*"], "echo") with data.gateway as gateway
	callgate.allow with input as acme(["tool:*"], "demo.search") with data.gateway as gateway
}

# `*` never crosses a ":" (regorus' glob.match would let it; the pack matches per segment).
test_star_does_not_grant_other_effects if {
	d := callgate.decision with input as acme(["tool:*"], "notes") with data.gateway as gateway
	codes(d) == ["scope.effect_missing"]
}

test_effect_star_grants_every_effect if {
	callgate.allow with input as acme(["tool:notes:*"], "notes") with data.gateway as gateway
	callgate.allow with input as acme(["tool:files:*"], "files") with data.gateway as gateway
	callgate.allow with input as acme(["tool:echo:*"], "echo") with data.gateway as gateway
}

test_effect_star_stays_on_its_tool if {
	d := callgate.decision with input as acme(["tool:notes:*"], "files") with data.gateway as gateway
	codes(d) == ["scope.missing"]
}

test_extra_segment_does_not_grant if {
	d := callgate.decision with input as acme(["tool:echo:read:x"], "echo") with data.gateway as gateway
	codes(d) == ["scope.missing"]
}

test_wildcard_extra_segment_does_not_grant if {
	d := callgate.decision with input as acme(["tool:*:read:x", "tool:echo:*:*"], "echo") with data.gateway as gateway
	codes(d) == ["scope.missing"]
}

test_wildcard_effect_scope_does_not_grant_read if {
	d := callgate.decision with input as acme(["tool:*:write", "tool:demo.*:write"], "demo.search") with data.gateway as gateway
	codes(d) == ["scope.missing"]
}

test_odd_scopes_are_ignored if {
	d := callgate.decision with input as acme(["openid", "tool:[echo", "tool:{echo}", "tool:ech?", "", "TOOL:echo"], "echo") with data.gateway as gateway
	codes(d) == ["scope.missing"]
}

# Only `*` is a wildcard: other glob syntax grants nothing and never makes evaluation fail.
test_other_glob_syntax_is_not_a_grant if {
	d := callgate.decision with input as acme(["tool:e?*", "tool:[e]*", "tool:{echo,x}*", "tool:\\*", "tool:[*", "*"], "echo") with data.gateway as gateway
	codes(d) == ["scope.missing"]
}

# --------------------------------------------------------------------------- approvals

test_payment_requires_approval if {
	d := callgate.decision with input as acme(["tool:pay:payment"], "pay") with data.gateway as gateway
	d.allow == false
	d.require_approval == true
	codes(d) == ["approval.required"]
	d.reasons[0].owasp == ["LLM06", "ASI02"]
}

test_approved_payment_is_allowed if {
	inp := object.union(acme(["tool:pay:payment"], "pay"), {"approval": {"id": "apr_1", "approvers": ["alice"], "granted_at": "2026-11-23T20:00:00Z"}})
	d := callgate.decision with input as inp with data.gateway as gateway
	d.allow == true
	d.require_approval == false
	d.approvals_required == 1
}

test_approval_with_too_few_approvers_is_not_enough if {
	base := acme(["tool:pay:payment"], "pay")
	tool := object.union(base.tool, {"risk": "critical"})
	inp := object.union(base, {"tool": tool, "approval": {"id": "apr_1", "approvers": ["alice"], "granted_at": "x"}})
	d := callgate.decision with input as inp with data.gateway as gateway
	d.allow == false
	d.require_approval == true
	d.approvals_required == 2
	codes(d) == ["approval.required"]
}

test_two_approvers_satisfy_critical_tools if {
	base := acme(["tool:pay:payment"], "pay")
	tool := object.union(base.tool, {"risk": "critical"})
	inp := object.union(base, {"tool": tool, "approval": {"id": "apr_1", "approvers": ["alice", "bob"], "granted_at": "x"}})
	d := callgate.decision with input as inp with data.gateway as gateway
	d.allow == true
	d.require_approval == false
}

test_other_effects_need_no_approval if {
	d := callgate.decision with input as acme(["tool:files:delete"], "files") with data.gateway as gateway
	d.allow == true
	d.require_approval == false
}

# --------------------------------------------------------------------------- output

test_output_decision_allows_for_now if {
	inp := object.union(acme(["tool:echo"], "echo"), {"output": {"status": 200, "findings": []}})
	d := callgate.output_decision with input as inp with data.gateway as gateway
	d == {"allow": true, "reasons": [], "redact": []}
}

# --------------------------------------------------------------------------- MCP tools

gateway_mcp := object.union(gateway, {"mcp_servers": {"docs": tool_doc("docs", "read")}})

mcp_call(scopes, server, name, effect) := object.union(acme(scopes, "x"), {
	"tool": object.union(tool_doc(concat(".", [server, name]), effect), {"mcp_server": server, "mcp_tool": name}),
	"call": object.union(acme(scopes, "x").call, {"protocol": "mcp", "mcp_method": "tools/call"}),
})

test_mcp_tool_of_a_configured_server_is_known_and_granted_by_wildcard if {
	d := callgate.decision with input as mcp_call(["tool:docs.*"], "docs", "search", "read")
		with data.gateway as gateway_mcp
	d.allow
}

test_mcp_tool_of_an_unknown_server_is_unknown if {
	d := callgate.decision with input as mcp_call(["tool:other.*"], "other", "search", "read")
		with data.gateway as gateway_mcp
	"tool.unknown" in codes(d)
}

test_mcp_server_does_not_make_http_tools_known if {
	inp := object.union(mcp_call(["tool:docs.*"], "docs", "search", "read"), {"call": acme([], "x").call})
	d := callgate.decision with input as inp with data.gateway as gateway_mcp
	"tool.unknown" in codes(d)
}

test_mcp_write_tool_needs_the_write_scope if {
	d := callgate.decision with input as mcp_call(["tool:docs.*"], "docs", "edit", "write")
		with data.gateway as gateway_mcp
	"scope.effect_missing" in codes(d)
}

# --------------------------------------------------------------------------- findings (arguments)

fnd(detector, kind, severity, owasp) := {
	"detector": detector, "kind": kind, "surface": "request_arg", "severity": severity,
	"confidence": 0.9, "owasp": owasp, "path": "/url", "evidence": "x",
}

with_findings(fs) := object.union(acme(["tool:echo"], "echo"), {"findings": fs})

test_high_finding_denies_with_its_owasp_ids if {
	d := callgate.decision with input as with_findings([fnd("ssrf", "loopback_address", "high", ["LLM06", "ASI02"])])
		with data.gateway as gateway
	d.allow == false
	codes(d) == ["inspect.ssrf"]
	d.reasons[0].owasp == ["LLM06", "ASI02"]
}

test_critical_finding_denies if {
	d := callgate.decision with input as with_findings([fnd("injection", "role_marker", "critical", ["LLM01", "ASI01"])])
		with data.gateway as gateway
	codes(d) == ["inspect.injection"]
}

test_every_detector_code_is_namespaced if {
	fs := [
		fnd("injection", "instruction_override", "high", ["LLM01", "ASI01"]),
		fnd("secrets", "aws_access_key", "high", ["LLM02"]),
		fnd("shell_injection", "metacharacter", "high", ["LLM05", "ASI05"]),
		fnd("limits", "too_deep", "high", ["LLM10"]),
	]
	d := callgate.decision with input as with_findings(fs) with data.gateway as gateway
	codes(d) == ["inspect.injection", "inspect.limits", "inspect.secrets", "inspect.shell_injection"]
}

test_medium_finding_requires_approval if {
	d := callgate.decision with input as with_findings([fnd("pii", "payment_card", "medium", ["LLM02"])])
		with data.gateway as gateway
	d.allow == false
	d.require_approval == true
	codes(d) == ["approval.required"]
	d.reasons[0].owasp == ["LLM02"]
}

test_low_finding_is_only_recorded if {
	d := callgate.decision with input as with_findings([fnd("pii", "email", "low", ["LLM02"]), fnd("x", "y", "info", [])])
		with data.gateway as gateway
	d.allow == true
	d.require_approval == false
}

# --------------------------------------------------------------------------- output decision

out(fs, action) := object.union(
	object.union(acme(["tool:echo"], "echo"), {"output": {"status": 200, "findings": fs}}),
	{"tool": object.union(tool_doc("echo", "read"), {"inspect": {"injection_action": action}})},
)

ofnd(detector, kind, severity, owasp) := object.union(fnd(detector, kind, severity, owasp), {"surface": "tool_output"})

test_output_without_findings_passes if {
	d := callgate.output_decision with input as out([], "block") with data.gateway as gateway
	d == {"allow": true, "reasons": [], "redact": []}
}

test_output_injection_blocks if {
	fs := [ofnd("injection", "instruction_override", "high", ["LLM01", "ASI01"])]
	d := callgate.output_decision with input as out(fs, "block") with data.gateway as gateway
	d.allow == false
	codes(d) == ["output.injection"]
	d.reasons[0].owasp == ["LLM01", "ASI01"]
}

test_output_injection_blocks_without_tool_setting if {
	fs := [ofnd("injection", "instruction_override", "high", ["LLM01", "ASI01"])]
	inp := object.union(acme(["tool:echo"], "echo"), {"output": {"status": 200, "findings": fs}})
	d := callgate.output_decision with input as inp with data.gateway as gateway
	d.allow == false
}

test_output_injection_stripped_when_configured if {
	fs := [ofnd("injection", "instruction_override", "high", ["LLM01", "ASI01"])]
	d := callgate.output_decision with input as out(fs, "strip") with data.gateway as gateway
	d.allow == true
	d.redact == ["instruction_override"]
	codes(d) == ["output.redacted"]
}

test_output_medium_injection_passes if {
	fs := [ofnd("injection", "markdown_link_exfil", "medium", ["LLM01", "ASI01", "LLM02"])]
	d := callgate.output_decision with input as out(fs, "block") with data.gateway as gateway
	d.allow == true
	d.redact == []
}

test_output_contact_pii_kept_by_default if {
	fs := [
		ofnd("pii", "email", "low", ["LLM02"]),
		ofnd("pii", "phone", "low", ["LLM02"]),
		ofnd("pii", "iban", "low", ["LLM02"]),
	]
	d := callgate.output_decision with input as out(fs, "block") with data.gateway as gateway
	d.allow == true
	d.redact == []
}

test_output_cards_redacted_by_default_and_decoded_kinds_count if {
	fs := [ofnd("pii", "payment_card", "medium", ["LLM02"]), ofnd("pii", "us_ssn_via_base64", "medium", ["LLM02"])]
	d := callgate.output_decision with input as out(fs, "block") with data.gateway as gateway
	d.redact == ["payment_card", "us_ssn_via_base64"]
}

test_output_pii_redacted_when_the_tool_opts_in if {
	fs := [ofnd("secrets", "aws_access_key", "high", ["LLM02"]), ofnd("pii", "email", "low", ["LLM02"])]
	inp := object.union(out(fs, "block"), {"tool": {"inspect": {"redact": ["email"]}}})
	d := callgate.output_decision with input as inp with data.gateway as gateway
	d.redact == ["aws_access_key", "email"]
}

test_output_terminal_controls_redacted_colours_and_cursor_recorded if {
	fs := [
		ofnd("terminal", "terminal_clipboard", "high", ["LLM05"]),
		ofnd("terminal", "terminal_concealed", "medium", ["LLM05"]),
		ofnd("terminal", "terminal_cursor", "low", ["LLM05"]),
		ofnd("terminal", "terminal_hyperlink", "low", ["LLM05"]),
		ofnd("bidi", "bidi_control", "medium", ["LLM05"]),
		ofnd("bidi", "bidi_override", "low", ["LLM05"]),
	]
	d := callgate.output_decision with input as out(fs, "block") with data.gateway as gateway
	d.allow == true
	d.redact == ["bidi_control", "terminal_clipboard", "terminal_concealed"]
}

test_arguments_terminal_clipboard_denied_concealed_needs_approval if {
	deny := callgate.decision with input as object.union(acme(["tool:echo"], "echo"), {"findings": [fnd("terminal", "terminal_clipboard", "high", ["LLM05"])]})
		with data.gateway as gateway
	deny.allow == false
	codes(deny) == ["inspect.terminal"]
	held := callgate.decision with input as object.union(acme(["tool:echo"], "echo"), {"findings": [fnd("terminal", "terminal_concealed", "medium", ["LLM05"])]})
		with data.gateway as gateway
	held.require_approval == true
}

test_output_secrets_redacted if {
	fs := [ofnd("secrets", "aws_access_key", "high", ["LLM02"]), ofnd("pii", "email", "low", ["LLM02"])]
	d := callgate.output_decision with input as out(fs, "block") with data.gateway as gateway
	d.allow == true
	d.redact == ["aws_access_key"]
	every r in d.reasons {
		r.code == "output.redacted"
		r.owasp == ["LLM02"]
	}
}

# --------------------------------------------------------------------------- MCP methods (issue 9)

mcp_gateway := object.union(gateway, {"mcp_servers": {"demo": tool_doc("demo", "read")}})

# A message of MCP server demo: tools/call runs as tool demo.<name>, anything else as demo.
mcp(scopes, method, tool_name) := object.union(acme(scopes, "echo"), {
	"tool": object.union(tool_doc(tool_name, "read"), {"mcp_server": "demo", "mcp_tool": mcp_tool_of(tool_name)}),
	"call": object.union(acme(scopes, "echo").call, {"protocol": "mcp", "mcp_method": method}),
})

mcp_tool_of(name) := null if name == "demo"

mcp_tool_of(name) := substring(name, 5, -1) if name != "demo"

test_mcp_lifecycle_needs_no_scope if {
	every m in ["initialize", "ping", "tools/list", "notifications/initialized", "server/discover"] {
		callgate.decision.allow with input as mcp([], m, "demo") with data.gateway as mcp_gateway
	}
}

test_mcp_operations_need_a_scope_for_the_server if {
	d := callgate.decision with input as mcp([], "prompts/get", "demo") with data.gateway as mcp_gateway
	"scope.missing" in codes(d)
	callgate.decision.allow with input as mcp(["tool:demo.*"], "prompts/get", "demo") with data.gateway as mcp_gateway
	callgate.decision.allow with input as mcp(["tool:demo"], "resources/read", "demo") with data.gateway as mcp_gateway
}

test_mcp_unknown_method_denied_unless_allowed if {
	d := callgate.decision with input as mcp(["tool:demo"], "vendor/x", "demo") with data.gateway as mcp_gateway
	codes(d) == ["mcp.method_unknown"]
	allowing := object.union(mcp_gateway, {"extra": {"mcp_allow_methods": ["vendor/x"]}})
	callgate.decision.allow with input as mcp(["tool:demo"], "vendor/x", "demo") with data.gateway as allowing
}

test_mcp_server_requests_denied_by_default if {
	d := callgate.decision with input as mcp(["tool:demo"], "sampling/createMessage", "demo")
		with data.gateway as mcp_gateway
	codes(d) == ["mcp.server_request_denied"]
}

test_mcp_tool_call_needs_the_tool_scope if {
	callgate.decision.allow with input as mcp(["tool:demo.echo"], "tools/call", "demo.echo")
		with data.gateway as mcp_gateway
	d := callgate.decision with input as mcp(["tool:demo"], "tools/call", "demo.echo") with data.gateway as mcp_gateway
	"scope.missing" in codes(d)
}

test_output_classifier_finding_blocks if {
	fs := [ofnd("classifier", "model_injection", "high", ["LLM01", "ASI01"])]
	d := callgate.output_decision with input as out(fs, "block") with data.gateway as gateway
	d.allow == false
	codes(d) == ["output.injection"]
}
