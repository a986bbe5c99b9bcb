package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const sqlWorkflow = `
name: orders-sql
on:
  webhook: { path: orders-sql, method: POST }
steps:
  - id: create
    uses: sql.exec
    with:
      credential: shop
      sql: CREATE TABLE IF NOT EXISTS %[1]s (id bigint PRIMARY KEY, note text NOT NULL, total numeric(12,2), meta jsonb)
  - id: insert
    uses: sql.exec
    with:
      credential: shop
      statements:
        - sql: INSERT INTO %[1]s (id, note, total, meta) VALUES ($1, $2, $3, $4)
          params: ["{{ trigger.body.id }}", "{{ trigger.body.note }}", "{{ trigger.body.total }}", "{{ trigger.body.meta }}"]
        - sql: UPDATE %[1]s SET total = total * 2 WHERE id = $1
          params: ["{{ trigger.body.id }}"]
  - id: read
    uses: sql.query
    with:
      credential: shop
      sql: SELECT id, note, total, meta FROM %[1]s WHERE id = $1
      params: ["{{ trigger.body.id }}"]
`

// TestSQLStepsUnderServe: a workflow writes to and reads from the local
// PostgreSQL through a credential created with the API. Injection through
// the webhook body stays a value; the database password is in no log, API
// answer or Weft database file; a server without --allow-private-net
// refuses the same credential (SSRF guard).
func TestSQLStepsUnderServe(t *testing.T) {
	t.Parallel()
	pgURL := os.Getenv("WEFT_TEST_POSTGRES_URL")
	if pgURL == "" {
		t.Skip("WEFT_TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	sfx := make([]byte, 5)
	_, _ = rand.Read(sfx)
	table := "weft_e2e_orders_" + hex.EncodeToString(sfx)
	t.Cleanup(func() { dropTable(t, pgURL, table) })

	// The local server trusts every login, so any password works; it must
	// still never be recorded.
	const password = "db-password-5150-secret"
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	cred := map[string]any{"type": "postgres", "data": map[string]any{"url": u.String()}}

	data, dir := t.TempDir(), t.TempDir()
	writeWorkflow(t, dir, "orders-sql", fmt.Sprintf(sqlWorkflow, table))
	s := startServer(t, nil, "--data", data, "--workflows", dir, "--log-level", "debug")
	putCredential(t, s, "shop", cred)

	evil := "x'); DROP TABLE " + table + "; --"
	body, _ := json.Marshal(map[string]any{"id": 42, "note": evil, "total": "12.34", "meta": map[string]any{"tags": []string{"a"}}})
	id, err := s.hook("orders-sql", string(body))
	if err != nil {
		t.Fatal(err)
	}
	ex := finished(t, s, id, 30*time.Second)
	if ex.Status != "succeeded" {
		t.Fatalf("execution %s: %s", ex.Status, stepsOf(ex))
	}
	var read struct {
		Rows []struct {
			ID    int64           `json:"id"`
			Note  string          `json:"note"`
			Total string          `json:"total"`
			Meta  json.RawMessage `json:"meta"`
		} `json:"rows"`
		RowCount int `json:"row_count"`
	}
	var insert struct {
		RowsAffected int `json:"rows_affected"`
	}
	for _, st := range ex.Steps {
		switch st.StepID {
		case "read":
			_ = json.Unmarshal(st.Output, &read)
		case "insert":
			_ = json.Unmarshal(st.Output, &insert)
		}
	}
	if read.RowCount != 1 || read.Rows[0].ID != 42 || read.Rows[0].Note != evil || read.Rows[0].Total != "24.68" || string(read.Rows[0].Meta) != `{"tags":["a"]}` {
		t.Fatalf("read step output = %+v, want the row with the note as text, total 24.68 and the JSON meta", read)
	}
	if insert.RowsAffected != 2 {
		t.Fatalf("insert step rows_affected = %d, want 2 (insert + update in one transaction)", insert.RowsAffected)
	}

	var texts strings.Builder
	for _, path := range []string{"/api/v1/executions/" + id, "/api/v1/credentials/shop", "/api/v1/credentials", "/api/v1/connections"} {
		var raw json.RawMessage
		code, err := s.api("GET", path, nil, &raw)
		if err != nil {
			t.Fatal(err)
		}
		if code == 200 {
			texts.Write(raw)
		}
	}

	// The same credential on a server with the SSRF guard at its default.
	data2, dir2 := t.TempDir(), t.TempDir()
	writeWorkflow(t, dir2, "orders-sql", fmt.Sprintf(sqlWorkflow, table))
	guarded := startServerNoPrivateNet(t, "--data", data2, "--workflows", dir2)
	putCredential(t, guarded, "shop", cred)
	id2, err := guarded.hook("orders-sql", string(body))
	if err != nil {
		t.Fatal(err)
	}
	ex2 := finished(t, guarded, id2, 30*time.Second)
	if ex2.Status != "failed" || len(ex2.Steps) == 0 || ex2.Steps[0].Error == nil || !strings.Contains(ex2.Steps[0].Error.Message, "SSRF guard") {
		t.Fatalf("without --allow-private-net: %s %s, want the first step refused by the SSRF guard", ex2.Status, stepsOf(ex2))
	}
	if ex2.Steps[0].Attempts != 1 {
		t.Errorf("a refused destination was attempted %d times, want 1 (not retried)", ex2.Steps[0].Attempts)
	}
	var raw json.RawMessage
	if code, err := guarded.api("GET", "/api/v1/executions/"+id2, nil, &raw); err == nil && code == 200 {
		texts.Write(raw)
	}
	s.kill()
	guarded.kill()

	places := map[string]string{"logs": s.logs.String(), "guarded logs": guarded.logs.String(), "API answers": texts.String()}
	for _, d := range []string{data, data2} {
		files, _ := filepath.Glob(filepath.Join(d, "weft.db*"))
		if len(files) == 0 {
			t.Fatalf("no database files in %s", d)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			places[f] = string(b)
		}
	}
	for where, text := range places {
		if strings.Contains(text, password) {
			t.Errorf("the database password is in %s", where)
		}
	}
	if !strings.Contains(texts.String(), evil) {
		t.Fatalf("the API answers do not hold the execution at all; the check proves nothing")
	}
}

func stepsOf(ex fullExecution) string {
	var b strings.Builder
	for _, st := range ex.Steps {
		fmt.Fprintf(&b, "[%s %s attempts=%d", st.StepID, st.Status, st.Attempts)
		if st.Error != nil {
			fmt.Fprintf(&b, " %s: %s", st.Error.Code, st.Error.Message)
		}
		b.WriteString("] ")
	}
	return b.String()
}

func dropTable(t *testing.T, pgURL, table string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Logf("dropping %s: %v", table, err)
		return
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DROP TABLE IF EXISTS "+table); err != nil {
		t.Logf("dropping %s: %v", table, err)
	}
}
