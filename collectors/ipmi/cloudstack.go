package ipmi

import (
	"context"
	"errors"
)

// loadCloudStackCredentials reads oobm.username/password and decrypts the
// password with the database key.
func (c *Collector) loadCloudStackCredentials(ctx context.Context) (map[string]credential, error) {
	return nil, errors.New("not implemented in this build")
}
