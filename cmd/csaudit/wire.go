package main

import (
	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/database"
	"github.com/csaudit/csaudit/collectors/hosts"
	"github.com/csaudit/csaudit/collectors/ipmi"
	"github.com/csaudit/csaudit/collectors/libvirt"
	"github.com/csaudit/csaudit/collectors/local"
)

// buildCollectors constructs every collector this build has, from the config.
// Each collector package adds one line here; the runner runs only the selected ones.
func buildCollectors(cfg *collectors.Config) []collectors.Collector {
	var cs []collectors.Collector
	_ = cfg
	cs = append(cs, database.New(cfg), ipmi.New(cfg))
	// hosts and libvirt share one SSH connection per host.
	pool, poolErr := hosts.NewPool(cfg)
	cs = append(cs, hosts.NewWithPool(pool, poolErr), libvirt.NewWithPool(cfg, pool, poolErr), local.New(cfg))
	return cs
}
