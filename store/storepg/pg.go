package storepg

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/weftworks/weft/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Advisory-lock namespaces (the first key of the two-key form); the second
// key is hashtext of a schema or workflow name.
const (
	lockMigrate  int32 = 0x5745_0001
	lockClaim    int32 = 0x5745_0002
	lockWorkflow int32 = 0x5745_0003
)

// Store is the PostgreSQL implementation of store.Store. Several processes
// may share one database: claims use FOR UPDATE SKIP LOCKED and writes are
// fenced by the execution's lease.
type Store struct {
	pool  *pgxpool.Pool
	opts  Options
	group *grouper
}

var _ store.Store = (*Store)(nil)

// Open connects to url (a postgres:// URL or key=value DSN), creates
// opts.Schema if needed and applies pending migrations under an advisory
// lock, so processes starting together do not race.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("opening postgres store: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing postgres url: %w", err)
	}
	cfg.MaxConns = opts.MaxConns
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to postgres: %w", err)
	}
	s := &Store{pool: pool, opts: opts, group: newGrouper(opts)}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool. Every Apply has committed or failed by the time it
// returns, so there is nothing to flush. Safe to call more than once.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("listing migrations: %w", err)
	}
	sort.Strings(names)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", lockMigrate, s.opts.Schema); err != nil {
			return fmt.Errorf("taking migration lock: %w", err)
		}
		if s.opts.Schema != "" {
			if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.opts.Schema}.Sanitize()); err != nil {
				return fmt.Errorf("creating schema %q: %w", s.opts.Schema, err)
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer NOT NULL PRIMARY KEY,
			name text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("creating schema_migrations: %w", err)
		}
		for _, name := range names {
			base := strings.TrimPrefix(name, "migrations/")
			version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
			if err != nil {
				return fmt.Errorf("migration %s: name must start with a number: %w", base, err)
			}
			var applied bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", version).Scan(&applied); err != nil {
				return fmt.Errorf("checking migration %s: %w", base, err)
			}
			if applied {
				continue
			}
			body, err := migrationFS.ReadFile(name)
			if err != nil {
				return fmt.Errorf("reading migration %s: %w", base, err)
			}
			// Simple protocol: a migration file holds several statements.
			if _, err := tx.Exec(ctx, string(body), pgx.QueryExecModeSimpleProtocol); err != nil {
				return fmt.Errorf("applying migration %s: %w", base, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, base); err != nil {
				return fmt.Errorf("recording migration %s: %w", base, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrating postgres schema: %w", err)
	}
	return nil
}

// pgCode returns the SQLSTATE of err, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

const (
	codeUnique     = "23505"
	codeForeignKey = "23503"
)
