package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// fakeAS is an OAuth 2.1 authorization server as the MCP authorization spec
// expects one: RFC 8414 metadata, dynamic client registration (RFC 7591),
// an authorization endpoint that approves at once (the user's consent,
// followed programmatically) and a token endpoint checking PKCE S256 and the
// resource indicator (RFC 8707).
type fakeAS struct {
	t        *testing.T
	url      string
	resource string
	// ttl is the expires_in of the access tokens it issues.
	ttl int

	mu            sync.Mutex
	clients       map[string]string // client_id -> redirect_uri
	codes         map[string]string // code -> PKCE challenge
	access        map[string]bool   // access tokens the MCP server accepts
	refresh       map[string]bool
	registrations int
	refreshes     int
	refuseAll     bool
}

func newFakeAS(t *testing.T, resource string, ttl int) *fakeAS {
	a := &fakeAS{t: t, resource: resource, ttl: ttl, clients: map[string]string{}, codes: map[string]string{},
		access: map[string]bool{}, refresh: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": a.url, "authorization_endpoint": a.url + "/authorize",
			"token_endpoint": a.url + "/token", "registration_endpoint": a.url + "/register",
			"code_challenge_methods_supported": []string{"S256"}, "response_types_supported": []string{"code"},
			"grant_types_supported": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_methods_supported": []string{"none"}})
	})
	mux.HandleFunc("POST /register", func(w http.ResponseWriter, r *http.Request) {
		var m oauthex.ClientRegistrationMetadata
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || len(m.RedirectURIs) != 1 {
			http.Error(w, `{"error":"invalid_client_metadata"}`, http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.registrations++
		id := "client-" + rand.Text()[:8]
		a.clients[id] = m.RedirectURIs[0]
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"client_id": id, "redirect_uris": m.RedirectURIs, "token_endpoint_auth_method": "none"})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		a.mu.Lock()
		redirect, ok := a.clients[q.Get("client_id")]
		a.mu.Unlock()
		switch {
		case !ok || q.Get("redirect_uri") != redirect:
			http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
			return
		case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
			http.Error(w, "PKCE S256 is required", http.StatusBadRequest)
			return
		case q.Get("resource") != a.resource:
			http.Error(w, "resource "+q.Get("resource")+" is not "+a.resource, http.StatusBadRequest)
			return
		}
		code := rand.Text()
		a.mu.Lock()
		a.codes[code] = q.Get("code_challenge")
		a.mu.Unlock()
		http.Redirect(w, r, redirect+"?code="+code+"&state="+q.Get("state"), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		a.mu.Lock()
		defer a.mu.Unlock()
		fail := func(code string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"`+code+`"}`)
		}
		if _, ok := a.clients[r.Form.Get("client_id")]; !ok {
			fail("invalid_client")
			return
		}
		switch r.Form.Get("grant_type") {
		case "authorization_code":
			challenge, ok := a.codes[r.Form.Get("code")]
			delete(a.codes, r.Form.Get("code"))
			sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
			if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge || r.Form.Get("resource") != a.resource {
				fail("invalid_grant")
				return
			}
		case "refresh_token":
			if a.refuseAll || !a.refresh[r.Form.Get("refresh_token")] {
				fail("invalid_grant")
				return
			}
			delete(a.refresh, r.Form.Get("refresh_token"))
			a.refreshes++
		default:
			fail("unsupported_grant_type")
			return
		}
		at, rt := "at-"+rand.Text(), "rt-"+rand.Text()
		a.access[at], a.refresh[rt] = true, true
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": a.ttl, "refresh_token": rt})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

func (a *fakeAS) verify(_ context.Context, tok string, _ *http.Request) (*auth.TokenInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.refuseAll || !a.access[tok] {
		return nil, auth.ErrInvalidToken
	}
	return &auth.TokenInfo{Expiration: time.Now().Add(time.Hour)}, nil
}

func (a *fakeAS) counts() (registrations, refreshes int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.registrations, a.refreshes
}

// protectedMCP is an MCP server (the Go SDK's) behind the SDK's bearer-token
// middleware, which answers 401 with WWW-Authenticate resource_metadata,
// and its Protected Resource Metadata (RFC 9728). metadataURL, when not
// empty, is the metadata URL the 401 names instead (the server then serves
// none itself). It returns the /mcp URL
// and the fake authorization server.
func protectedMCP(t *testing.T, ttl int, metadataURL string) (string, *fakeAS) {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "guarded", Version: "1"}, nil)
	type in struct {
		Message string `json:"message"`
	}
	type out struct {
		Echo string `json:"echo"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Echo a message."}, func(_ context.Context, _ *mcp.CallToolRequest, a in) (*mcp.CallToolResult, out, error) {
		return nil, out{Echo: "guarded: " + a.Message}, nil
	})
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	resource := srv.URL + "/mcp"
	as := newFakeAS(t, resource, ttl)
	if metadataURL == "" {
		metadataURL = srv.URL + "/.well-known/oauth-protected-resource/mcp"
		mux.Handle("/.well-known/oauth-protected-resource/mcp", auth.ProtectedResourceMetadataHandler(&oauthex.ProtectedResourceMetadata{
			Resource: resource, AuthorizationServers: []string{as.url}}))
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	mux.Handle("/mcp", auth.RequireBearerToken(as.verify, &auth.RequireBearerTokenOptions{ResourceMetadataURL: metadataURL})(h))
	return resource, as
}

// connect presses Connect the way the console does (GET oauth/start with
// format=json) and follows the authorization in place of the user's
// browser: the fake approves and redirects to Weft's callback.
func connect(t *testing.T, s *server, name string) (int, string) {
	t.Helper()
	var start map[string]any
	code, err := s.api("GET", "/api/v1/credentials/"+name+"/oauth/start?format=json", nil, &start)
	if err != nil {
		t.Fatal(err)
	}
	if code != 200 {
		b, _ := json.Marshal(start)
		return code, string(b)
	}
	resp, err := http.Get(start["authorize_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

const mcpOAuthWorkflow = `name: mcp-oauth
on:
  webhook: { path: mcp-oauth, method: POST }
steps:
  - id: echo
    uses: mcp.call
    with:
      connection: guarded
      tool: echo
      arguments: { message: "{{ trigger.body.message }}" }
`

// TestMCPOAuthDiscoveryUnderServe connects an mcp connection with
// oauth: true to a server that demands OAuth: Weft discovers the
// authorization server from the 401, registers itself, the authorization
// is followed through Weft's callback, and mcp.call succeeds; an expired
// token is refreshed; a refused refresh asks for Connect again.
func TestMCPOAuthDiscoveryUnderServe(t *testing.T) {
	t.Parallel()
	// Tokens live 31 s: Weft replaces them 30 s before they expire, so each
	// call after the first second refreshes.
	resource, as := protectedMCP(t, 31, "")
	wfDir := t.TempDir()
	writeWorkflow(t, wfDir, "mcp-oauth", mcpOAuthWorkflow)
	srv := startServer(t, nil, "--data", t.TempDir(), "--workflows", wfDir)
	// Without oauth the call fails at once and says how to set it up.
	putCredential(t, srv, "guarded", map[string]any{"type": "mcp", "data": map[string]any{"url": resource}})
	run := func(msg string) fullExecution {
		t.Helper()
		id, err := srv.hook("mcp-oauth", `{"message":"`+msg+`"}`)
		if err != nil {
			t.Fatal(err)
		}
		return finished(t, srv, id, 60*time.Second)
	}
	if ex := run("no oauth"); ex.Status != "failed" || !strings.Contains(errorsOf(ex), "requires OAuth") || ex.Steps[0].Attempts != 1 {
		t.Fatalf("a call to an OAuth server without oauth: %s %s", ex.Status, errorsOf(ex))
	}
	putCredential(t, srv, "guarded", map[string]any{"type": "mcp", "data": map[string]any{
		"url": resource, "oauth": "true", "redirect_url": srv.url + "/oauth/callback"}})

	// Before Connect the call fails and says what to do.
	ex := run("too early")
	if ex.Status != "failed" || !strings.Contains(errorsOf(ex), "Connect") {
		t.Fatalf("a call before Connect: %s %s", ex.Status, errorsOf(ex))
	}

	if code, body := connect(t, srv, "guarded"); code != 200 || !strings.Contains(body, "is authorized") {
		t.Fatalf("Connect: %d %s", code, body)
	}
	if regs, _ := as.counts(); regs != 1 {
		t.Fatalf("dynamic registrations: %d, want 1", regs)
	}
	ex = run("hello")
	if ex.Status != "succeeded" || !strings.Contains(string(ex.Steps[0].Output), "guarded: hello") {
		t.Fatalf("mcp.call after Connect: %s %s %s", ex.Status, ex.Steps[0].Output, errorsOf(ex))
	}

	// The token is now inside Weft's refresh margin: the next call refreshes.
	time.Sleep(1500 * time.Millisecond)
	ex = run("after expiry")
	if _, refreshes := as.counts(); ex.Status != "succeeded" || refreshes < 1 {
		t.Fatalf("a call after the token expired: %s refreshes=%d %s", ex.Status, refreshes, errorsOf(ex))
	}

	// A second Connect reuses the registered client.
	if code, body := connect(t, srv, "guarded"); code != 200 {
		t.Fatalf("Connect again: %d %s", code, body)
	}
	if regs, _ := as.counts(); regs != 1 {
		t.Fatalf("dynamic registrations after a second Connect: %d, want 1", regs)
	}

	// Pointing the connection at another server does not send it the
	// tokens: replacing a connection drops them (and they are bound to the
	// url of their Connect besides); it needs Connect again.
	var leaked atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get("Authorization"); h != "" {
			leaked.Store(h)
		}
		http.Error(w, "no", http.StatusNotFound)
	}))
	t.Cleanup(other.Close)
	putCredential(t, srv, "guarded", map[string]any{"type": "mcp", "data": map[string]any{
		"url": other.URL + "/mcp", "oauth": "true", "redirect_url": srv.url + "/oauth/callback"}})
	ex = run("elsewhere")
	if ex.Status != "failed" || !strings.Contains(errorsOf(ex), "needs authorization") || leaked.Load() != nil {
		t.Fatalf("a call after the url changed: %s %s (the other server saw %v)", ex.Status, errorsOf(ex), leaked.Load())
	}
	putCredential(t, srv, "guarded", map[string]any{"type": "mcp", "data": map[string]any{
		"url": resource, "oauth": "true", "redirect_url": srv.url + "/oauth/callback"}})
	if code, body := connect(t, srv, "guarded"); code != 200 {
		t.Fatalf("Connect after the url was restored: %d %s", code, body)
	}
	if ex = run("back"); ex.Status != "succeeded" {
		t.Fatalf("a call after the url was restored: %s %s", ex.Status, errorsOf(ex))
	}

	// The authorization server revokes everything: the call fails at once
	// (another attempt cannot help) asking for Connect; the process stays up.
	as.mu.Lock()
	as.refuseAll = true
	as.mu.Unlock()
	time.Sleep(1500 * time.Millisecond)
	ex = run("revoked")
	if ex.Status != "failed" || !strings.Contains(errorsOf(ex), "needs authorization") || !strings.Contains(errorsOf(ex), "Connect") ||
		ex.Steps[0].Attempts != 1 {
		t.Fatalf("a call with a refused refresh: %s %s", ex.Status, errorsOf(ex))
	}
	t.Logf("refused: %s", errorsOf(ex))
	assertAlive(t, srv)
}

// TestMCPOAuthDiscoveryGoesThroughTheSSRFGuard points the 401's
// resource_metadata at an address the SSRF guard refuses: Connect fails
// and the metadata server is never asked.
func TestMCPOAuthDiscoveryGoesThroughTheSSRFGuard(t *testing.T) {
	t.Parallel()
	var asked atomic.Int32
	inside := serveOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { asked.Add(1) }))
	resource, _ := protectedMCP(t, 3600, inside.URL+"/.well-known/oauth-protected-resource/mcp")
	srv := startServer(t, []string{"WEFT_ALLOW_PRIVATE_NET=127.0.0.1/32"}, "--data", t.TempDir())
	putCredential(t, srv, "guarded", map[string]any{"type": "mcp", "data": map[string]any{
		"url": resource, "oauth": "true", "redirect_url": srv.url + "/oauth/callback"}})
	code, body := connect(t, srv, "guarded")
	if code != 422 || asked.Load() != 0 || !strings.Contains(body, "SSRF guard") {
		t.Fatalf("Connect with a metadata URL on a refused address: %d %s (asked %d times)", code, body, asked.Load())
	}
	t.Logf("refused: %d %s", code, body)
}

// TestMCPOAuthHostileMetadataUnderServe serves a protected resource
// metadata document without end: Weft reads a bounded prefix, Connect fails
// with a clear answer, and the process stays up.
func TestMCPOAuthHostileMetadataUnderServe(t *testing.T) {
	t.Parallel()
	var written atomic.Int64
	chunk := []byte(strings.Repeat(" ", 64<<10))
	endless := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"resource":"`))
		for written.Load() < 256<<20 {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	huge := httptest.NewServer(endless)
	t.Cleanup(huge.Close)
	resource, _ := protectedMCP(t, 3600, huge.URL+"/.well-known/oauth-protected-resource/mcp")
	srv := startServer(t, nil, "--data", t.TempDir())
	putCredential(t, srv, "guarded", map[string]any{"type": "mcp", "data": map[string]any{
		"url": resource, "oauth": "true", "redirect_url": srv.url + "/oauth/callback"}})
	code, body := connect(t, srv, "guarded")
	if code != 422 || written.Load() >= 64<<20 || !strings.Contains(body, "protected resource metadata") {
		t.Fatalf("Connect against endless metadata: %d %s (%d bytes sent)", code, body, written.Load())
	}
	t.Logf("refused after %d bytes were sent: %s", written.Load(), body)
	assertAlive(t, srv)
}

// errorsOf joins the error messages of an execution's steps.
func errorsOf(ex fullExecution) string {
	var b strings.Builder
	for _, s := range ex.Steps {
		if s.Error != nil {
			b.WriteString(s.StepID + ": " + s.Error.Message + "; ")
		}
	}
	return b.String()
}
