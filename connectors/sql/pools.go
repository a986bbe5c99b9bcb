package sql

import (
	"context"
	"crypto/sha256"
	stdsql "database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

// Pool bounds. max_connections of the credential sets the size; idle
// connections are few and short-lived so a quiet workflow holds nothing.
const (
	defaultPoolSize = 4
	maxIdleTime     = 2 * time.Minute
	maxLifetime     = 10 * time.Minute
)

// Database kinds, as the credential types name them.
const (
	kindPostgres = "postgres"
	kindMySQL    = "mysql"
	kindSQLite   = "sqlite"
)

// pool is one credential's connections, valid while the credential's
// fingerprint (type and fields) stays the same.
type pool struct {
	kind string
	fp   string
	db   *stdsql.DB
	// secrets are the credential's secret values (the URL, the password,
	// the URL's password), scrubbed from every error message: drivers like
	// to quote their DSN.
	secrets []string
}

// pools maps credential names to their pool.
type pools struct {
	cfg Config

	mu     sync.Mutex
	m      map[string]*pool
	closed bool
}

func newPools(cfg Config) *pools { return &pools{cfg: cfg, m: map[string]*pool{}} }

// get returns the pool of credential name after checking, through the
// vault, that workflow may use it. A changed credential gets a fresh pool
// and the old one is closed; a deleted one loses its pool.
func (p *pools) get(ctx context.Context, conns step.Connections, workflow, name string) (*pool, error) {
	cred, err := conns.Get(ctx, workflow, name)
	if err != nil {
		if errors.Is(err, weft.ErrNotFound) {
			p.drop(name)
		}
		return nil, err
	}
	fp := fingerprint(cred)
	p.mu.Lock()
	cur := p.m[name]
	p.mu.Unlock()
	if cur != nil && cur.fp == fp {
		return cur, nil
	}
	np, err := p.open(cred, conns, name)
	if err != nil {
		return nil, err
	}
	np.fp = fp
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		np.db.Close()
		return nil, errors.New("sql: the connection pools are closed (Weft is shutting down)")
	}
	old := p.m[name]
	if old != nil && old.fp == fp { // another step opened it meanwhile
		p.mu.Unlock()
		np.db.Close()
		return old, nil
	}
	p.m[name] = np
	p.mu.Unlock()
	if old != nil {
		// In-flight statements finish on their connection; the pool
		// closes each one as it is given back.
		old.db.Close()
	}
	return np, nil
}

func (p *pools) open(cred step.Credential, conns step.Connections, name string) (*pool, error) {
	size := defaultPoolSize
	if n, err := strconv.Atoi(cred.Data["max_connections"]); err == nil && n > 0 {
		size = n
	}
	np := &pool{kind: cred.Type}
	var err error
	switch cred.Type {
	case kindPostgres:
		np.db, np.secrets, err = openPostgres(cred, dialerOf(conns, name))
	case kindMySQL:
		np.db, np.secrets, err = openMySQL(cred, dialerOf(conns, name))
	case kindSQLite:
		np.db, err = openSQLite(p.cfg.SQLiteDir, cred)
	default:
		return nil, step.Errorf("credential", "credential %q is of type %s; sql steps need a postgres, mysql or sqlite credential", name, cred.Type)
	}
	if err != nil {
		return nil, err
	}
	np.db.SetMaxOpenConns(size)
	np.db.SetMaxIdleConns(min(size, 2))
	np.db.SetConnMaxIdleTime(maxIdleTime)
	np.db.SetConnMaxLifetime(maxLifetime)
	return np, nil
}

// dialerOf asks the vault for a dialer at every new connection, so a
// changed allow_private_net or hosts list applies to the next connection
// without waiting for the pool to be rebuilt.
func dialerOf(conns step.Connections, name string) step.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		// The workflow was checked when the pool was handed out.
		d, err := conns.Dialer(ctx, "", name)
		if err != nil {
			return nil, err
		}
		return d(ctx, network, addr)
	}
}

func (p *pools) drop(name string) {
	p.mu.Lock()
	old := p.m[name]
	delete(p.m, name)
	p.mu.Unlock()
	if old != nil {
		old.db.Close()
	}
}

func (p *pools) closeAll() error {
	p.mu.Lock()
	p.closed = true
	all := p.m
	p.m = map[string]*pool{}
	p.mu.Unlock()
	var errs []error
	for name, pl := range all {
		if err := pl.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing pool of %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// fingerprint identifies a credential's content without keeping it.
func fingerprint(c step.Credential) string {
	keys := make([]string, 0, len(c.Data))
	for k := range c.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write([]byte(c.Type))
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s\x00%s", k, c.Data[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}
