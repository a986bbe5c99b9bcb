package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/weftworks/weft"
)

// PutSettingIfAbsent implements store.Settings.
func (s *Store) PutSettingIfAbsent(ctx context.Context, key, value string) (string, error) {
	var stored string
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		if _, err := w.conn.ExecContext(w.ctx, "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", key, value); err != nil {
			return err
		}
		return w.conn.QueryRowContext(w.ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&stored)
	})
	if err != nil {
		return "", fmt.Errorf("storing setting %q: %w", key, err)
	}
	return stored, nil
}

// GetSetting implements store.Settings.
func (s *Store) GetSetting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.rdb.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("setting %q: %w", key, weft.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("reading setting %q: %w", key, err)
	}
	return v, nil
}
