package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestCorruptDatabaseFailsReadyz: a SQLite database with a garbled page
// passes the ping but fails PRAGMA quick_check, and /readyz answers 503
// with the reason in the log.
func TestCorruptDatabaseFailsReadyz(t *testing.T) {
	t.Parallel()
	s, data := startGuarded(t)
	for range 20 {
		if _, err := s.hookWith("guarded", map[string]string{"X-Hook-Token": "wrong"}); err == nil {
			t.Fatal("a wrong token was accepted")
		}
	}
	time.Sleep(300 * time.Millisecond) // the delivery log is written in batches
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done

	dbPath := filepath.Join(data, "weft.db")
	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	var root, pageSize int
	if err := db.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(new(int), new(int), new(int)); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT rootpage FROM sqlite_master WHERE name = 'webhook_deliveries'").Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA page_size").Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := os.OpenFile(dbPath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, pageSize), int64(root-1)*int64(pageSize)); err != nil {
		t.Fatal(err)
	}
	f.Close()

	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "--addr", addr, "--data", data, "--seed", "false", "--log-format", "text")
	cmd.Env = append(os.Environ(), "WEFT_ADMIN_TOKEN="+token, "WEFT_MASTER_KEY="+testMasterKey)
	var logs lockedLog
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() { _ = cmd.Process.Kill(); <-exited }()
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				break
			}
		}
		select {
		case <-exited:
			t.Fatalf("weft serve exited:\n%s", logs.String())
		case <-ctx.Done():
			t.Fatalf("/readyz never answered 503 on a corrupt database:\n%s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if out := logs.String(); !strings.Contains(out, "quick_check") || !strings.Contains(out, "integrity check failed") {
		t.Fatalf("the log does not say why:\n%s", out)
	}
}

// lockedLog is a log buffer safe to read while the process writes it.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
