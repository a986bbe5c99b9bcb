package sql

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/weftworks/weft/step"
)

// Hard ceilings: the operator may lower the row ceiling, never raise these.
const (
	maxMaxBytes        = 100 << 20
	defaultMaxRowsCeil = 100_000
)

// Config configures the sql steps of one Weft process.
type Config struct {
	// SQLiteDir is the only directory sqlite credentials may name files
	// under (serve's --sql-sqlite-dir); "" refuses every sqlite credential.
	SQLiteDir string
	// MaxRows is the largest max_rows a step may ask for (--sql-max-rows);
	// default 100,000.
	MaxRows int
	Logger  *slog.Logger
}

// WithDefaults fills the zero fields.
func (c Config) WithDefaults() Config {
	if c.MaxRows <= 0 {
		c.MaxRows = defaultMaxRowsCeil
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.SQLiteDir != "" && !filepath.IsAbs(c.SQLiteDir) {
		return fmt.Errorf("sql: SQLiteDir %q must be an absolute path", c.SQLiteDir)
	}
	return nil
}

// Service holds the connection pools of the sql steps. Close it at
// shutdown.
type Service struct {
	cfg   Config
	pools *pools
}

// New builds a Service.
func New(cfg Config) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.SQLiteDir != "" {
		// Symlinks in the allowed directory itself are the operator's; the
		// files under it are checked against the real path.
		real, err := filepath.EvalSymlinks(cfg.SQLiteDir)
		if err != nil {
			return nil, fmt.Errorf("sql: SQLite directory: %w", err)
		}
		cfg.SQLiteDir = real
	}
	return &Service{cfg: cfg, pools: newPools(cfg)}, nil
}

// Register adds sql.query and sql.exec to reg.
func (s *Service) Register(reg *step.Registry) error {
	q, e := querySpec(), execSpec()
	if err := reg.Add(q, &querier{svc: s, spec: q}); err != nil {
		return fmt.Errorf("registering %s: %w", TypeQuery, err)
	}
	if err := reg.Add(e, &executor{svc: s, spec: e}); err != nil {
		return fmt.Errorf("registering %s: %w", TypeExec, err)
	}
	return nil
}

// Register adds the sql steps with the default configuration (no SQLite
// directory); their pools are never closed, which suits tests and tools
// that exit.
func Register(reg *step.Registry) error {
	s, err := New(Config{})
	if err != nil {
		return err
	}
	return s.Register(reg)
}

// Close closes every connection pool.
func (s *Service) Close() error { return s.pools.closeAll() }
