# METADATA
# title: Several hosts name the same BMC
# description: >-
#   Two or more live hosts have oobm rows with the same BMC address and port. At most one
#   of them can really be behind that BMC, so fencing or power-cycling the others through
#   CloudStack switches off the wrong machine, and power states recorded for them are
#   someone else's. Usually a copy-paste error when out-of-band management was configured.
#   High per the rubric: fencing is silently broken for those hosts. (The collector probes
#   and logs into such a BMC once per run.)
# custom:
#   id: CSA-OOBM-011
#   severity: high
#   category: oobm
#   remediation:
#     summary: Give each host the address of its own BMC (check the BMC's MAC or serial against the host), then re-configure out-of-band management.
#     commands:
#       - kind: cmk
#         text: cmk list hosts id={uuid} filter=name,outofbandmanagement
#       - kind: cmk
#         text: cmk configure outofbandmanagement hostid={uuid} driver=ipmitool address=<its-own-bmc-address> port=623 username=<user> password=<password>
#   references:
#     - seed:002_87316531120da61b.txt (Implement Out-of-Band Management; fencing via IPMI)
#   controls: [availability, ha]
#   requires: [db.oobm, db.host]
package csaudit.checks.oobm.shared_bmc

import data.csaudit.checks.oobm.index
import data.csaudit.lib

endpoint(row) := sprintf("%s:%s", [lower(trim_space(row.address)), port(row)])

port(row) := "623" if {
	object.get(row, "port", null) in {null, ""}
} else := sprintf("%v", [row.port])

hosts_by_bmc[endpoint(row)] contains hid if {
	some hid, row in index.by_host
	lib.routing_hosts[hid]
	is_string(row.address)
	trim_space(row.address) != ""
}

deny contains f if {
	some ep, hids in hosts_by_bmc
	count(hids) > 1
	some hid in hids
	h := lib.routing_hosts[hid]
	others := sort([lib.routing_hosts[o].name | some o in hids; o != hid])
	f := {
		"resource": lib.host_resource(hid, h),
		"message": sprintf("host %s shares BMC %s with %s", [h.name, ep, concat(", ", others)]),
		"evidence": {"bmc": ep, "other_hosts": others},
	}
}
