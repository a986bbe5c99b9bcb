package storepg

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft"
)

// PutSettingIfAbsent implements store.Settings.
func (s *Store) PutSettingIfAbsent(ctx context.Context, key, value string) (string, error) {
	if _, err := s.pool.Exec(ctx, "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", key, value); err != nil {
		return "", fmt.Errorf("storing setting %q: %w", key, err)
	}
	return s.GetSetting(ctx, key)
}

// GetSetting implements store.Settings.
func (s *Store) GetSetting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, "SELECT value FROM settings WHERE key = $1", key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("setting %q: %w", key, weft.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("reading setting %q: %w", key, err)
	}
	return v, nil
}
