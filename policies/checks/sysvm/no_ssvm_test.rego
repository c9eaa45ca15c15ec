package csaudit.checks.sysvm.no_ssvm_test

import data.csaudit.checks.sysvm.no_ssvm as check
import data.csaudit.testlib

zone := {"id": 1, "uuid": "z1", "name": "zone-1", "allocation_state": "Enabled", "removed": null}

test_starting_ssvm_only_is_flagged if {
	snap := testlib.snapshot({"data_center": {"1": zone}, "vm_instance": {"3": testlib.vm(3, {"type": "SecondaryStorageVm", "state": "Starting"})}})
	testlib.ids(check.deny) == {"1"} with input as snap
}

test_running_ssvm_is_quiet if {
	snap := testlib.snapshot({"data_center": {"1": zone}, "vm_instance": {"3": testlib.vm(3, {"type": "SecondaryStorageVm"})}})
	count(check.deny) == 0 with input as snap
}
