package database

// spec is one compiled-in query: a CloudStack table, the allowlisted columns
// read from it (CloudStack's own names), and a constant filter. Nothing read
// from the database or the config ever becomes part of a query.
type spec struct {
	table string   // CloudStack table name; the key under snapshot.db
	alt   string   // the table's name in older versions
	cols  []string // allowlisted columns; "id" first
	bools []string // columns CloudStack maps to boolean
	// join and where are constant SQL on alias t. Recent-removal windows
	// keep rows a check needs (an Expunging VM whose removed is set).
	join  string
	where string
	// scan says why a full scan of this table is acceptable; empty means the
	// EXPLAIN test requires an index whenever the table is large.
	scan string
	// details tables: fk is the owning object's column, scope its settings
	// scope. Values of secret-like names are replaced by NULL in the query.
	fk, scope string
	// needs lists tables the join reads.
	needs []string
	// subset says which rows are read when not all of them (coverage note).
	subset string
	// query, when set, replaces the generated SELECT: {cols} becomes the
	// column list on alias t. For tables whose filter needs a UNION to use
	// an index.
	query string
	// since is the CloudStack release that added the table: an older
	// database without it has no such rows, which is a fact, not a failure.
	since string
	// flags are boolean columns computed in the server from a column that
	// must never leave it (whether an API key exists, never the key).
	flags []flag
}

// flag is a boolean computed in SQL: the source column's value is never sent.
type flag struct {
	name string // output column name
	col  string // the secret column it is computed from (dropped with a note when absent)
	expr string // constant SQL on alias t yielding 0/1
}

// recent bounds soft-deleted rows: live ones plus those removed in the last
// day, through the removed index.
const recent = "(t.removed IS NULL OR t.removed > UTC_TIMESTAMP() - INTERVAL 1 DAY)"

// specs is the allowlist, in collection order: the inventory tables
// (collectors.InventoryTables, oobm last of them) come first, so the hosts
// are visited while the rest is read. Never add: job_cmd_info,
// job_result, user_data, vnc_password, user_info, secret_key, password, url
// columns that may embed credentials (TestAllowlistHasNoSecrets).
var specs = []spec{
	{table: "mshost", cols: []string{"id", "msid", "runid", "name", "uuid", "state", "version", "service_ip", "service_port", "last_update", "removed", "alert_count"},
		scan: "one row per management server"},
	{table: "data_center", cols: []string{"id", "uuid", "name", "networktype", "allocation_state", "is_security_group_enabled", "is_local_storage_enabled", "domain_id", "type", "created", "removed"},
		bools: []string{"is_security_group_enabled", "is_local_storage_enabled"}, scan: "zones are few"},
	{table: "host_pod_ref", cols: []string{"id", "uuid", "name", "data_center_id", "allocation_state", "cidr_address", "cidr_size", "gateway", "created", "removed"},
		scan: "pods are few"},
	{table: "cluster", cols: []string{"id", "uuid", "name", "pod_id", "data_center_id", "hypervisor_type", "cluster_type", "allocation_state", "managed_state", "arch", "created", "removed"},
		scan: "clusters are few"},
	{table: "host", subset: "live hosts and hosts removed in the last day", cols: []string{"id", "uuid", "name", "type", "status", "resource_state", "private_ip_address", "private_netmask", "storage_ip_address", "public_ip_address",
		"cluster_id", "pod_id", "data_center_id", "hypervisor_type", "hypervisor_version", "version", "resource", "cpu_sockets", "cpus", "speed", "ram", "dom0_memory",
		"mgmt_server_id", "last_mgmt_server_id", "last_ping", "disconnected", "update_count", "lastUpdated", "created", "removed", "arch", "capabilities", "available"},
		bools: []string{"available"}, where: recent},
	{table: "host_details", subset: "details of live hosts; values of secret-like names withheld", cols: []string{"id", "host_id", "name", "value"}, fk: "host_id", join: "JOIN host h ON h.id = t.host_id", where: "h.removed IS NULL",
		scan: "details of every live host", needs: []string{"host"}},
	{table: "host_tags", cols: []string{"id", "host_id", "tag", "is_tag_a_rule", "is_implicit"}, bools: []string{"is_tag_a_rule", "is_implicit"},
		scan: "tags of every host"},
	{table: "oobm", cols: []string{"id", "host_id", "enabled", "power_state", "driver", "address", "port", "username", "update_count", "update_time", "mgmt_server_id"},
		bools: []string{"enabled"}, scan: "one row per host"},
	{table: "op_host_capacity", cols: []string{"id", "host_id", "data_center_id", "pod_id", "cluster_id", "used_capacity", "reserved_capacity", "total_capacity", "capacity_type", "capacity_state", "update_time"},
		scan: "a few rows per host and pool"},
	{table: "vm_instance", subset: "live VMs and VMs removed in the last day (an Expunging VM whose removed is set stays visible)", cols: []string{"id", "uuid", "name", "instance_name", "display_name", "state", "type", "host_id", "last_host_id", "power_state", "power_host",
		"power_state_update_time", "power_state_update_count", "update_count", "update_time", "created", "removed", "ha_enabled", "limit_cpu_use", "service_offering_id",
		"vm_template_id", "data_center_id", "pod_id", "account_id", "domain_id", "hypervisor_type"},
		bools: []string{"ha_enabled", "limit_cpu_use"}, where: recent},
	{table: "vm_instance_details", subset: "only CpuNumber, CpuSpeed and memory of live VMs", alt: "user_vm_details", cols: []string{"id", "vm_id", "name", "value"},
		join: "JOIN vm_instance v ON v.id = t.vm_id", where: "t.name IN ('CpuNumber','CpuSpeed','memory') AND v.removed IS NULL",
		scan: "no index leads with name; the detail rows of live VMs are read once", needs: []string{"vm_instance"}},
	{table: "user_vm", subset: "user VMs live or removed in the last day", cols: []string{"id", "display_name", "user_vm_type", "iso_id"}, join: "JOIN vm_instance v ON v.id = t.id",
		where: "(v.removed IS NULL OR v.removed > UTC_TIMESTAMP() - INTERVAL 1 DAY)", scan: "one row per live user VM", needs: []string{"vm_instance"}},
	{table: "service_offering", cols: []string{"id", "uuid", "name", "cpu", "speed", "ram_size", "ha_enabled", "limit_cpu_use", "host_tag", "system_use", "vm_type",
		"default_use", "customized", "disk_offering_id", "deployment_planner", "state", "created", "removed"},
		bools: []string{"ha_enabled", "limit_cpu_use", "system_use", "default_use", "customized"}, scan: "offerings are few"},
	{table: "disk_offering", cols: []string{"id", "uuid", "name", "disk_size", "use_local_storage", "tags", "customized", "provisioning_type", "state", "compute_only", "encrypt", "created", "removed"},
		bools: []string{"use_local_storage", "customized", "compute_only", "encrypt"}, scan: "offerings are few"},
	{table: "affinity_group", cols: []string{"id", "uuid", "name", "type", "account_id", "domain_id", "acl_type"}, scan: "groups are few"},
	{table: "affinity_group_vm_map", cols: []string{"id", "affinity_group_id", "instance_id"}, scan: "one row per VM in a group"},
	{table: "dedicated_resources", cols: []string{"id", "uuid", "data_center_id", "pod_id", "cluster_id", "host_id", "domain_id", "account_id", "affinity_group_id"}, scan: "dedications are few"},
	{table: "domain_router", subset: "live routers", cols: []string{"id", "is_redundant_router", "priority", "redundant_state", "stop_pending", "role", "template_version", "scripts_version", "vpc_id", "update_state", "software_version"},
		bools: []string{"is_redundant_router", "stop_pending"}, join: "JOIN vm_instance v ON v.id = t.id", where: "v.removed IS NULL",
		scan: "one row per live router", needs: []string{"vm_instance"}},
	{table: "router_network_ref", subset: "live routers", cols: []string{"id", "router_id", "network_id", "guest_type"}, join: "JOIN vm_instance v ON v.id = t.router_id", where: "v.removed IS NULL",
		scan: "one row per live router and network", needs: []string{"vm_instance"}},
	{table: "router_health_check", cols: []string{"id", "router_id", "check_name", "check_type", "check_result", "last_update"}, scan: "a few rows per router"},
	{table: "vm_template", subset: "SYSTEM and ROUTING templates, and ISOs attached to live VMs", cols: []string{"id", "uuid", "unique_name", "name", "type", "hypervisor_type", "format", "state", "arch", "direct_download", "cross_zones", "created", "removed"},
		bools: []string{"direct_download", "cross_zones"},
		query: "SELECT {cols} FROM `vm_template` t WHERE t.type IN ('SYSTEM','ROUTING')" +
			" UNION SELECT {cols} FROM (" + attachedISOs + ") i JOIN `vm_template` t ON t.id = i.iso_id",
		scan: "templates are read once; no index on type; attached ISOs come from the user VMs", needs: []string{"user_vm", "vm_instance"}},
	{table: "template_store_ref", subset: "system templates and ISOs attached to live VMs", cols: []string{"id", "store_id", "template_id", "store_role", "download_state", "download_pct", "state", "destroyed", "error_str", "last_updated"},
		bools: []string{"destroyed"},
		query: "SELECT {cols} FROM `template_store_ref` t JOIN vm_template vt ON vt.id = t.template_id WHERE vt.type IN ('SYSTEM','ROUTING')" +
			" UNION SELECT {cols} FROM (" + attachedISOs + ") i JOIN `template_store_ref` t ON t.template_id = i.iso_id",
		scan: "joined from the system templates and the attached ISOs", needs: []string{"vm_template", "user_vm", "vm_instance"}},
	{table: "template_spool_ref", subset: "system templates only", cols: []string{"id", "pool_id", "template_id", "download_state", "download_pct", "state", "marked_for_gc", "error_str", "last_updated"},
		bools: []string{"marked_for_gc"}, join: "JOIN vm_template vt ON vt.id = t.template_id", where: "vt.type IN ('SYSTEM','ROUTING')",
		scan: "joined from the system templates", needs: []string{"vm_template"}},
	{table: "image_store", cols: []string{"id", "uuid", "name", "image_provider_name", "protocol", "data_center_id", "scope", "role", "readonly", "total_size", "used_bytes", "created", "removed"},
		bools: []string{"readonly"}, scan: "image stores are few"},
	{table: "storage_pool", cols: []string{"id", "uuid", "name", "pool_type", "port", "data_center_id", "pod_id", "cluster_id", "used_bytes", "capacity_bytes",
		"capacity_iops", "used_iops", "host_address", "path", "status", "scope", "hypervisor", "managed", "storage_provider_name", "parent", "created", "update_time", "removed"},
		bools: []string{"managed"}, scan: "pools are few"},
	{table: "storage_pool_details", cols: []string{"id", "pool_id", "name", "value"}, fk: "pool_id", scope: "storage_pool", scan: "a few rows per pool"},
	// #13: the console proxy's uploaded certificate (public part only; never
	// the key column) for CSA-SYSVM-006.
	{table: "keystore", subset: "the console proxy certificate only", cols: []string{"id", "name", "certificate", "domain_suffix", "seq"},
		where: "t.name = 'CPVMCertificate'", scan: "a few certificates"},
	// Which hosts have a primary storage pool connected (CSA-STOR-006), and
	// which host a local (scope HOST) pool belongs to (readiness judges
	// host.maintenance.local.storage.strategy Migration by it).
	{table: "storage_pool_host_ref", cols: []string{"id", "pool_id", "host_id", "local_path", "created", "last_updated"}, scan: "one row per host and pool"},
	// volumes: only the columns checks read; 130,000 volumes make every
	// column count (not read: device_id, last_pool_id, pool_type, pod_id,
	// template, attached, update_count).
	{table: "volumes", subset: "live volumes and volumes removed in the last day", cols: []string{"id", "uuid", "name", "instance_id", "pool_id", "state", "volume_type", "size", "path", "format",
		"data_center_id", "disk_offering_id", "created", "updated", "removed"},
		where: recent},
	{table: "snapshots", subset: "live snapshots in Allocated, Creating, CreatedOnPrimary, BackingUp, Copying, Destroying or Error", cols: []string{"id", "uuid", "name", "volume_id", "data_center_id", "status", "snapshot_type", "type_description", "hypervisor_type", "location_type", "created", "removed"},
		where: "t.removed IS NULL AND t.status IN ('Allocated','Creating','CreatedOnPrimary','BackingUp','Copying','Destroying','Error')",
		scan:  "no index on status; live snapshots only"},
	// async_job: jobs updated in the last day (index on last_updated) and every
	// IN_PROGRESS job however old. No index leads with job_status, so the
	// second part walks (instance_type, job_status) once per distinct
	// instance_type, which the derived table reads with a loose index scan.
	{table: "async_job", subset: "IN_PROGRESS jobs of any age and jobs updated in the last day", cols: []string{"id", "uuid", "user_id", "account_id", "instance_type", "instance_id", "job_cmd", "job_cmd_ver", "job_status", "job_process_status",
		"job_result_code", "job_init_msid", "job_executing_msid", "job_complete_msid", "job_type", "job_dispatcher", "job_pending_signals", "created", "last_updated", "last_polled", "removed"},
		query: "SELECT {cols} FROM `async_job` t WHERE t.last_updated > UTC_TIMESTAMP() - INTERVAL 1 DAY" +
			" UNION SELECT {cols} FROM (SELECT DISTINCT instance_type FROM `async_job` WHERE instance_type IS NOT NULL) d JOIN `async_job` t ON t.instance_type = d.instance_type AND t.job_status = 0" +
			" UNION SELECT {cols} FROM `async_job` t WHERE t.instance_type IS NULL AND t.job_status = 0"},
	{table: "vm_work_job", cols: []string{"id", "step", "vm_type", "vm_instance_id"}, scan: "rows are deleted with their job"},
	{table: "sync_queue_item", cols: []string{"id", "queue_id", "content_type", "content_id", "queue_proc_msid", "queue_proc_number", "queue_proc_time", "created"},
		scan: "items are deleted when processed"},
	{table: "op_ha_work", subset: "HA work not Done or Cancelled", cols: []string{"id", "instance_id", "type", "vm_type", "state", "mgmt_server_id", "host_id", "created", "tried", "taken", "step", "time_to_try", "updated", "reason"},
		where: "t.step NOT IN ('Done','Cancelled')", scan: "HA work is purged after time.between.cleanup"},
	{table: "ha_config", cols: []string{"id", "resource_id", "resource_type", "enabled", "ha_state", "provider", "update_count", "update_time", "mgmt_server_id"},
		bools: []string{"enabled"}, scan: "one row per host"},
	{table: "networks", subset: "live networks", cols: []string{"id", "uuid", "name", "traffic_type", "broadcast_domain_type", "guest_type", "state", "data_center_id", "physical_network_id",
		"network_offering_id", "vpc_id", "redundant", "restart_required", "public_mtu", "private_mtu", "created", "removed"},
		bools: []string{"redundant", "restart_required"}, where: "t.removed IS NULL", scan: "every live network is read"},
	{table: "nics", subset: "live NICs of routers, secondary storage VMs and console proxies", cols: []string{"id", "instance_id", "network_id", "device_id", "mtu", "state", "vm_type", "default_nic", "removed"},
		query: "SELECT {cols} FROM `nics` t JOIN domain_router r ON r.id = t.instance_id WHERE t.removed IS NULL" +
			" UNION SELECT {cols} FROM `nics` t JOIN secondary_storage_vm s ON s.id = t.instance_id WHERE t.removed IS NULL" +
			" UNION SELECT {cols} FROM `nics` t JOIN console_proxy c ON c.id = t.instance_id WHERE t.removed IS NULL",
		scan: "router and system VM NICs only, reached through the instance_id index", needs: []string{"domain_router", "secondary_storage_vm", "console_proxy"}},
	{table: "physical_network", cols: []string{"id", "uuid", "name", "data_center_id", "state", "removed"}, scan: "physical networks are few"},
	{table: "physical_network_traffic_types", cols: []string{"id", "uuid", "physical_network_id", "traffic_type", "kvm_network_label", "xenserver_network_label"},
		scan: "a few traffic types per physical network"},
	// Accounts and users for the API key check: whether a user holds a key is
	// computed in the server; api_key and secret_key never leave it.
	{table: "roles", cols: []string{"id", "uuid", "name", "role_type", "state", "removed"}, scan: "roles are few"},
	{table: "account", subset: "live accounts", cols: []string{"id", "uuid", "account_name", "type", "role_id", "domain_id", "state", "default", "api_key_access", "removed"},
		bools: []string{"api_key_access"}, where: "t.removed IS NULL", scan: "every live account is read"},
	{table: "user", subset: "live users holding an API key", cols: []string{"id", "uuid", "username", "account_id", "state", "default", "source", "api_key_access", "removed"},
		bools: []string{"api_key_access"}, flags: []flag{{name: "has_api_key", col: "api_key", expr: "(t.`api_key` IS NOT NULL AND t.`api_key` <> '')"}},
		where: "t.removed IS NULL AND t.`api_key` IS NOT NULL", scan: "users are few next to VMs; only those holding a key are read"},
	{table: "alert", subset: "unarchived alerts created in the last 7 days", cols: []string{"id", "uuid", "type", "cluster_id", "pod_id", "data_center_id", "subject", "sent_count", "created", "last_sent", "resolved", "archived", "name"},
		bools: []string{"archived"}, where: "t.archived = 0 AND t.created > UTC_TIMESTAMP() - INTERVAL 7 DAY"},
	{table: "cluster_details", cols: []string{"id", "cluster_id", "name", "value"}, fk: "cluster_id", scope: "cluster", scan: "a few rows per cluster"},
	{table: "data_center_details", cols: []string{"id", "dc_id", "name", "value"}, fk: "dc_id", scope: "zone", scan: "a few rows per zone"},
	{table: "image_store_details", cols: []string{"id", "store_id", "name", "value"}, fk: "store_id", scope: "image_store", scan: "a few rows per store"},
	{table: "domain_details", cols: []string{"id", "domain_id", "name", "value"}, fk: "domain_id", scope: "domain", scan: "settings overridden per domain"},
	{table: "account_details", cols: []string{"id", "account_id", "name", "value"}, fk: "account_id", scope: "account", scan: "settings overridden per account"},
	// Whether features named by advisories are in use (policies/advisory):
	// names and kinds only, never URLs, mount options, client ids or keys.
	{table: "webhook", since: "4.20", subset: "live webhooks", cols: []string{"id", "uuid", "name", "state", "scope", "domain_id", "account_id", "created", "removed"},
		where: "t.removed IS NULL", scan: "webhooks are few"},
	{table: "object_store", since: "4.19", subset: "live object stores", cols: []string{"id", "uuid", "name", "object_provider_name", "created", "removed"},
		where: "t.removed IS NULL", scan: "object stores are few"},
	{table: "oauth_provider", since: "4.19", subset: "live OAuth providers", cols: []string{"id", "uuid", "provider", "enabled", "created", "removed"},
		bools: []string{"enabled"}, where: "t.removed IS NULL", scan: "OAuth providers are few"},
	{table: "backup_repository", since: "4.20", subset: "live backup repositories", cols: []string{"id", "uuid", "name", "zone_id", "provider", "type", "created", "removed"},
		where: "t.removed IS NULL", scan: "backup repositories are few"},
}

// attachedISOs lists the ISO ids attached to live user VMs (user_vm.iso_id).
const attachedISOs = "SELECT DISTINCT u.iso_id FROM `user_vm` u JOIN `vm_instance` v ON v.id = u.id WHERE u.iso_id IS NOT NULL AND v.removed IS NULL"

// neverSelected are column names that hold secrets anywhere in CloudStack.
var neverSelected = []string{"job_cmd_info", "job_result", "user_data", "user_data_details", "vnc_password", "user_info", "secret_key",
	"password", "ipsec_psk", "private_key", "key", "url", "api_key", "content", "check_details", "chain_info", "guru_data", "backup_volumes"}
