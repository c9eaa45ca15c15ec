package main

import (
	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/ipmi"
)

// buildCollectors constructs every collector this build has, from the config.
// Each collector package adds one line here; the runner runs only the selected ones.
func buildCollectors(cfg *collectors.Config) []collectors.Collector {
	var cs []collectors.Collector
	_ = cfg
	cs = append(cs, ipmi.New(cfg))
	return cs
}
