package csaudit.checks.version.cluster_mixed_test

import data.csaudit.checks.version.cluster_mixed as check
import data.csaudit.testlib

facts(qemu, cpu) := {"packages": {"versions": {"qemu-kvm": qemu, "libvirt": "10.0.0"}}, "cpu": {"model": cpu}}

snap(qemu2, cpu2) := testlib.with_hosts(
	testlib.snapshot({"cluster": {"1": testlib.cluster(1, {})}, "host": {"1": testlib.host(1, {}), "2": testlib.host(2, {})}}),
	{"uuid-host-1": facts("8.2.0", "EPYC 7543"), "uuid-host-2": facts(qemu2, cpu2)},
)

test_mixed_qemu_is_flagged if {
	some f in check.deny with input as snap("6.2.0", "EPYC 7543")
	f.discriminator == "qemu"
	count(check.deny) == 1 with input as snap("6.2.0", "EPYC 7543")
}

test_mixed_cpu_model_is_flagged if {
	some f in check.deny with input as snap("8.2.0", "Xeon Gold 6338")
	f.discriminator == "cpu_model"
}

test_homogeneous_cluster_is_quiet if {
	count(check.deny) == 0 with input as snap("8.2.0", "EPYC 7543")
}
