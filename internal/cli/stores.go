package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storepg"
	"github.com/weftworks/weft/store/storesqlite"
)

// openStore opens PostgreSQL when db is a postgres:// URL, otherwise SQLite
// at db (a file path) or, when db is empty, at <data>/weft.db. sqliteSync is
// SQLite's synchronous mode ("" for the store's default, FULL).
func openStore(ctx context.Context, db, data, sqliteSync string) (store.Store, string, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		s, err := storepg.Open(ctx, db, storepg.Options{})
		if err != nil {
			return nil, "", fmt.Errorf("opening PostgreSQL (--db): %w", err)
		}
		return s, "postgres", nil
	}
	path := strings.TrimPrefix(db, "sqlite://")
	if path == "" {
		if err := os.MkdirAll(data, 0o700); err != nil {
			return nil, "", fmt.Errorf("creating data directory %s (--data): %w", data, err)
		}
		path = filepath.Join(data, "weft.db")
	}
	s, err := storesqlite.Open(ctx, path, storesqlite.Options{Synchronous: strings.ToUpper(sqliteSync)})
	if err != nil {
		return nil, "", fmt.Errorf("opening SQLite database %s: %w", path, err)
	}
	return s, "sqlite", nil
}
