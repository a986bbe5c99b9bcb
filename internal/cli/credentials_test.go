package cli

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/engine"
	"github.com/weftworks/weft/step"
)

// vaultServer starts an API server with a credential vault on a SQLite
// database and master key file in data, as serve lays them out. stop closes
// it (rotate-key then works on the files alone).
func vaultServer(t *testing.T, data string) (srv *httptest.Server, stop func()) {
	t.Helper()
	ctx := context.Background()
	st, kind, err := openStore(ctx, "", data, "")
	if err != nil || kind != "sqlite" {
		t.Fatalf("store: %v (%s)", err, kind)
	}
	kr, _, err := credential.LoadKeyring(masterKeySource(&Env{Getenv: func(string) string { return "" }}, "", data))
	if err != nil {
		t.Fatal(err)
	}
	vault, err := credential.New(credential.Config{Store: st, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st, Registry: reg, Connections: vault})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Engine: eng, Store: st, Registry: reg, Credentials: vault,
		Tokens: api.StaticToken(sha256.Sum256([]byte(clientTestToken)))})
	if err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewServer(h)
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			srv.Close()
			_ = st.Close()
		}
	}
	t.Cleanup(stop)
	return srv, stop
}

func TestCredentialsCommand(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	srv, stop := vaultServer(t, data)
	const (
		crmToken = "crm-secret-token-5f2a9c"
		password = "basic-password-77e1b0"
	)
	vars := map[string]string{"WEFT_SERVER": srv.URL, "WEFT_TOKEN": clientTestToken, "CRM_TOKEN": crmToken}
	fields := filepath.Join(t.TempDir(), "svc.json")
	if err := os.WriteFile(fields, []byte(`{"username": "svc", "password": "`+password+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}

	// --from-env with the bare value of the type's one secret field.
	r := runCLI(t, vars, "credentials", "set", "crm", "--type", "bearer", "--from-env", "CRM_TOKEN",
		"--workflows", "triage,sync", "--hosts", "api.crm.example", "--limits", `{"requests":"10/s","concurrency":4}`,
		"--retry", `{"max_attempts":2,"idempotency_header":"X-Request-Id"}`)
	if r.code != 0 || !strings.Contains(r.stderr, "stored credential crm (bearer; fields token)") {
		t.Fatalf("set crm: %d %s", r.code, r.stderr)
	}
	// --from-file with a JSON object of fields.
	if r := runCLI(t, vars, "credentials", "set", "svc", "--type", "basic", "--from-file", fields); r.code != 0 {
		t.Fatalf("set svc: %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, vars, "credentials", "set", "bad", "--type", "basic", "--from-file", fields, "--from-env", "CRM_TOKEN"); r.code == 0 {
		t.Fatal("--from-file with --from-env was accepted")
	}

	// list shows metadata, never a value.
	r = runCLI(t, vars, "credentials", "list")
	if r.code != 0 {
		t.Fatalf("list: %d %s", r.code, r.stderr)
	}
	for _, want := range []string{"crm", "bearer", "token", "triage,sync", "api.crm.example", "svc", "basic", "password,username"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, r.stdout)
		}
	}
	rj := runCLI(t, vars, "credentials", "list", "--json")
	for _, out := range []string{r.stdout, r.stderr, rj.stdout, rj.stderr} {
		if strings.Contains(out, crmToken) || strings.Contains(out, password) {
			t.Fatalf("list printed a secret:\n%s", out)
		}
	}
	var items []credential.Metadata
	if err := json.Unmarshal([]byte(rj.stdout), &items); err != nil || len(items) != 2 {
		t.Fatalf("list --json: %v %s", err, rj.stdout)
	}
	if items[0].Limits == nil || items[0].Limits.Requests != "10/s" || items[0].Limits.Concurrency != 4 {
		t.Fatalf("crm limits = %+v", items[0].Limits)
	}
	if items[0].Retry == nil || items[0].Retry.MaxAttempts != 2 || items[0].Retry.IdempotencyHeader != "X-Request-Id" {
		t.Fatalf("crm retry = %+v", items[0].Retry)
	}
	oldKey := items[0].KeyID

	// delete
	if r := runCLI(t, vars, "credentials", "delete", "crm"); r.code != 0 {
		t.Fatalf("delete: %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, vars, "credentials", "delete", "crm"); r.code == 0 {
		t.Fatal("deleting a missing credential succeeded")
	}
	if r := runCLI(t, vars, "credentials", "list"); strings.Contains(r.stdout, "crm") {
		t.Fatalf("crm still listed:\n%s", r.stdout)
	}

	// rotate-key re-seals under a new key file and keeps the old one.
	stop()
	r = runCLI(t, nil, "credentials", "rotate-key", "--data", data)
	if r.code != 0 || !strings.Contains(r.stderr, "re-sealed 1 credential(s)") {
		t.Fatalf("rotate-key: %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(data, "master.key.old")); err != nil {
		t.Fatalf("old key not kept: %v", err)
	}
	if err := os.Remove(filepath.Join(data, "master.key.old")); err != nil {
		t.Fatal(err)
	}
	// The new key alone opens the value.
	srv, _ = vaultServer(t, data)
	vars["WEFT_SERVER"] = srv.URL
	rj = runCLI(t, vars, "credentials", "list", "--json")
	items = nil
	if err := json.Unmarshal([]byte(rj.stdout), &items); err != nil || len(items) != 1 || items[0].KeyID == oldKey || len(items[0].Fields) != 2 {
		t.Fatalf("after rotation: %v %+v (old key %s)", err, items, oldKey)
	}
}
