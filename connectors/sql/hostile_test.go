package sql_test

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	sqlstep "github.com/weftworks/weft/connectors/sql"
	"github.com/weftworks/weft/step"
)

// TestIntegrationPostgresRowLimitBoundsMemory: a query of 10 million rows
// stops at max_rows after reading one row more, so the step allocates a
// few megabytes, not the gigabytes the whole result would take. (Not
// parallel: the allocation counter is process-wide.)
func TestIntegrationPostgresRowLimitBoundsMemory(t *testing.T) {
	b := setup(t, sqlstep.Config{})
	b.add("db", "postgres", map[string]string{"url": postgresURL(t)})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := b.run(t, sqlstep.TypeQuery, map[string]any{"credential": "db",
		"sql": "SELECT n, repeat('x', 100) AS pad FROM generate_series(1, 10000000) AS n"})
	runtime.ReadMemStats(&after)
	if codeOf(err) != "row_limit" {
		t.Fatalf("err = %v (code %s), want row_limit", err, codeOf(err))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Fatalf("the stopped query allocated %d MiB; want well under 64 MiB (10M rows of 100 bytes would be > 1 GiB)", alloc>>20)
	}
}

// TestIntegrationPostgresHugeValue: one value larger than max_bytes fails
// the step with result_too_large (or, truncating, returns no rows).
func TestIntegrationPostgresHugeValue(t *testing.T) {
	t.Parallel()
	b := setup(t, sqlstep.Config{})
	b.add("db", "postgres", map[string]string{"url": postgresURL(t)})
	q := map[string]any{"credential": "db", "sql": "SELECT repeat('x', 3 * 1024 * 1024) AS big", "max_bytes": 1 << 20}
	_, err := b.run(t, sqlstep.TypeQuery, q)
	if codeOf(err) != "result_too_large" || !strings.Contains(err.Error(), "max_bytes") {
		t.Fatalf("err = %v (code %s), want result_too_large naming max_bytes", err, codeOf(err))
	}
	q["on_limit"] = "truncate"
	out := b.ok(t, sqlstep.TypeQuery, q)
	if out["truncated"] != true || len(rows(t, out)) != 0 {
		t.Fatalf("truncating: %v rows, truncated %v; want none and true", len(rows(t, out)), out["truncated"])
	}
}

// TestIntegrationPostgresTimeoutCancelsOnServer: a statement past the
// step's timeout fails with code timeout and no longer runs on the server.
func TestIntegrationPostgresTimeoutCancelsOnServer(t *testing.T) {
	t.Parallel()
	b := setup(t, sqlstep.Config{})
	b.add("db", "postgres", map[string]string{"url": postgresURL(t)})
	marker := "weft_sleep_" + suffix(t)
	_, err := b.run(t, sqlstep.TypeQuery, map[string]any{"credential": "db",
		"sql": "SELECT pg_sleep(60) /* " + marker + " */", "timeout": "300ms"})
	if codeOf(err) != "timeout" {
		t.Fatalf("err = %v (code %s), want timeout", err, codeOf(err))
	}
	if ok, _ := step.IsRetryable(err); !ok {
		t.Errorf("a timed-out query is not retryable; sql.query is idempotent by default")
	}
	// The server stops the statement (pgx sends a cancel request); poll
	// until it is gone, bounded.
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := b.ok(t, sqlstep.TypeQuery, map[string]any{"credential": "db",
			"sql":    "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()",
			"params": []any{"%" + marker + "%"}})
		if n := rows(t, out)[0]["n"]; n.(interface{ String() string }).String() == "0" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pg_sleep(60) is still running on the server 10s after the step timed out")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestExecIsNotRetriedUnlessIdempotent: a connection failure of sql.exec
// may have happened after the statement ran, so it is final unless the
// workflow says the write is idempotent; sql.query retries it.
func TestExecIsNotRetriedUnlessIdempotent(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { // accept and hang up: a server that dies mid-handshake
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	b := setup(t, sqlstep.Config{})
	b.add("db", "postgres", map[string]string{"host": host, "port": port, "user": "u", "database": "d", "sslmode": "disable"})
	_, err = b.run(t, sqlstep.TypeExec, map[string]any{"credential": "db", "sql": "DELETE FROM t", "timeout": "5s"})
	if ok, _ := step.IsRetryable(err); ok || codeOf(err) != "sql_connection" {
		t.Fatalf("sql.exec over a dropped connection: err = %v (code %s, retryable %v), want sql_connection, final", err, codeOf(err), ok)
	}
	_, err = b.run(t, sqlstep.TypeExec, map[string]any{"credential": "db", "sql": "DELETE FROM t", "timeout": "5s", "idempotent": true})
	if ok, _ := step.IsRetryable(err); !ok {
		t.Fatalf("idempotent sql.exec: err = %v not retryable", err)
	}
	_, err = b.run(t, sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": "SELECT 1", "timeout": "5s"})
	if ok, _ := step.IsRetryable(err); !ok {
		t.Fatalf("sql.query: err = %v not retryable", err)
	}
}

// leakyConns dials with an error that quotes the credential's secrets, as
// drivers do with their DSN.
type leakyConns struct{ *conns }

func (l leakyConns) Dialer(context.Context, string, string) (step.DialFunc, error) {
	return func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("cannot connect with postgres://admin:hunter2-secret@db.internal:5432/shop (password hunter2-secret)")
	}, nil
}

// TestErrorsNeverCarryTheCredential: whatever a driver puts in its error,
// the step's error has the URL and the password scrubbed.
func TestErrorsNeverCarryTheCredential(t *testing.T) {
	t.Parallel()
	for _, data := range []map[string]string{
		{"url": "postgres://admin:hunter2-secret@db.internal:5432/shop"},
		{"host": "db.internal", "user": "admin", "password": "hunter2-secret", "database": "shop"},
	} {
		b := setup(t, sqlstep.Config{})
		b.add("db", "postgres", data)
		r, _ := b.reg.Lookup(sqlstep.TypeQuery)
		_, err := r.Handler.Run(context.Background(), &step.Request{Workflow: "wf", With: map[string]any{"credential": "db", "sql": "SELECT 1"},
			Env: &step.Env{Connections: leakyConns{b.conns}}})
		if err == nil {
			t.Fatal("the step succeeded without a database")
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("error carries the password: %v", err)
		}
		if !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("error %q: want the secret replaced by [redacted]", err)
		}
	}
}

// TestInvalidInputs: the handler refuses what validation would, naming the
// field and never echoing values.
func TestInvalidInputs(t *testing.T) {
	t.Parallel()
	b := setup(t, sqlstep.Config{MaxRows: 500})
	b.add("db", "sqlite", map[string]string{"path": "x.db"})
	b.add("http", "bearer", map[string]string{"token": "tok-secret-123"})
	for _, c := range []struct {
		typ  string
		with map[string]any
		want string
	}{
		{sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": "SELECT 1", "max_rows": 501}, "max_rows"},
		{sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": "SELECT 1", "max_bytes": 200 << 20}, "max_bytes"},
		{sqlstep.TypeExec, map[string]any{"credential": "db"}, "sql"},
		{sqlstep.TypeExec, map[string]any{"credential": "db", "sql": "DELETE FROM t", "statements": []any{map[string]any{"sql": "x"}}}, "not both"},
		{sqlstep.TypeExec, map[string]any{"credential": "db", "statements": []any{map[string]any{"sql": "x", "parms": []any{}}}}, "parms"},
		{sqlstep.TypeQuery, map[string]any{"credential": "http", "sql": "SELECT 1"}, "postgres, mysql or sqlite"},
		{sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": "SELECT 1"}, "--sql-sqlite-dir"},
	} {
		_, err := b.run(t, c.typ, c.with)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: err = %v, want it to mention %q", c.typ, c.with, err, c.want)
		}
	}
}
