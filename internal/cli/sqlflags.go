package cli

import (
	"fmt"
	"path/filepath"

	sqlstep "github.com/weftworks/weft/connectors/sql"
)

// sqlFlags are serve's settings for the sql.query and sql.exec steps.
type sqlFlags struct {
	sqliteDir string
	maxRows   int
}

func (s *sqlFlags) register(fs *flagSet) {
	fs.stringVar(&s.sqliteDir, "sql-sqlite-dir", "WEFT_SQL_SQLITE_DIR", "",
		"directory whose SQLite files sqlite credentials may open (sql.query, sql.exec); no SQLite file may be opened when empty (the default)")
	fs.intVar(&s.maxRows, "sql-max-rows", "WEFT_SQL_MAX_ROWS", 100_000,
		"largest max_rows a sql.query step may ask for (its default is 1000)")
}

// SQLConfig configures the sql steps (--sql-sqlite-dir, --sql-max-rows).
type SQLConfig struct {
	SQLiteDir string
	MaxRows   int
}

func (s *sqlFlags) config() (SQLConfig, error) {
	if s.maxRows < 1 {
		return SQLConfig{}, fmt.Errorf("--sql-max-rows %d: must be at least 1", s.maxRows)
	}
	dir := s.sqliteDir
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return SQLConfig{}, fmt.Errorf("--sql-sqlite-dir: %w", err)
		}
		dir = abs
	}
	return SQLConfig{SQLiteDir: dir, MaxRows: s.maxRows}, nil
}

// newSQLService builds the sql steps' service (their connection pools).
func newSQLService(c SQLConfig, a *App) (*sqlstep.Service, error) {
	svc, err := sqlstep.New(sqlstep.Config{SQLiteDir: c.SQLiteDir, MaxRows: c.MaxRows, Logger: a.Logger})
	if err != nil {
		return nil, fmt.Errorf("--sql-sqlite-dir: %w", err)
	}
	return svc, nil
}
