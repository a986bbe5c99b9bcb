package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/weftworks/weft/audit"
	"github.com/weftworks/weft/identity"
	"github.com/weftworks/weft/store"
)

// grantedTo is the role table of the issue, written out here by hand (not
// read from package identity), so a change to either shows up as a
// difference in TestRouteRoleScopeMatrix.
var grantedTo = map[string][]string{
	identity.Authenticated:    {"owner", "admin", "editor", "operator", "viewer"},
	identity.WorkflowsRead:    {"owner", "admin", "editor", "operator", "viewer"},
	identity.ExecutionsRead:   {"owner", "admin", "editor", "operator", "viewer"},
	identity.CredentialsList:  {"owner", "admin", "editor", "operator", "viewer"},
	identity.TokensOwn:        {"owner", "admin", "editor", "operator", "viewer"},
	identity.ExecutionsRun:    {"owner", "admin", "editor", "operator"},
	identity.MCPCall:          {"owner", "admin", "editor", "operator"},
	identity.WorkflowsWrite:   {"owner", "admin", "editor"},
	identity.CredentialsRead:  {"owner", "admin", "editor"},
	identity.CredentialsWrite: {"owner", "admin"},
	identity.SubscriptionsRW:  {"owner", "admin"},
	identity.UsersRead:        {"owner", "admin"},
	identity.UsersWrite:       {"owner", "admin"},
	identity.AuditRead:        {"owner", "admin"},
}

// idBundle is a test server with users and tokens.
type idBundle struct {
	*testBundle
	ids *identity.Service
	// sessions holds a session cookie and CSRF token per role.
	sessions map[string][2]string
}

func setupIdentity(t *testing.T) *idBundle {
	t.Helper()
	var ids *identity.Service
	b := setup(t, bundleOpts{extra: func(c *Config) {
		var err error
		ids, err = identity.New(identity.Config{Store: c.Store})
		if err != nil {
			t.Fatal(err)
		}
		c.Identity = ids
		c.Audit = audit.NewRecorder(c.Store, nil, nil)
	}})
	ib := &idBundle{testBundle: b, ids: ids, sessions: map[string][2]string{}}
	ctx := context.Background()
	for _, role := range identity.RoleNames {
		u, err := ids.Bootstrap(ctx, identity.UserInput{Email: role + "@example.com", Role: role, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		cookie, sess, err := ids.StartSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		ib.sessions[role] = [2]string{cookie, sess.CSRF}
	}
	return ib
}

// token makes a token with scopes for a service account with role.
func (ib *idBundle) token(t *testing.T, role string, scopes ...string) string {
	t.Helper()
	ctx := context.Background()
	sa, err := ib.ids.Bootstrap(ctx, identity.UserInput{Email: "sa-" + strings.NewReplacer(":", "-", "*", "x").Replace(strings.Join(scopes, "_")) + "-" + role, Role: role, Kind: store.UserService})
	if err != nil {
		t.Fatal(err)
	}
	_, value, err := ib.ids.CreateToken(ctx, identity.AdminPrincipal(), identity.TokenInput{Name: "t", UserID: sa.ID, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return value
}

// asSession sends a request with role's session cookie (and CSRF token).
func (ib *idBundle) asSession(t *testing.T, role, method, path, body string, csrf bool) response {
	t.Helper()
	hr, err := http.NewRequest(method, ib.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	s := ib.sessions[role]
	hr.AddCookie(&http.Cookie{Name: sessionCookie, Value: s[0]})
	if csrf {
		hr.Header.Set(csrfHeader, s[1])
	}
	hr.Header.Set("Content-Type", "application/json")
	res, err := ib.srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out response
	out.status, out.header = res.StatusCode, res.Header
	out.body = readAll(t, res)
	return out
}

func fillPath(p string) string {
	return strings.NewReplacer("{name}", "wf1", "{id}", "x1", "{step}", "s1", "{execution}", "x1", "{token}", "t1").Replace(p)
}

func denied(r response) bool {
	if r.status != http.StatusForbidden {
		return false
	}
	var body struct{ Error struct{ Code string } }
	_ = json.Unmarshal(r.body, &body)
	return body.Error.Code == "forbidden"
}

// TestRouteRoleScopeMatrix walks every route of the table with every role
// (a console session) and every token scope, and checks the middleware
// lets through exactly what grantedTo and the scope say.
func TestRouteRoleScopeMatrix(t *testing.T) {
	t.Parallel()
	ib := setupIdentity(t)
	s := &server{}
	var scopes []string
	for _, p := range identity.AllPermissions {
		if p != identity.TokensOwn {
			scopes = append(scopes, p)
		}
	}
	scopes = append(scopes, "executions:run:wf1", "executions:run:other", "workflows:read:wf1", "mcp:call:wf1")
	tokens := map[string]string{}
	for _, sc := range scopes {
		tokens[sc] = ib.token(t, identity.RoleOwner, sc)
	}
	checked := 0
	for _, rt := range s.routes() {
		if rt.Need.Public() {
			continue
		}
		if _, ok := grantedTo[rt.Need.Perm]; !ok {
			t.Errorf("%s %s needs %q, which the role table does not know", rt.Method, rt.Path, rt.Need.Perm)
			continue
		}
		path := fillPath(rt.Path)
		if rt.Method == "DELETE" && rt.Path == "/api/v1/session" {
			continue // signing out ends the session the other rows use; TestSessionCSRF covers it
		}
		for _, role := range identity.RoleNames {
			res := ib.asSession(t, role, rt.Method, path, "{}", true)
			want := slices.Contains(grantedTo[rt.Need.Perm], role)
			if got := !denied(res); got != want {
				t.Errorf("%s %s as %s: allowed=%v (status %d %s), table says %v", rt.Method, rt.Path, role, got, res.status, res.body, want)
			}
			if res.status == http.StatusUnauthorized {
				t.Errorf("%s %s as %s: 401 %s", rt.Method, rt.Path, role, res.body)
			}
			checked++
		}
		for _, sc := range scopes {
			res := ib.do(t, req{method: rt.Method, path: path, body: "{}", contentType: "application/json", token: ptr(tokens[sc])})
			want := rt.Need.Perm == identity.Authenticated || sc == rt.Need.Perm ||
				(rt.Need.Workflow != "" && sc == rt.Need.Perm+":wf1")
			if got := !denied(res); got != want {
				t.Errorf("%s %s with a token scoped %s: allowed=%v (status %d %s), want %v", rt.Method, rt.Path, sc, got, res.status, res.body, want)
			}
			checked++
		}
	}
	if checked < 500 {
		t.Fatalf("checked %d combinations; the table seems empty", checked)
	}
}

func TestWorkflowScopedTokenRunsOnlyItsWorkflow(t *testing.T) {
	t.Parallel()
	ib := setupIdentity(t)
	for _, name := range []string{"wf1", "wf2"} {
		if res := ib.do(t, req{method: "PUT", path: "/api/v1/workflows/" + name, body: "name: " + name + "\nsteps:\n  - id: a\n    uses: transform\n    with: { value: 1 }\n", contentType: "application/yaml"}); res.status >= 300 {
			t.Fatalf("PUT %s: %d %s", name, res.status, res.body)
		}
	}
	tok := ib.token(t, identity.RoleOperator, "executions:run:wf1")
	if res := ib.do(t, req{method: "POST", path: "/api/v1/workflows/wf1/executions", body: "{}", token: &tok}); res.status != http.StatusAccepted && res.status != http.StatusOK && res.status != http.StatusCreated {
		t.Fatalf("run wf1 with its token: %d %s", res.status, res.body)
	}
	for _, rq := range []req{
		{method: "POST", path: "/api/v1/workflows/wf2/executions", body: "{}"},
		{method: "GET", path: "/api/v1/workflows"},
		{method: "PUT", path: "/api/v1/workflows/wf1", body: "name: wf1\nsteps:\n  - id: a\n    uses: transform\n    with: { value: 1 }\n"},
		{method: "POST", path: "/api/v1/executions/retry", body: `{"ids":["x"]}`},
	} {
		rq.token = &tok
		if res := ib.do(t, rq); !denied(res) {
			t.Errorf("%s %s with a token scoped to wf1: %d %s, want 403", rq.method, rq.path, res.status, res.body)
		}
	}
	// A viewer's token cannot run wf1 whatever its scopes say: the role caps it.
	vt := ib.token(t, identity.RoleViewer, "executions:run:wf1")
	if res := ib.do(t, req{method: "POST", path: "/api/v1/workflows/wf1/executions", body: "{}", token: &vt}); !denied(res) {
		t.Errorf("viewer's token scoped executions:run:wf1: %d, want 403", res.status)
	}
}

func TestSessionCSRF(t *testing.T) {
	t.Parallel()
	ib := setupIdentity(t)
	body := "name: wf1\nsteps:\n  - id: a\n    uses: transform\n    with: { value: 1 }\n"
	res := ib.asSession(t, "editor", "PUT", "/api/v1/workflows/wf1", body, false)
	if code, _, _ := res.apiError(t, http.StatusForbidden); code != "csrf" {
		t.Fatalf("PUT without the CSRF header: code %q", code)
	}
	if res := ib.asSession(t, "editor", "GET", "/api/v1/workflows", "", false); res.status != 200 {
		t.Fatalf("GET needs no CSRF token: %d %s", res.status, res.body)
	}
	if res := ib.asSession(t, "editor", "PUT", "/api/v1/workflows/wf1", body, true); res.status >= 300 {
		t.Fatalf("PUT with the CSRF header: %d %s", res.status, res.body)
	}
	if res := ib.asSession(t, "editor", "DELETE", "/api/v1/session", "", true); res.status != http.StatusNoContent {
		t.Fatalf("sign out: %d %s", res.status, res.body)
	}
	if res := ib.asSession(t, "editor", "GET", "/api/v1/workflows", "", false); res.status != http.StatusUnauthorized {
		t.Fatalf("after sign-out: %d, want 401", res.status)
	}
}

func TestViewerSeesCredentialNamesOnly(t *testing.T) {
	t.Parallel()
	ib := setupIdentity(t)
	// Without a vault the route answers 404 for everyone; the projection
	// itself is checked through credentialName's fields.
	if f := strings.Join(jsonKeys(credentialName{}), ","); f != "name,type" {
		t.Fatalf("a viewer's credential view has fields %s", f)
	}
	if res := ib.asSession(t, "viewer", "GET", "/api/v1/credentials/any", "", false); !denied(res) {
		t.Fatalf("viewer reading a credential's metadata: %d", res.status)
	}
}

func jsonKeys(v any) []string {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func readAll(t *testing.T, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAuthenticateForMCP: an endpoint outside the route table gets the same
// principals, and a token scoped mcp:call:<wf> may call that workflow only.
func TestAuthenticateForMCP(t *testing.T) {
	t.Parallel()
	ib := setupIdentity(t)
	var cfg Config
	cfg.Tokens = StaticToken()
	cfg.Identity = ib.ids
	h := Authenticate(cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Join([]string{
			boolString(MayCallWorkflow(r.Context(), "support-bot")), boolString(MayCallWorkflow(r.Context(), "billing")),
		}, ","))
	}))
	tok := ib.token(t, identity.RoleOperator, "mcp:call:support-bot")
	for _, tc := range []struct{ auth, want string }{{"Bearer " + tok, "true,false"}, {"", "401"}, {"Bearer weftpat_nope", "401"}} {
		rec := httptestRecorder()
		r, _ := http.NewRequest("POST", "/mcp", strings.NewReader("{}"))
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		h.ServeHTTP(rec, r)
		got := rec.Body.String()
		if tc.want == "401" {
			got = strconv.Itoa(rec.Code)
		}
		if got != tc.want {
			t.Errorf("%q: %s, want %s", tc.auth, got, tc.want)
		}
	}
}

func boolString(b bool) string { return strconv.FormatBool(b) }

func httptestRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
