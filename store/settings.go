package store

import "context"

// Settings keeps small values every Weft process on the database shares,
// such as the hash of the generated admin token.
type Settings interface {
	// PutSettingIfAbsent stores value under key unless the key exists, and
	// returns the value now stored (the existing one if another process got
	// there first).
	PutSettingIfAbsent(ctx context.Context, key, value string) (string, error)
	// GetSetting returns a value, or weft.ErrNotFound.
	GetSetting(ctx context.Context, key string) (string, error)
}
