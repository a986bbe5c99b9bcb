package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadWorkflowDirStaysInside: a workflow file symlinked from outside
// the directory (or a symlinked directory leading out) is refused; a
// relative symlink inside it is read.
func TestReadWorkflowDirStaysInside(t *testing.T) {
	t.Parallel()
	dir, outside := t.TempDir(), t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "a.yaml"), "name: a\n")
	if err := os.Symlink("a.yaml", filepath.Join(dir, "same.yaml")); err != nil {
		t.Fatal(err)
	}
	files, err := readWorkflowDir(dir)
	if err != nil || len(files) != 2 || string(files[1].src) != "name: a\n" {
		t.Fatalf("inside: %v %v", files, err)
	}

	write(filepath.Join(outside, "secret.yaml"), "name: secret\n")
	if err := os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(dir, "evil.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err = readWorkflowDir(dir)
	if err == nil || !strings.Contains(err.Error(), "evil.yaml") || !strings.Contains(err.Error(), "must stay inside --workflows") {
		t.Fatalf("a symlink to a file outside: %v", err)
	}
	os.Remove(filepath.Join(dir, "evil.yaml"))
	if err := os.Symlink("../"+filepath.Base(outside), filepath.Join(dir, "sub.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err = readWorkflowDir(dir); err == nil {
		t.Fatal("a relative symlink leading out of the directory was followed")
	}
}
