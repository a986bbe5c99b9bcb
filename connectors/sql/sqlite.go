package sql

import (
	"context"
	stdsql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"modernc.org/sqlite"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

// sqlitePath is what a sqlite credential's path may hold: no URI syntax
// (?, #, :), no escapes, nothing absolute.
var sqlitePath = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)

// sqliteFile resolves a credential's path inside dir, refusing anything
// that leaves it: "..", absolute paths, and symlinks pointing out.
func sqliteFile(dir, name, path string) (string, error) {
	if dir == "" {
		return "", step.Errorf(input.CodeValidation, "credential %q: SQLite files are not allowed on this Weft; the operator allows a directory with weft serve --sql-sqlite-dir", name)
	}
	if !sqlitePath.MatchString(path) || strings.Contains("/"+path+"/", "/../") || strings.Contains("/"+path+"/", "/./") {
		return "", step.Errorf(input.CodeValidation, "credential %q: path must be a file name under the SQLite directory, like shop.db or team/orders.db (letters, digits, . _ - and /, no ..)", name)
	}
	full := filepath.Join(dir, filepath.FromSlash(path))
	// The file may not exist yet (it is then created); its directory must,
	// and both must resolve inside dir.
	parent, err := filepath.EvalSymlinks(filepath.Dir(full))
	if err != nil {
		return "", step.Errorf(input.CodeValidation, "credential %q: the directory of %s does not exist under the SQLite directory", name, path)
	}
	real := filepath.Join(parent, filepath.Base(full))
	if fi, err := os.Lstat(real); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		// A link must lead to an existing file: SQLite would create a
		// dangling link's target wherever it points.
		if real, err = filepath.EvalSymlinks(real); err != nil {
			return "", step.Errorf(input.CodeValidation, "credential %q: %s is a link to a file that does not exist", name, path)
		}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", step.Errorf(input.CodeValidation, "credential %q: %s: %v", name, path, err)
	}
	if rel, err := filepath.Rel(dir, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", step.Errorf(input.CodeValidation, "credential %q: %s leads out of the SQLite directory", name, path)
	}
	return real, nil
}

// openSQLite opens a file under dir. Each connection gets an authorizer
// that refuses ATTACH and DETACH (which would open any file the process can
// read, VACUUM INTO included) and pragmas that touch files or the
// connection's safety settings.
func openSQLite(dir string, cred step.Credential) (*stdsql.DB, error) {
	file, err := sqliteFile(dir, cred.Name, cred.Data["path"])
	if err != nil {
		return nil, err
	}
	mode := "rwc"
	if cred.Data["read_only"] == "true" {
		mode = "ro"
	}
	q := url.Values{}
	q.Set("mode", mode)
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	dsn := "file:" + (&url.URL{Path: file}).EscapedPath() + "?" + q.Encode()
	d := &sqlite.Driver{}
	d.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error {
		r, ok := c.(sqlite.AuthorizerRegisterer)
		if !ok {
			return errors.New("sqlite driver offers no authorizer")
		}
		return r.RegisterAuthorizer(sqliteAuthorizer)
	})
	return stdsql.OpenDB(sqliteConnector{d: d, dsn: dsn}), nil
}

// safePragmas may be read or set from a workflow; every other pragma is
// refused (journal_mode, writable_schema, temp_store_directory, …).
var safePragmas = map[string]bool{
	"table_info": true, "table_xinfo": true, "table_list": true, "index_list": true, "index_info": true,
	"index_xinfo": true, "foreign_key_list": true, "foreign_key_check": true, "integrity_check": true,
	"quick_check": true, "user_version": true, "data_version": true, "page_count": true, "page_size": true,
	"freelist_count": true, "schema_version": true, "collation_list": true, "function_list": true,
	"compile_options": true, "database_list": true, "busy_timeout": true, "foreign_keys": true,
}

func sqliteAuthorizer(action sqlite.AuthorizerActionCode, arg1, _, _, _ string) sqlite.AuthorizerReturnCode {
	switch action {
	case sqlite.AuthAttach, sqlite.AuthDetach:
		return sqlite.AuthorizerDeny
	case sqlite.AuthPragma:
		if !safePragmas[strings.ToLower(arg1)] {
			return sqlite.AuthorizerDeny
		}
	}
	return sqlite.AuthorizerOK
}

// sqliteConnector opens connections with this package's own driver value,
// so the authorizer hook applies to these pools only.
type sqliteConnector struct {
	d   *sqlite.Driver
	dsn string
}

var _ driver.Connector = sqliteConnector{}

func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.d.Open(c.dsn)
	if err != nil {
		return nil, fmt.Errorf("opening sqlite file: %w", err)
	}
	return conn, nil
}

func (c sqliteConnector) Driver() driver.Driver { return c.d }
