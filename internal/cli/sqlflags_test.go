package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSQLFlags(t *testing.T) {
	t.Parallel()
	if _, err := (&sqlFlags{maxRows: 0}).config(); err == nil || !strings.Contains(err.Error(), "--sql-max-rows") {
		t.Fatalf("--sql-max-rows 0: err = %v, want it refused naming the flag", err)
	}
	c, err := (&sqlFlags{maxRows: 10, sqliteDir: "relative/dir"}).config()
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(c.SQLiteDir) || !strings.HasSuffix(c.SQLiteDir, filepath.Join("relative", "dir")) || c.MaxRows != 10 {
		t.Fatalf("config = %+v, want the directory made absolute and 10 rows", c)
	}
	if c, _ := (&sqlFlags{maxRows: 10}).config(); c.SQLiteDir != "" {
		t.Fatalf("no --sql-sqlite-dir: SQLiteDir = %q, want none allowed", c.SQLiteDir)
	}
}
