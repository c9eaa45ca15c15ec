package csaudit.checks.advisory.published_test

import data.csaudit.checks.advisory.match
import data.csaudit.checks.advisory.published as check
import data.csaudit.checks.advisory.testdata as td
import data.csaudit.testlib

saml_on := {"saml2.enabled": testlib.set_to("true")}

# The issue's acceptance, in small: an older patch release with SAML on and
# Quota off.
test_older_patch_release_saml_on_quota_off if {
	fs := td.by_id(check.deny) with input as td.cloud("4.19.0.1", "4.19.0.1", saml_on)
		with data.csaudit.advisories as td.advisories
	object.keys(fs) == {"CVE-SAML", "CVE-QUOTA", "CVE-KVM"}
	fs["CVE-SAML"].severity == "high"
	fs["CVE-SAML"].resource == {"type": "cloud", "name": "cloud"}
	contains(fs["CVE-SAML"].message, "management servers ms-1, ms-2 run 4.19.0.1 (fixed in 4.19.1.0)")
	fs["CVE-SAML"].evidence.exposure == "exposed"
	fs["CVE-QUOTA"].severity == "info"
	startswith(fs["CVE-QUOTA"].message, "not exposed")
	fs["CVE-KVM"].severity == "critical"
	contains(fs["CVE-KVM"].message, "KVM agents kvm-1, kvm-2, kvm-3 run 4.19.0.1 (no fix on the 4.19 line; fixed in 4.20.3.1)")
}

test_feature_off_is_info_and_on_keeps_severity if {
	off := td.by_id(check.deny) with input as td.cloud("4.19.0.1", "4.19.0.1", {})
		with data.csaudit.advisories as td.advisories
	off["CVE-SAML"].severity == "info"
	on := td.by_id(check.deny) with input as td.cloud("4.19.0.1", "4.19.0.1", saml_on)
		with data.csaudit.advisories as td.advisories
	on["CVE-SAML"].severity == "high"
}

# A domain or zone override counts as on.
test_override_counts_as_on if {
	fs := td.by_id(check.deny) with input as td.cloud("4.19.0.1", null, {"quota.enable.service": {"value": null, "default": "false", "overrides": {"domain": {"3": "true"}}}})
		with data.csaudit.advisories as td.advisories
	fs["CVE-QUOTA"].severity == "medium"
}

# Fixed releases and ranges: the fix itself and the other line are quiet.
test_boundaries if {
	at_fix := td.ids(check.deny) with input as td.cloud("4.19.1.0", null, saml_on)
		with data.csaudit.advisories as td.advisories
	not at_fix["CVE-SAML"]
	at_fix["CVE-QUOTA"]
	last := td.ids(check.deny) with input as td.cloud("4.18.2.1", null, saml_on)
		with data.csaudit.advisories as td.advisories
	last["CVE-SAML"]
	not last["CVE-OLD"]
	after := td.ids(check.deny) with input as td.cloud("4.18.2.2", null, saml_on)
		with data.csaudit.advisories as td.advisories
	not after["CVE-SAML"]
	old := td.ids(check.deny) with input as td.cloud("4.16.0.9", null, {})
		with data.csaudit.advisories as td.advisories
	old["CVE-OLD"]
	fixed := td.ids(check.deny) with input as td.cloud("4.16.1", null, {})
		with data.csaudit.advisories as td.advisories
	not fixed["CVE-OLD"]
	other_line := td.ids(check.deny) with input as td.cloud("4.22.1.1", "4.22.1.1", saml_on)
		with data.csaudit.advisories as td.advisories
	count(other_line) == 0
}

test_no_kvm_hosts_is_not_exposed if {
	fs := td.by_id(check.deny) with input as td.cloud("4.22.0.0", null, {})
		with data.csaudit.advisories as td.advisories
	fs["CVE-KVM"].severity == "info"
	contains(fs["CVE-KVM"].message, "KVM hosts present")
}

# Without the settings fact nothing can be judged: the severity stays.
test_unjudged_keeps_severity if {
	snap := td.cloud("4.19.0.1", null, {})
	fs := td.by_id(check.deny) with input as json.patch(snap, [{"op": "remove", "path": "/coverage/settings"}])
		with data.csaudit.advisories as td.advisories
	fs["CVE-QUOTA"].severity == "medium"
	fs["CVE-QUOTA"].evidence.exposure == "not judged"
}

# Only some servers affected: one finding on each of them.
test_mixed_versions_file_on_the_server if {
	snap := td.cloud("4.19.1.0", null, saml_on)
	mixed := json.patch(snap, [{"op": "replace", "path": "/db/mshost/1/version", "value": "4.19.0.1"}])
	fs := check.deny with input as mixed with data.csaudit.advisories as td.advisories
	saml := [f | some f in fs; f.discriminator == "CVE-SAML"]
	count(saml) == 1
	saml[0].resource.type == "management_server"
	saml[0].resource.id == "1"
}

test_agents_behind_upgraded_servers if {
	fs := check.deny with input as td.cloud("4.22.1.1", "4.22.0.0", {}) with data.csaudit.advisories as td.advisories
	kvm := [f | some f in fs; f.discriminator == "CVE-KVM"]
	count(kvm) == 3
	{f.resource.type | some f in kvm} == {"host"}
	every f in kvm {
		contains(f.message, "(fixed in 4.22.1.1)")
	}
}

# Remediation: diagnose, verify, interim, then servers before agents.
test_remediation_order if {
	fs := td.by_id(check.deny) with input as td.cloud("4.19.0.1", "4.19.0.1", saml_on)
		with data.csaudit.advisories as td.advisories
	s := fs["CVE-SAML"].steps
	startswith(s[0], "Confirm")
	startswith(s[1], "Check whether")
	s[2] == "Until upgraded: Set saml2.enabled=false."
	startswith(s[3], "Upgrade the management servers first")
	endswith(s[3], ": fixed in 4.19.1.0.")
	k := fs["CVE-KVM"].steps
	i := [n | some n, x in k; startswith(x, "Upgrade the management servers")][0]
	j := [n | some n, x in k; contains(x, "cloudstack-agent")][0]
	i < j
	k[count(k) - 1] == "After upgrading: then regenerate the keys."
	fs["CVE-SAML"].commands[1].text == "cmk list configurations name=saml2.enabled filter=name,value"
}

test_no_up_server_uses_installed if {
	snap := td.cloud("4.19.0.1", null, saml_on)
	down := json.patch(snap, [
		{"op": "replace", "path": "/db/mshost/1/state", "value": "Down"},
		{"op": "replace", "path": "/db/mshost/2/state", "value": "Down"},
	])
	td.ids(check.deny)["CVE-SAML"] with input as down with data.csaudit.advisories as td.advisories
}

# A table csaudit collected and found empty shows the feature unused; an
# uncollected one cannot be judged.
test_table_condition if {
	base := td.cloud("4.20.3.0", null, {})
	none := object.union(base, {"coverage": {"db.webhook": td.covered}, "db": {"webhook": {}}})
	td.by_id(check.deny)["CVE-HOOK"].severity == "info" with input as none with data.csaudit.advisories as td.advisories
	one := object.union(none, {"db": {"webhook": {"1": {"id": 1, "name": "w", "removed": null}}}})
	td.by_id(check.deny)["CVE-HOOK"].severity == "high" with input as one with data.csaudit.advisories as td.advisories
	td.by_id(check.deny)["CVE-HOOK"].evidence.exposure == "not judged" with input as base with data.csaudit.advisories as td.advisories
}

# Every operator the data may use, on both sides of its bound.
test_operators if {
	every op, vs in {">=": [[4, 20, 1, 0], [4, 20, 0, 9]], ">": [[4, 20, 1, 1], [4, 20, 1, 0]], "<=": [[4, 20, 1, 0], [4, 20, 1, 1]], "<": [[4, 20, 0, 9], [4, 20, 1, 0]], "=": [[4, 20, 1, 0], [4, 20, 1, 1]]} {
		e := {"affected": [[td.cond(op, [4, 20, 1, 0])]]}
		match.affects(e, vs[0])
		not match.affects(e, vs[1])
	}
}
