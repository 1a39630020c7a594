# Tests for the run-context rules (run.rego): `callgate policy test policies`.
package callgate_run_test

import rego.v1

import data.callgate

tool(name, effect) := {
	"name": name,
	"effect": effect,
	"risk": "low",
	"tags": [],
	"trust": "trusted",
	"upstream": "http://127.0.0.1:9000/",
	"credentials": ["default"],
	"default_credential": "default",
}

gateway := {
	"agents": {"agent-1": {"tenants": ["acme"]}},
	"tools": {
		"web": object.union(tool("web", "read"), {"trust": "untrusted"}),
		"notes": tool("notes", "write"),
		"files": tool("files", "delete"),
		"pay": tool("pay", "payment"),
		"mail": tool("mail", "external_send"),
		"share": tool("share", "permission"),
		"fetch": tool("fetch", "read"),
	},
	"extra": {},
}

scopes := [
	"tool:web", "tool:notes:write", "tool:files:delete", "tool:pay:payment",
	"tool:mail:external_send", "tool:share:permission", "tool:fetch",
]

empty_run := {
	"id": null, "tainted": false, "sources": [], "findings": [],
	"destinations": [], "destination_count": 0, "argument_destinations": [], "truncated": [],
}

tainted_run := object.union(empty_run, {
	"id": "run-1",
	"tainted": true,
	"sources": [{"tool": "web", "trust": "untrusted"}],
	"destinations": [
		{"value": "GB33BUKB20201555555555", "kind": "iban", "tool": "web"},
		{"value": "pay.evil.example", "kind": "host", "tool": "web"},
	],
})

clean_run := object.union(empty_run, {"id": "run-2", "sources": [{"tool": "fetch", "trust": "trusted"}]})

call(name, run, arg_dests) := {
	"version": 1,
	"agent": {"id": "agent-1", "tenant": "acme", "scopes": scopes, "on_behalf_of": null, "claims": {}},
	"tool": gateway.tools[name],
	"call": {
		"protocol": "http", "method": "POST", "path": "/", "query": "", "mcp_method": null,
		"arguments": {}, "intent": null, "idempotency_key": null, "run_id": run.id,
	},
	"findings": [],
	"usage": {},
	"approval": null,
	"now": "2026-11-28T20:00:00Z",
	"run": object.union(run, {"argument_destinations": arg_dests}),
}

codes(d) := {r.code | some r in d.reasons}

decide(name, run, arg_dests) := d if {
	d := callgate.decision with input as call(name, run, arg_dests) with data.gateway as gateway
}

# --------------------------------------------------------------------------- outside a run, or a clean run

test_effects_pass_outside_a_run if {
	every name in ["notes", "files", "mail", "share", "fetch", "web"] {
		decide(name, empty_run, []).allow
	}
}

test_input_without_run_field_is_not_tainted if {
	inp := object.remove(call("mail", empty_run, []), ["run"])
	d := callgate.decision with input as inp with data.gateway as gateway
	d.allow
}

test_clean_run_passes if {
	d := decide("mail", clean_run, [])
	d.allow
	d.require_approval == false
}

test_payment_still_needs_approval_in_a_clean_run if {
	d := decide("pay", clean_run, [])
	d.require_approval
	codes(d) == {"approval.required"}
}

# --------------------------------------------------------------------------- tainted run: approvals

test_tainted_run_needs_approval_for_each_taint_effect if {
	every name in ["files", "mail", "share", "pay"] {
		d := decide(name, tainted_run, [])
		d.allow == false
		d.require_approval == true
		codes(d) == {"approval.required"}
	}
}

test_tainted_reason_names_the_source if {
	d := decide("mail", tainted_run, [])
	some r in d.reasons
	contains(r.message, "untrusted content (from web)")
	r.owasp == ["LLM01", "ASI01"]
}

test_tainted_run_leaves_read_and_write_alone if {
	every name in ["fetch", "web", "notes"] {
		d := decide(name, tainted_run, [])
		d.allow
		d.require_approval == false
	}
}

test_injection_finding_names_its_tool if {
	run := object.union(tainted_run, {
		"sources": [{"tool": "fetch", "trust": "trusted"}],
		"findings": [{"tool": "fetch", "detector": "injection", "kind": "override", "severity": "high", "owasp": ["LLM01"]}],
	})
	d := decide("files", run, [])
	d.require_approval
	some r in d.reasons
	contains(r.message, "(from fetch)")
}

test_tainted_flag_false_means_no_approval_even_with_untrusted_sources_listed if {
	# the gateway decides what taints; policy trusts the flag
	run := object.union(tainted_run, {"tainted": false, "destinations": []})
	decide("mail", run, []).allow
}

# --------------------------------------------------------------------------- tainted run: destinations

test_paying_an_iban_from_untrusted_output_is_denied if {
	d := decide("pay", tainted_run, [{"value": "GB33BUKB20201555555555", "kind": "iban", "path": "/to_iban"}])
	d.allow == false
	"run.destination_untrusted" in codes(d)
	some r in d.reasons
	r.code == "run.destination_untrusted"
	contains(r.message, "/to_iban")
	contains(r.message, "tool 'web'")
}

test_hard_denial_is_not_only_an_approval if {
	d := decide("mail", tainted_run, [{"value": "pay.evil.example", "kind": "host", "path": "/body"}])
	codes(d) == {"approval.required", "run.destination_untrusted"}
}

test_sharing_with_an_untrusted_destination_is_denied if {
	d := decide("share", tainted_run, [{"value": "pay.evil.example", "kind": "host", "path": "/with"}])
	"run.destination_untrusted" in codes(d)
}

test_other_destination_only_needs_approval if {
	d := decide("pay", tainted_run, [{"value": "GB82WEST12345698765432", "kind": "iban", "path": "/to_iban"}])
	codes(d) == {"approval.required"}
}

test_reading_a_link_from_untrusted_output_is_allowed if {
	# following a link is browsing, not sending data: only destination effects are checked
	d := decide("fetch", tainted_run, [{"value": "pay.evil.example", "kind": "host", "path": "/url"}])
	d.allow
}

test_delete_is_not_a_destination_effect if {
	d := decide("files", tainted_run, [{"value": "pay.evil.example", "kind": "host", "path": "/p"}])
	codes(d) == {"approval.required"}
}

test_reasons_stay_sorted if {
	d := decide("mail", tainted_run, [{"value": "pay.evil.example", "kind": "host", "path": "/body"}])
	[r.code | some r in d.reasons] == ["approval.required", "run.destination_untrusted"]
}

# --------------------------------------------------------------------------- require_run (opt-in)

test_require_run_denies_effects_outside_a_run if {
	g := object.union(gateway, {"extra": {"require_run": true}})
	d := callgate.decision with input as call("mail", empty_run, []) with data.gateway as g
	codes(d) == {"run.required"}
	r := callgate.decision with input as call("fetch", empty_run, []) with data.gateway as g
	r.allow
	c := callgate.decision with input as call("mail", clean_run, []) with data.gateway as g
	c.allow
}

test_require_run_is_off_by_default if {
	decide("mail", empty_run, []).allow
}

# --------------------------------------------------------------------------- approved retries

# The approval flow defines data.callgate.approved (a verified approval with enough
# approvers): an approved retry in a tainted run is not held again, but an untrusted
# destination stays denied.
test_approved_retry_in_a_tainted_run_passes if {
	d := callgate.decision with input as call("mail", tainted_run, []) with data.gateway as gateway
		with data.callgate.approved as true
	d.allow
	d.require_approval == false
}

test_approved_retry_still_cannot_reach_an_untrusted_destination if {
	inp := call("pay", tainted_run, [{"value": "GB33BUKB20201555555555", "kind": "iban", "path": "/to_iban"}])
	d := callgate.decision with input as inp with data.gateway as gateway with data.callgate.approved as true
	d.allow == false
	"run.destination_untrusted" in codes(d)
}
