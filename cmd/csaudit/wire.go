package main

import (
	"github.com/csaudit/csaudit/collectors"
)

// buildCollectors constructs every collector this build has, from the config.
// Each collector package adds one line here; the runner runs only the selected ones.
func buildCollectors(cfg *collectors.Config) []collectors.Collector {
	var cs []collectors.Collector
	_ = cfg
	return cs
}
