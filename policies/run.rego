# callgate default pack: run context (input.run).
#
# What detection misses, data flow catches. A run (X-Agent-Run, or the MCP session)
# is tainted once it has read an untrusted tool's output, or any output with an
# injection finding (the gateway sets input.run.tainted). Then:
#
# - a tool whose effect is in taint_effects needs a human approval;
# - a call whose effect is in destination_effects and whose arguments name a
#   destination (URL host, e-mail address, IBAN) that first appeared in untrusted
#   output of this run is denied outright: no approval makes paying an IBAN that a
#   web page supplied safe.
#
# input.run = {id, tainted, sources: [{tool, trust}], findings: [{tool, detector, kind,
# severity, owasp}], argument_destinations: [{value, kind, path}] (in this call's
# arguments and query), destinations: [{value, kind, tool}] (the run's untrusted
# destinations among those), destination_count, truncated: [...]}; id null outside a run.
package callgate

import rego.v1

run_ctx := object.get(input, "run", {})

run_tainted if run_ctx.tainted == true

taint_effects := {"payment", "delete", "permission", "external_send"}

destination_effects := {"payment", "external_send", "permission"}

run_untrusted_sources contains s.tool if {
	some s in object.get(run_ctx, "sources", [])
	s.trust == "untrusted"
}

run_injected_tools contains f.tool if {
	some f in object.get(run_ctx, "findings", [])
	f.detector in {"injection", "classifier"}
}

run_taint_origin := concat(", ", sort(run_untrusted_sources | run_injected_tools))

require_approval if count(run_approval_reasons) > 0

run_approval_reasons contains reason(
	"approval.required",
	sprintf("this run has read untrusted content (from %s); tool '%s' has effect %s and needs a human approval", [
		run_taint_origin, tool_name, tool_effect,
	]),
	["LLM01", "ASI01"],
) if {
	run_tainted
	tool_effect in taint_effects
	not data.callgate.approved # the approval flow's rule (callgate.rego); undefined without it
}

# An approval reason is a denial until it is approved (see callgate.rego "approvals").
deny contains r if some r in run_approval_reasons

run_untrusted_destinations := {d.value: d | some d in object.get(run_ctx, "destinations", [])}

deny contains reason(
	"run.destination_untrusted",
	sprintf("argument '%s' names %s %s, which first appeared in the output of untrusted tool '%s' in this run", [
		a.path, a.kind, a.value, d.tool,
	]),
	["LLM01", "ASI01", "LLM02"],
) if {
	tool_effect in destination_effects
	some a in object.get(run_ctx, "argument_destinations", [])
	d := run_untrusted_destinations[a.value]
}

# Opt-in (policy.data: {require_run: true}): an effectful call outside any run is denied,
# so an agent cannot escape taint tracking by leaving out X-Agent-Run.
run_required if object.get(object.get(data.gateway, "extra", {}), "require_run", false) == true

deny contains reason(
	"run.required",
	sprintf("tool '%s' has effect %s; this deployment requires calls to name their run (X-Agent-Run)", [
		tool_name, tool_effect,
	]),
	["ASI01"],
) if {
	run_required
	tool_effect in taint_effects
	object.get(run_ctx, "id", null) == null
}
