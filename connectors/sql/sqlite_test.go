package sql_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	sqlstep "github.com/weftworks/weft/connectors/sql"
)

// TestSQLiteStaysInItsDirectory: a sqlite credential opens files only
// under the allowed directory, whatever its path or its SQL tries.
func TestSQLiteStaysInItsDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "allowed")
	outside := filepath.Join(root, "outside")
	for _, d := range []string{dir, outside, filepath.Join(dir, "team")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "x.db"), filepath.Join(dir, "link.db")); err != nil {
		t.Fatal(err)
	}
	b := setup(t, sqlstep.Config{SQLiteDir: dir})
	for _, path := range []string{"../outside/x.db", "/etc/passwd", filepath.Join(outside, "x.db"), "team/../../outside/x.db",
		"escape/x.db", "link.db", "x.db?mode=memory", "file:x.db", "x.db#frag", "missing/x.db", ""} {
		b.add("db", "sqlite", map[string]string{"path": path})
		_, err := b.run(t, sqlstep.TypeExec, map[string]any{"credential": "db", "sql": "CREATE TABLE t (i INTEGER)"})
		if err == nil || codeOf(err) != "validation" {
			t.Errorf("path %q: err = %v (code %s), want a validation error", path, err, codeOf(err))
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("files were created outside the SQLite directory: %v", entries)
	}

	b.add("db", "sqlite", map[string]string{"path": "team/ok.db"})
	if _, err := b.run(t, sqlstep.TypeExec, map[string]any{"credential": "db", "sql": "CREATE TABLE t (i INTEGER)"}); err != nil {
		t.Fatalf("a file inside the directory: %v", err)
	}
	// SQL cannot reach other files either.
	for _, sql := range []string{
		"ATTACH DATABASE '" + filepath.Join(outside, "a.db") + "' AS other",
		"VACUUM INTO '" + filepath.Join(outside, "copy.db") + "'",
		"PRAGMA journal_mode = OFF",
		"PRAGMA writable_schema = ON",
	} {
		if _, err := b.run(t, sqlstep.TypeExec, map[string]any{"credential": "db", "sql": sql}); err == nil || !strings.Contains(err.Error(), "authoriz") {
			t.Errorf("%s: err = %v, want it refused by the authorizer", sql, err)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("SQL wrote files outside the SQLite directory: %v", entries)
	}
}

// TestSQLiteReadOnly: read_only opens the file without write access.
func TestSQLiteReadOnly(t *testing.T) {
	t.Parallel()
	b := setup(t, sqlstep.Config{SQLiteDir: t.TempDir()})
	b.add("rw", "sqlite", map[string]string{"path": "ro.db"})
	b.add("ro", "sqlite", map[string]string{"path": "ro.db", "read_only": "true"})
	b.ok(t, sqlstep.TypeExec, map[string]any{"credential": "rw", "sql": "CREATE TABLE t (i INTEGER)"})
	if _, err := b.run(t, sqlstep.TypeExec, map[string]any{"credential": "ro", "sql": "INSERT INTO t VALUES (1)"}); err == nil || codeOf(err) != "sql" {
		t.Fatalf("write through a read-only credential: err = %v, want a sql error", err)
	}
	out := b.ok(t, sqlstep.TypeQuery, map[string]any{"credential": "ro", "sql": "SELECT count(*) AS n FROM t"})
	if len(rows(t, out)) != 1 {
		t.Fatalf("read through a read-only credential: %v", out)
	}
}

// TestPoolFollowsTheCredential: a changed credential gets a new pool (the
// next step opens the new file), a deleted one fails the step.
func TestPoolFollowsTheCredential(t *testing.T) {
	t.Parallel()
	b := setup(t, sqlstep.Config{SQLiteDir: t.TempDir()})
	b.add("db", "sqlite", map[string]string{"path": "one.db"})
	b.ok(t, sqlstep.TypeExec, map[string]any{"credential": "db", "sql": "CREATE TABLE one (i INTEGER)"})
	b.add("db", "sqlite", map[string]string{"path": "two.db"})
	if _, err := b.run(t, sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": "SELECT * FROM one"}); err == nil {
		t.Fatal("after the credential moved to two.db the old file's table is still visible")
	}
	delete(b.conns.creds, "db")
	if _, err := b.run(t, sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": "SELECT 1"}); err == nil || codeOf(err) != "credential" {
		t.Fatalf("deleted credential: err = %v (code %s), want code credential", err, codeOf(err))
	}
}
