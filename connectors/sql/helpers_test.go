package sql_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"

	sqlstep "github.com/weftworks/weft/connectors/sql"
	"github.com/weftworks/weft/step"
)

// conns is a step.Connections holding fixed credentials; its dialer is a
// plain net.Dialer (the vault's guarded dialer is tested in credential and
// through weft serve).
type conns struct {
	creds map[string]step.Credential

	mu      sync.Mutex
	dialled []string // addresses dialled
}

var _ step.Connections = (*conns)(nil)

func (c *conns) Get(_ context.Context, _, name string) (step.Credential, error) {
	cr, ok := c.creds[name]
	if !ok {
		return step.Credential{}, fmt.Errorf("credential %q: not found", name)
	}
	return cr, nil
}
func (c *conns) Authorize(context.Context, string, string, *http.Request) error { return nil }
func (c *conns) Settings(context.Context, string, string) (step.ConnectionSettings, error) {
	return step.ConnectionSettings{}, nil
}
func (c *conns) Client(_ context.Context, _, _ string, base *http.Client) (*http.Client, error) {
	return base, nil
}
func (c *conns) Invalidate(context.Context, string, string) {}
func (c *conns) Report(string, error)                       {}
func (c *conns) Dialer(context.Context, string, string) (step.DialFunc, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c.mu.Lock()
		c.dialled = append(c.dialled, addr)
		c.mu.Unlock()
		return d.DialContext(ctx, network, addr)
	}, nil
}

// bundle is one test's service, registry and credentials.
type bundle struct {
	svc   *sqlstep.Service
	reg   *step.Registry
	conns *conns
}

func setup(t *testing.T, cfg sqlstep.Config) *bundle {
	t.Helper()
	svc, err := sqlstep.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	reg := step.NewRegistry()
	if err := svc.Register(reg); err != nil {
		t.Fatal(err)
	}
	return &bundle{svc: svc, reg: reg, conns: &conns{creds: map[string]step.Credential{}}}
}

func (b *bundle) add(name, typ string, data map[string]string) {
	b.conns.creds[name] = step.Credential{Name: name, Type: typ, Data: data}
}

// run runs one step and returns its output as generic JSON.
func (b *bundle) run(t *testing.T, typ string, with map[string]any) (map[string]any, error) {
	t.Helper()
	return b.runCtx(context.Background(), t, typ, with)
}

func (b *bundle) runCtx(ctx context.Context, t *testing.T, typ string, with map[string]any) (map[string]any, error) {
	t.Helper()
	r, ok := b.reg.Lookup(typ)
	if !ok {
		t.Fatalf("%s is not registered", typ)
	}
	// Round-trip with through JSON, as the engine hands it evaluated.
	raw, _ := json.Marshal(with)
	var w map[string]any
	_ = json.Unmarshal(raw, &w)
	res, err := r.Handler.Run(ctx, &step.Request{Workflow: "wf", StepID: "s", Type: typ, With: w, Attempt: 1,
		IdempotencyKey: "k", Env: &step.Env{Connections: b.conns}})
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(res.Output)
	if err != nil {
		t.Fatalf("output does not marshal: %v", err)
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(string(out)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	return m, nil
}

func must(t *testing.T, out map[string]any, err error) map[string]any {
	t.Helper()
	if err != nil {
		t.Fatalf("step failed: %v", err)
	}
	return out
}

func suffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// postgresURL and mysqlDSN read the local servers' addresses.
func postgresURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("WEFT_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("WEFT_TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return u
}

// mysqlCred turns WEFT_TEST_MYSQL_URL (a go-sql-driver DSN like
// root@tcp(127.0.0.1:3306)/test) into mysql credential fields.
func mysqlCred(t *testing.T) map[string]string {
	t.Helper()
	dsn := os.Getenv("WEFT_TEST_MYSQL_URL")
	if dsn == "" {
		t.Skip("WEFT_TEST_MYSQL_URL is not set (e.g. root@tcp(127.0.0.1:3306)/test)")
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("WEFT_TEST_MYSQL_URL: %v", err)
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		t.Fatalf("WEFT_TEST_MYSQL_URL address: %v", err)
	}
	return map[string]string{"host": host, "port": port, "user": cfg.User, "password": cfg.Passwd, "database": cfg.DBName, "tls": "false"}
}

func rows(t *testing.T, out map[string]any) []map[string]any {
	t.Helper()
	list, ok := out["rows"].([]any)
	if !ok {
		t.Fatalf("output has no rows list: %v", out)
	}
	res := make([]map[string]any, len(list))
	for i, r := range list {
		res[i], _ = r.(map[string]any)
	}
	return res
}

func codeOf(err error) string {
	if err == nil {
		return "(no error)"
	}
	return step.ErrorInfo(err).Code
}

func lookup(k string) string { return os.Getenv(k) }

// ok runs a step that must succeed.
func (b *bundle) ok(t *testing.T, typ string, with map[string]any) map[string]any {
	t.Helper()
	out, err := b.run(t, typ, with)
	if err != nil {
		t.Fatalf("%s failed: %v", typ, err)
	}
	return out
}
