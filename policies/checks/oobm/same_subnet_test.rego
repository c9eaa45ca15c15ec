package csaudit.checks.oobm.same_subnet_test

import data.csaudit.checks.oobm.same_subnet as check
import data.csaudit.checks.oobm.testdata
import data.csaudit.testlib

snap(bmc_address, netmask) := testdata.with_db(testdata.snapshot({}), {
	"host": {"1": testlib.host(1, {"private_ip_address": "10.0.0.1", "private_netmask": netmask})},
	"oobm": {"11": testdata.oobm_row(11, 1, {"address": bmc_address})},
})

test_bmc_on_management_subnet_is_flagged if {
	s := snap("10.0.0.201", "255.255.255.0")
	some f in check.deny with input as s
	f.evidence.bmc_address == "10.0.0.201"
}

test_isolated_bmc_is_quiet if {
	count(check.deny) == 0 with input as snap("10.9.0.1", "255.255.255.0")
}

test_mask_decides if {
	count(check.deny) == 1 with input as snap("10.0.200.1", "255.255.0.0")
	count(check.deny) == 0 with input as snap("10.0.200.1", "255.255.255.0")
}

test_hostnames_and_missing_masks_are_not_evaluated if {
	count(check.deny) == 0 with input as snap("bmc-kvm1.example", "255.255.255.0")
	count(check.deny) == 0 with input as snap("10.0.0.201", null)
	count(check.deny) == 0 with input as snap("10.0.0.999", "255.255.255.0")
}
