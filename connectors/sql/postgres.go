package sql

import (
	"context"
	stdsql "database/sql"
	"net"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// maxMessage bounds one PostgreSQL protocol message (one row, in
// practice): the driver would otherwise buffer a row of any size before
// the byte limit could look at it.
const maxMessage = maxMaxBytes + 1<<20

// openPostgres builds the pool of a postgres credential. Only what the
// credential says is used: the password is set explicitly, so neither
// PGPASSWORD nor a .pgpass file of the server fills it in.
func openPostgres(cred step.Credential, dial step.DialFunc) (*stdsql.DB, []string, error) {
	d := cred.Data
	connStr, password := d["url"], d["password"]
	if connStr == "" {
		u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(d["host"], orDefault(d["port"], "5432")), Path: "/" + d["database"]}
		if d["user"] != "" {
			u.User = url.User(d["user"])
		}
		q := url.Values{}
		q.Set("sslmode", orDefault(d["sslmode"], "prefer"))
		u.RawQuery = q.Encode()
		connStr = u.String()
	} else if pu, err := url.Parse(connStr); err == nil && pu.User != nil {
		password, _ = pu.User.Password()
	}
	secrets := secretsOf(d["url"], password)
	cfg, err := pgx.ParseConfig(connStr)
	if err != nil {
		return nil, nil, step.Errorf(input.CodeValidation, "credential %q: %s", cred.Name, scrub(err.Error(), secrets))
	}
	cfg.Password = password
	// Hand the host name to the dialer unresolved: the vault's dialer
	// checks it against the credential's hosts, then resolves and checks
	// every address with the SSRF guard.
	cfg.LookupFunc = func(_ context.Context, host string) ([]string, error) { return []string{host}, nil }
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) { return dial(ctx, network, addr) }
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "weft"
	}
	db := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		c.PgConn().Frontend().SetMaxBodyLen(maxMessage)
		return nil
	}))
	return db, secrets, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// secretsOf lists the secret values of a credential for scrubbing, with
// the URL's own password and its escaped spelling.
func secretsOf(rawURL, password string) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	add(rawURL)
	add(password)
	if password != "" {
		add(url.QueryEscape(password))
		add(url.PathEscape(password))
	}
	if pu, err := url.Parse(rawURL); err == nil && pu.User != nil {
		if pw, ok := pu.User.Password(); ok {
			add(pw)
		}
	}
	return out
}
