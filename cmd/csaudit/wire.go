package main

import (
	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/database"
	"github.com/csaudit/csaudit/collectors/hosts"
	"github.com/csaudit/csaudit/collectors/ipmi"
	"github.com/csaudit/csaudit/collectors/libvirt"
	"github.com/csaudit/csaudit/collectors/local"
)

// buildCollectors constructs every collector this build has, from the config;
// the runner runs only the selected ones. progress, when not nil, is told after
// each host (only when stderr is a terminal).
func buildCollectors(cfg *collectors.Config, progress func(done, total, failed int)) []collectors.Collector {
	// hosts and libvirt share one verified SSH connection per host.
	pool, poolErr := hosts.NewPool(cfg)
	h := hosts.NewWithPool(pool, poolErr)
	h.Progress = progress
	return []collectors.Collector{
		database.New(cfg),
		local.New(cfg),
		h,
		libvirt.NewWithPool(cfg, pool, poolErr),
		ipmi.New(cfg),
	}
}
