package sql

import (
	"context"
	stdsql "database/sql"
	"net"
	"net/url"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// openMySQL builds the pool of a mysql credential. Statements are prepared
// on the server (no client-side interpolation), one statement per call (no
// multi-statements) and LOAD DATA LOCAL INFILE is refused, so a parameter
// is only ever a value and SQL cannot read the Weft host's files.
func openMySQL(cred step.Credential, dial step.DialFunc) (*stdsql.DB, []string, error) {
	d := cred.Data
	host, port, user, password, database, tlsMode := d["host"], orDefault(d["port"], "3306"), d["user"], d["password"], d["database"], orDefault(d["tls"], "preferred")
	if raw := d["url"]; raw != "" {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "mysql" || u.Host == "" {
			return nil, nil, step.Errorf(input.CodeValidation, "credential %q: url must look like mysql://user:password@host:3306/database", cred.Name)
		}
		host, port = u.Hostname(), orDefault(u.Port(), "3306")
		if u.User != nil {
			user = u.User.Username()
			password, _ = u.User.Password()
		}
		database = trimSlash(u.Path)
		for k, v := range u.Query() {
			if k != "tls" || len(v) != 1 {
				return nil, nil, step.Errorf(input.CodeValidation, "credential %q: the mysql url takes only the tls parameter, not %q", cred.Name, k)
			}
			tlsMode = v[0]
		}
	}
	secrets := secretsOf(d["url"], password)
	switch tlsMode {
	case "false", "true", "skip-verify", "preferred":
	default:
		return nil, nil, step.Errorf(input.CodeValidation, "credential %q: tls must be false, true, skip-verify or preferred", cred.Name)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.DBName = user, password, database
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(host, port)
	cfg.TLSConfig = tlsMode
	cfg.ParseTime, cfg.Loc = true, time.UTC
	cfg.InterpolateParams = false
	cfg.MultiStatements = false
	cfg.AllowAllFiles = false
	cfg.Timeout = 10 * time.Second
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) { return dial(ctx, network, addr) }
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, nil, step.Errorf(input.CodeValidation, "credential %q: %s", cred.Name, scrub(err.Error(), secrets))
	}
	return stdsql.OpenDB(conn), secrets, nil
}

func trimSlash(p string) string {
	if len(p) > 0 && p[0] == '/' {
		return p[1:]
	}
	return p
}
