package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/weftworks/weft/credential/oauthtest"
)

// browser is a cookie-keeping HTTP client, as the console is.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
	csrf string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar}, base: base}
}

func (b *browser) do(method, path, contentType, body string) (int, []byte) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// session reads the signed-in principal and keeps its CSRF token.
func (b *browser) session() map[string]any {
	b.t.Helper()
	code, body := b.do("GET", "/api/v1/session", "", "")
	if code != 200 {
		b.t.Fatalf("GET /api/v1/session: %d %s", code, body)
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	b.csrf, _ = m["csrf_token"].(string)
	return m
}

func wfYAML(name string) string {
	return "name: " + name + "\nsteps:\n  - id: a\n    uses: transform\n    with: { value: 1 }\n"
}

// TestIdentityEndToEnd runs users, SSO, roles, scoped tokens and the audit
// trail through a real weft serve: an SSO sign-in against a local OIDC
// provider maps a group to editor; a viewer cannot change what the editor
// can; a token scoped to one workflow runs only that one; every privileged
// action appears in the audit trail exactly once; weft audit verify passes,
// then finds a row edited in the database.
func TestIdentityEndToEnd(t *testing.T) {
	t.Parallel()
	idp := oauthtest.New()
	defer idp.Close()
	idp.SetIdentity(oauthtest.Identity{Subject: "kc-42", Email: "eve@example.com", EmailVerified: true, Name: "Eve", Groups: []string{"weft-editors", "staff"}})
	addr := freeAddr(t)
	data := t.TempDir()
	srv := startServerAt(t, addr, []string{"WEFT_OIDC_CLIENT_SECRET=" + idp.ClientSecret}, "--data", data,
		"--oidc-issuer", idp.Issuer(), "--oidc-client-id", idp.ClientID, "--oidc-redirect-url", "http://"+addr+"/auth/oidc/callback",
		"--oidc-role-map", "weft-editors=editor,weft-admins=admin", "--oidc-name", "Keycloak")

	// SSO sign-in: login → IdP → callback → console, with a session cookie.
	eve := newBrowser(t, srv.url)
	if code, body := eve.do("GET", "/auth/oidc/login", "", ""); code != 200 {
		t.Fatalf("SSO sign-in ended with %d %s", code, body)
	}
	me := eve.session()
	if me["role"] != "editor" || me["email"] != "eve@example.com" || me["via"] != "session" || eve.csrf == "" {
		t.Fatalf("after SSO: %v", me)
	}
	if code, body := eve.do("PUT", "/api/v1/workflows/wf-a", "application/yaml", wfYAML("wf-a")); code != 201 {
		t.Fatalf("editor saving wf-a: %d %s", code, body)
	}

	// The admin token makes a viewer; the viewer signs in with a password.
	var viewer map[string]any
	if code, err := srv.api("POST", "/api/v1/users", map[string]any{"email": "vic@example.com", "role": "viewer", "password": "viewer password 1"}, &viewer); err != nil || code != 201 {
		t.Fatalf("creating a viewer: %d %v", code, err)
	}
	vic := newBrowser(t, srv.url)
	if code, _ := vic.do("POST", "/api/v1/session", "application/json", `{"email":"vic@example.com","password":"wrong password!!"}`); code != 401 {
		t.Fatalf("wrong password: %d", code)
	}
	if code, body := vic.do("POST", "/api/v1/session", "application/json", `{"email":"vic@example.com","password":"viewer password 1"}`); code != 200 {
		t.Fatalf("viewer sign-in: %d %s", code, body)
	}
	vic.session()
	if code, _ := vic.do("GET", "/api/v1/workflows/wf-a", "", ""); code != 200 {
		t.Fatalf("viewer reading wf-a: %d", code)
	}
	for _, rq := range [][3]string{
		{"PUT", "/api/v1/workflows/wf-a", wfYAML("wf-a") + "description: changed\n"},
		{"DELETE", "/api/v1/workflows/wf-a", ""},
		{"POST", "/api/v1/workflows/wf-a/disable", ""},
		{"POST", "/api/v1/workflows/wf-a/executions", "{}"},
	} {
		if code, body := vic.do(rq[0], rq[1], "application/yaml", rq[2]); code != 403 {
			t.Errorf("viewer %s %s: %d %s, want 403", rq[0], rq[1], code, body)
		}
	}

	// A service account's token scoped to wf-a runs wf-a and nothing else.
	if code, body := eve.do("PUT", "/api/v1/workflows/wf-b", "application/yaml", wfYAML("wf-b")); code != 201 {
		t.Fatalf("editor saving wf-b: %d %s", code, body)
	}
	var sa map[string]any
	if code, _ := srv.api("POST", "/api/v1/users", map[string]any{"email": "ci-deploy", "role": "operator", "kind": "service"}, &sa); code != 201 {
		t.Fatalf("creating a service account: %d", code)
	}
	var tok struct {
		Token  string              `json:"token"`
		Record struct{ ID string } `json:"record"`
	}
	if code, _ := srv.api("POST", "/api/v1/tokens", map[string]any{"name": "deploy wf-a", "user_id": sa["id"], "scopes": []string{"executions:run:wf-a"}, "expires_in": "7d"}, &tok); code != 201 || tok.Token == "" {
		t.Fatalf("creating a scoped token: %d", code)
	}
	run := func(wf string) int {
		req, _ := http.NewRequest("POST", srv.url+"/api/v1/workflows/"+wf+"/executions", strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := run("wf-a"); code != 202 && code != 200 && code != 201 {
		t.Fatalf("scoped token running wf-a: %d", code)
	}
	if code := run("wf-b"); code != 403 {
		t.Fatalf("scoped token running wf-b: %d, want 403", code)
	}
	if code, _ := srv.api("DELETE", "/api/v1/tokens/"+tok.Record.ID, nil, nil); code != 204 {
		t.Fatalf("revoking: %d", code)
	}
	if code := run("wf-a"); code != 401 {
		t.Fatalf("revoked token: %d, want 401", code)
	}

	// Every privileged action above is in the trail exactly once.
	var trail struct {
		Items []struct{ Actor, Action, Target string } `json:"items"`
	}
	if code, err := srv.api("GET", "/api/v1/audit?limit=1000", nil, &trail); err != nil || code != 200 {
		t.Fatalf("reading the audit trail: %d %v", code, err)
	}
	count := map[string]int{}
	for _, e := range trail.Items {
		count[e.Actor+" "+e.Action+" "+e.Target]++
	}
	tokenTarget := tok.Record.ID
	for _, want := range []string{
		"eve@example.com signin eve@example.com",
		"eve@example.com workflow.saved wf-a",
		"eve@example.com workflow.saved wf-b",
		"admin user.created vic@example.com",
		"vic@example.com signin.failed vic@example.com",
		"vic@example.com signin vic@example.com",
		"admin user.created ci-deploy",
		"admin token.created " + tokenTarget,
		"admin token.revoked " + tokenTarget,
	} {
		if count[want] != 1 {
			t.Errorf("audit trail has %q %d times, want once (trail %v)", want, count[want], count)
		}
	}
	if len(trail.Items) != 9 {
		t.Errorf("audit trail has %d entries, want the 9 actions above: %v", len(trail.Items), count)
	}

	// weft audit verify passes, then finds an edited row.
	dbPath := filepath.Join(data, "weft.db")
	if out, err := exec.Command(binary, "audit", "verify", "--db", dbPath).CombinedOutput(); err != nil || !strings.Contains(string(out), "ok: 9 entries verified") {
		t.Fatalf("weft audit verify: %v\n%s", err, out)
	}
	srv.kill()
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(context.Background(), "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	cmd := exec.Command(binary, "audit", "verify", "--db", dbPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "broken at entry 3") {
		t.Fatalf("weft audit verify after an edit: %v, stderr %q", err, stderr.String())
	}
}
