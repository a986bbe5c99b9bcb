package credential

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/weftworks/weft/step"
)

// Database credential types: what sql.query and sql.exec connect with.
const (
	TypePostgres = "postgres"
	TypeMySQL    = "mysql"
	TypeSQLite   = "sqlite"
)

// maxDatabaseConnections bounds a connection's pool (max_connections).
const maxDatabaseConnections = 50

// DatabaseKinds are the credential types the sql.* steps accept.
func DatabaseKinds() []string { return []string{TypeMySQL, TypePostgres, TypeSQLite} }

func databaseTypes() []step.Spec {
	maxConns := step.Field{Name: "max_connections", Type: step.String, Default: "4",
		Description: fmt.Sprintf("Largest number of open connections this Weft process keeps to the database for this credential (1 to %d).", maxDatabaseConnections)}
	server := func(scheme, port string) []step.Field {
		return []step.Field{
			secret("url", "The whole connection URL, like "+scheme+"://user:password@db.example.com:"+port+"/shop (use it instead of host, port, user, password and database). It is secret: it holds the password.", false),
			plain("host", "Server host name or IP address (not a Unix socket). It must pass the SSRF guard: private addresses need allow_private_net.", false),
			{Name: "port", Type: step.String, Default: port, Description: "Server TCP port."},
			plain("user", "User name.", false),
			secret("password", "Password.", false),
			plain("database", "Database name.", false),
		}
	}
	return []step.Spec{
		{Type: TypePostgres, Title: "PostgreSQL", Description: "A PostgreSQL server for sql.query and sql.exec: give `url`, or `host` and the fields beside it. Connections go through the SSRF guard and are pooled per credential.",
			Fields: append(server("postgres", "5432"),
				step.Field{Name: "sslmode", Type: step.String, Enum: []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}, Default: "prefer", Description: "TLS mode, as libpq's sslmode (with `url`, put it in the URL)."},
				maxConns)},
		{Type: TypeMySQL, Title: "MySQL / MariaDB", Description: "A MySQL or MariaDB server for sql.query and sql.exec: give `url` (mysql://user:password@host:3306/db), or `host` and the fields beside it. Connections go through the SSRF guard and are pooled per credential.",
			Fields: append(server("mysql", "3306"),
				step.Field{Name: "tls", Type: step.String, Enum: []string{"false", "true", "skip-verify", "preferred"}, Default: "preferred", Description: "TLS: off, on and verified, on without verification, or used when the server offers it."},
				maxConns)},
		{Type: TypeSQLite, Title: "SQLite file", Description: "A SQLite database file under the directory the operator allows with `weft serve --sql-sqlite-dir` (none by default). ATTACH and VACUUM INTO are refused, so SQL cannot reach other files.",
			Fields: []step.Field{
				plain("path", "File name relative to --sql-sqlite-dir, like shop.db or team/orders.db (letters, digits, . _ - and /; no ..).", true),
				{Name: "read_only", Type: step.String, Enum: []string{"false", "true"}, Default: "false", Description: "Open the file read-only."},
				maxConns,
			}},
	}
}

// validateDatabase checks what the field specs cannot: a server is named
// once, numbers are numbers, a URL has the right scheme. Messages never echo
// a value: url and password are secret.
func validateDatabase(typ string, data map[string]any) error {
	str := func(k string) string { s, _ := data[k].(string); return s }
	if n := str("max_connections"); n != "" {
		if v, err := strconv.Atoi(n); err != nil || v < 1 || v > maxDatabaseConnections {
			return fmt.Errorf("credential type %s: max_connections must be a number from 1 to %d", typ, maxDatabaseConnections)
		}
	}
	if typ == TypeSQLite {
		return nil
	}
	if p := str("port"); p != "" {
		if v, err := strconv.Atoi(p); err != nil || v < 1 || v > 65535 {
			return fmt.Errorf("credential type %s: port must be a number from 1 to 65535", typ)
		}
	}
	u, host := str("url"), str("host")
	switch {
	case u == "" && host == "":
		return fmt.Errorf("credential type %s: give `url` or `host`", typ)
	case u != "" && (host != "" || str("user") != "" || str("password") != "" || str("database") != ""):
		return fmt.Errorf("credential type %s: give either `url` or host, user, password and database, not both", typ)
	case strings.HasPrefix(host, "/"):
		return fmt.Errorf("credential type %s: host must be a host name or IP address; Unix sockets are not supported", typ)
	}
	if u != "" && !isEnvOrVaultRef(u) {
		pu, err := url.Parse(u)
		schemes := map[string][]string{TypePostgres: {"postgres", "postgresql"}, TypeMySQL: {"mysql"}}[typ]
		if err != nil || !containsString(schemes, pu.Scheme) || pu.Host == "" {
			return fmt.Errorf("credential type %s: url must look like %s://user:password@host:port/database", typ, schemes[0])
		}
	}
	return nil
}

func isEnvOrVaultRef(s string) bool {
	return strings.HasPrefix(s, "env:") || strings.HasPrefix(s, "vault:")
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// learnDatabase teaches the redactor the password inside a database URL
// (the URL as a whole is learnt already): drivers quote pieces of a DSN in
// their errors.
func (v *Vault) learnDatabase(typ string, data map[string]any) {
	if typ != TypePostgres && typ != TypeMySQL {
		return
	}
	s, _ := data["url"].(string)
	pu, err := url.Parse(s)
	if err != nil || pu.User == nil {
		return
	}
	if pw, ok := pu.User.Password(); ok {
		v.red.Add(pw)
	}
}
