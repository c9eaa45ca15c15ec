# Small advisory data and clouds for the advisory checks' tests, in the shape
# policies/advisory gives data.csaudit.advisories.
package csaudit.checks.advisory.testdata

import data.csaudit.testlib

entry(id, fields) := object.union(
	{
		"id": id, "kind": "advisory", "published": "2024-07-19", "severity_word": "important", "severity": "high",
		"affected": [], "affected_text": "", "fixed": [], "fixed_text": "none", "component": "component", "summary": "summary",
		"mitigation": "upgrade", "detectable_by": "version only", "conditions": [], "sides": ["management_server"], "source": "src",
	},
	fields,
)

cond(op, v) := {"op": op, "version": v}

setting_on(name) := {"kind": "setting", "name": name, "value": "true", "text": sprintf("%s=true", [name]), "gating": true}

hypervisor(hv) := {"kind": "hypervisor", "value": hv, "text": sprintf("%s hosts present", [hv]), "gating": true}

saml := entry("CVE-SAML", {
	"affected": [[cond(">=", [4, 5, 0, 0]), cond("<=", [4, 18, 2, 1])], [cond(">=", [4, 19, 0, 0]), cond("<=", [4, 19, 0, 2])]],
	"affected_text": ">=4.5.0,<=4.18.2.1;>=4.19.0.0,<=4.19.0.2", "fixed": [[4, 18, 2, 2], [4, 19, 1, 0]], "fixed_text": "4.18.2.2,4.19.1.0",
	"mitigation": "Set saml2.enabled=false.", "detectable_by": "saml2.enabled=true", "conditions": [setting_on("saml2.enabled")],
})

quota := entry("CVE-QUOTA", {
	"severity_word": "moderate", "severity": "medium",
	"affected": [[cond(">=", [4, 7, 0, 0]), cond("<=", [4, 18, 2, 3])], [cond(">=", [4, 19, 0, 0]), cond("<=", [4, 19, 1, 1])]],
	"fixed": [[4, 18, 2, 4], [4, 19, 1, 2]], "fixed_text": "4.18.2.4,4.19.1.2",
	"detectable_by": "quota.enable.service=true", "conditions": [setting_on("quota.enable.service")],
})

kvm := entry("CVE-KVM", {
	"severity_word": "critical", "severity": "critical", "sides": ["management_server", "kvm_agent"],
	"affected": [[cond(">=", [4, 0, 0, 0]), cond("<=", [4, 20, 3, 0])], [cond(">=", [4, 21, 0, 0]), cond("<=", [4, 22, 1, 0])]],
	"fixed": [[4, 20, 3, 1], [4, 22, 1, 1]], "fixed_text": "4.20.3.1,4.22.1.1",
	"mitigation": "upgrade; then regenerate the keys.",
	"detectable_by": "KVM hosts present", "conditions": [hypervisor("KVM")],
})

old := entry("CVE-OLD", {"severity_word": "low", "severity": "low", "affected": [[cond("<", [4, 16, 1, 0])]], "fixed": [[4, 16, 1, 0]], "fixed_text": "4.16.1.0"})

bug := entry("1234 (fix PR 1235)", {
	"kind": "bug", "severity": "high", "data_loss": true, "affected": [[cond("=", [4, 19, 0, 1])]], "fixed": [[4, 19, 1, 0]],
	"fixed_text": "4.19.1.0", "detectable_by": "hosts with hypervisor_type XenServer", "conditions": [hypervisor("XenServer")],
})

hook := entry("CVE-HOOK", {
	"affected": [[cond("=", [4, 20, 3, 0])]], "fixed": [[4, 20, 3, 1]], "fixed_text": "4.20.3.1",
	"detectable_by": "webhooks configured (rows in webhook table)",
	"conditions": [{"kind": "table", "table": "webhook", "text": "webhooks configured (rows in webhook table)", "gating": true}],
})

advisories := {"source": "test", "date": "2026-08-21", "sha256": "x", "entries": {e.id: e | some e in [saml, quota, kvm, old, bug, hook]}}

covered := {"collector": "database", "selected": true, "collected": ["x"]}

full_coverage := {"db.mshost": covered, "db.host": covered, "db.storage_pool": covered, "settings": covered}

# cloud: two Up management servers at ms_version, KVM hosts at agent_version
# (none when null), settings overriding testlib's.
cloud(ms_version, agent_version, settings) := object.union(
	testlib.with_settings(
		testlib.snapshot({
			"mshost": {
				"1": testlib.mshost(1, {"version": ms_version}),
				"2": testlib.mshost(2, {"version": ms_version}),
			},
			"host": {sprintf("%v", [i]): testlib.host(i, {"version": agent_version}) | some i in numbers.range(1, 3); agent_version != null},
		}),
		object.union(
			{
				"saml2.enabled": testlib.default_of("false"),
				"quota.enable.service": testlib.default_of("false"),
			},
			settings,
		),
	),
	{"coverage": full_coverage},
)

ids(findings) := {f.discriminator | some f in findings}

by_id(findings) := {f.discriminator: f | some f in findings}
