package csaudit.checks.sysvm.console_ssl_test

import data.csaudit.checks.sysvm.console_ssl as check
import data.csaudit.testlib

# Self-signed test certificates for *.console.example.org: one expired on
# 2026-11-01, one valid until 2027-11-01 (testlib.now is 2026-11-22).
expired_pem := `-----BEGIN CERTIFICATE-----
MIIBUTCB+aADAgECAgEBMAoGCCqGSM49BAMCMCAxHjAcBgNVBAMMFSouY29uc29s
ZS5leGFtcGxlLm9yZzAeFw0yNTExMDEwMDAwMDBaFw0yNjExMDEwMDAwMDBaMCAx
HjAcBgNVBAMMFSouY29uc29sZS5leGFtcGxlLm9yZzBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABC0ORbbMIW/Hy7NxF4Ai9DnKlbtqtdq5uRr3LfIQB4MBxgiC4nud
tVYdnCo0XOTOKXhHzZNQjnTgmopv5YSe8V+jJDAiMCAGA1UdEQQZMBeCFSouY29u
c29sZS5leGFtcGxlLm9yZzAKBggqhkjOPQQDAgNHADBEAiASxWWJZQpi+vYqpJlD
pGpRk0ZnVG2Z5BM1VW2lIaeueAIgFQFOvV/pdOKjxyyrGJd3oMeaaIo4vjKWpTQA
UjpQkrA=
-----END CERTIFICATE-----`

valid_pem := `-----BEGIN CERTIFICATE-----
MIIBUjCB+aADAgECAgEBMAoGCCqGSM49BAMCMCAxHjAcBgNVBAMMFSouY29uc29s
ZS5leGFtcGxlLm9yZzAeFw0yNjExMDEwMDAwMDBaFw0yNzExMDEwMDAwMDBaMCAx
HjAcBgNVBAMMFSouY29uc29sZS5leGFtcGxlLm9yZzBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABKeto2sehVuSt/jaaTnDYjmbJLdcGMhzwfNtA/wXKMpTEqvqrJDd
94FXKrp5L0n3geLSoYb7rtayBtUV1UI7tyajJDAiMCAGA1UdEQQZMBeCFSouY29u
c29sZS5leGFtcGxlLm9yZzAKBggqhkjOPQQDAgNIADBFAiEA5fKm3pI4IKJTtm6J
ZTf0h6EPdvvy7WCQhB4wjI/h8GcCICvyyUKK9HMRP4S3ZvRn23kI2Vx3XsFG1R7r
qY/SQX9u
-----END CERTIFICATE-----`

db(keystore) := {
	"data_center": {"1": testlib.zone(1, {}), "2": testlib.zone(2, {})},
	"vm_instance": {
		"5": testlib.vm(5, {"type": "ConsoleProxy", "instance_name": "v-5-VM"}),
		"6": testlib.vm(6, {"type": "ConsoleProxy", "instance_name": "v-6-VM", "data_center_id": 2}),
	},
	"keystore": keystore,
}

cert(pem) := {"1": {"id": 1, "name": "CPVMCertificate", "certificate": pem, "domain_suffix": "*.console.example.org", "seq": null}}

settings(ssl, ssl_zone, domain) := {
	"consoleproxy.sslEnabled": {"value": ssl, "default": "false", "overrides": {"zone": ssl_zone}},
	"consoleproxy.url.domain": {"value": domain, "default": "", "overrides": {}},
}

snap(keystore, ssl, ssl_zone, domain) := testlib.with_settings(testlib.snapshot(db(keystore)), settings(ssl, ssl_zone, domain))

kinds(s) := x if {
	x := {[f.resource.type, f.discriminator, f.severity] | some f in check.deny} with input as s
}

test_ssl_off_by_default_is_medium_on_the_setting if {
	s := snap({}, null, {}, null)
	kinds(s) == {["setting", "ssl-off", "medium"]}
	some f in check.deny with input as s
	f.evidence.zones == ["1", "2"]
}

test_zone_override_off_is_filed_against_the_zone if {
	kinds(snap(cert(valid_pem), "true", {"2": "false"}, "*.console.example.org")) == {["zone", "ssl-off", "medium"]}
}

test_ssl_on_without_certificate_is_medium if {
	kinds(snap({}, "true", {}, "*.console.example.org")) == {["setting", "no-certificate", "medium"]}
}

test_ssl_on_without_domain_is_medium if {
	kinds(snap(cert(valid_pem), "true", {}, "")) == {["setting", "no-domain", "medium"]}
}

test_expired_certificate_is_medium if {
	kinds(snap(cert(expired_pem), "true", {}, "*.console.example.org")) == {["setting", "expired", "medium"]}
}

test_valid_certificate_with_domain_is_quiet if {
	count(check.deny) == 0 with input as snap(cert(valid_pem), "true", {}, "*.console.example.org")
}

test_expiring_certificate_is_low if {
	k := kinds(snap(cert(valid_pem), "true", {}, "*.console.example.org")) with data.csaudit.params.agent_cert_min_days as 400
	k == {["setting", "expiring", "low"]}
}

test_zones_without_console_proxy_are_not_judged if {
	s := snap({}, null, {}, null)
	quiet := object.union(s, {"db": object.union(s.db, {"vm_instance": {"5": {"state": "Destroyed"}, "6": {"state": "Expunging"}}})})
	count(check.deny) == 0 with input as quiet
}
