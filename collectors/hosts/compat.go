package hosts

import (
	"github.com/csaudit/csaudit/collectors"
	"github.com/csaudit/csaudit/collectors/sshpool"
)

// Forwarders to sshpool, kept only so cmd/csaudit builds unchanged until it
// calls sshpool itself; delete them then.

// NewPool is sshpool.New.
//
// Deprecated: use sshpool.New.
func NewPool(cfg *collectors.Config) (*sshpool.Pool, error) { return sshpool.New(cfg) }

// Keyscan is sshpool.Keyscan.
//
// Deprecated: use sshpool.Keyscan.
var Keyscan = sshpool.Keyscan

// KeyscanText is sshpool.KeyscanText.
//
// Deprecated: use sshpool.KeyscanText.
var KeyscanText = sshpool.KeyscanText
