# METADATA
# title: Agents cannot fail over between management servers
# description: >-
#   Several management servers are Up, but the `host` setting (the address list handed
#   to agents and system VMs; comma separated since 4.x) names a single management server's
#   own address, or a list that leaves out Up servers. Agents then reconnect only to that
#   server, so losing it disconnects every host. Seed 003 asks for a load balancer or the
#   list of all management servers; it calls the setting management.server.ip, which does
#   not exist in CloudStack (the real name is `host`, default localhost). Medium per the
#   rubric: management-plane HA silently weaker than deployed. A loopback value (the
#   default localhost left in place) reaches no server from any agent: high.
# custom:
#   id: CSA-MS-004
#   severity: high
#   category: management-server
#   remediation:
#     summary: "Set `host` to a load balancer in front of all management servers, or to the comma-separated list of all of them. It is dynamic: CloudStack sends the new list to the connected agents as soon as it changes, so nothing needs a restart; check the agents' host= line afterwards."
#     commands:
#       - kind: cmk
#         text: "cmk list configurations name=host filter=name,value"
#       - kind: cmk
#         text: "cmk update configuration name=host value=<lb-or-ms1,ms2>"
#       - kind: shell
#         text: "grep -E '^host=' /etc/cloudstack/agent/agent.properties"
#   references:
#     - seed:003_890368c12d4364b1.txt (multiple management servers behind a load balancer)
#     - cloudstack:setting host (server/src/main/java/com/cloud/configuration/Config.java)
#   controls: [availability]
#   requires: [db.mshost, settings]
package csaudit.checks.mgmt.agent_host_list

import data.csaudit.lib

up := {m.service_ip | some m in lib.mshosts; lib.ms_alive(m.msid)}

addresses := {trim_space(a) | some a in split(lib.setting("host"), ","); trim_space(a) != ""}

missing := up - addresses

loopback(a) if a == "localhost"

loopback(a) if startswith(a, "127.")

# The default "localhost" (or any loopback address) reaches no management server
# from an agent at all.
deny contains f if {
	count(up) > 0
	some a in addresses
	loopback(a)
	f := {
		"resource": lib.setting_resource("host"),
		"severity": "high",
		"discriminator": "loopback",
		"message": sprintf("host = %q: agents and system VMs are told to connect to a loopback address", [lib.setting("host")]),
		"evidence": {"value": lib.setting("host"), "up_management_servers": sort(up)},
	}
}

deny contains f if {
	count(up) > 1
	count(addresses & up) > 0
	count(missing) > 0
	f := {
		"resource": lib.setting_resource("host"),
		"severity": "medium",
		"message": sprintf("host = %q names management server addresses but not %v", [lib.setting("host"), sort(missing)]),
		"evidence": {"value": lib.setting("host"), "up_management_servers": sort(up), "missing": sort(missing)},
	}
}
