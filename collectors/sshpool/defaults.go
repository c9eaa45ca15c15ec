package sshpool

import (
	"time"

	"github.com/csaudit/csaudit/collectors"
)

// Fallbacks for settings the ssh section leaves out. They are applied here
// and nowhere else, so they can move to config loading in one piece.
const (
	DefaultUser           = "root"
	DefaultKnownHosts     = "~/.ssh/known_hosts"
	DefaultConcurrency    = 32
	DefaultConnectTimeout = 10 * time.Second
	DefaultCommandTimeout = 30 * time.Second
)

// withDefaults returns s with every unset setting at its fallback.
func withDefaults(s collectors.SSHConfig) collectors.SSHConfig {
	if s.User == "" {
		s.User = DefaultUser
	}
	if s.KnownHosts == "" {
		s.KnownHosts = DefaultKnownHosts
	}
	if s.Concurrency <= 0 {
		s.Concurrency = DefaultConcurrency
	}
	if s.ConnectTimeout <= 0 {
		s.ConnectTimeout = collectors.Duration(DefaultConnectTimeout)
	}
	if s.CommandTimeout <= 0 {
		s.CommandTimeout = collectors.Duration(DefaultCommandTimeout)
	}
	if s.UseAgent == nil {
		useAgent := true // SSH_AUTH_SOCK, when set
		s.UseAgent = &useAgent
	}
	return s
}
