package e2e

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const echoWorkflow = `
name: echo
on:
  webhook: { path: echo, method: POST }
steps:
  - id: pause
    uses: wait
    with: { for: 1s }
  - { id: basic, uses: http.request, with: { credential: legacy, url: "%[1]s/basic" } }
  - { id: bearer, uses: http.request, with: { credential: tok, url: "%[1]s/bearer" } }
  - { id: oauth, uses: http.request, with: { credential: m2m, url: "%[1]s/oauth" } }
  - { id: jwt, uses: http.request, with: { credential: signed, url: "%[1]s/jwt" } }
`

// TestDerivedSecretsAreRedactedUnderServe: an upstream that echoes request
// headers sends back what the credentials put on the wire — the basic
// pair's base64, a bearer token, an OAuth access token the vault was
// issued, a JWT the vault signed. None of them, raw or derived, is in the
// database files, the server's logs, the executions API or the event
// stream.
func TestDerivedSecretsAreRedactedUnderServe(t *testing.T) {
	t.Parallel()
	const (
		password    = "basic-password-7777"
		bearer      = "bearer-token-8888888"
		clientSec   = "client-secret-999999"
		accessToken = "issued-access-token-0123456789"
		refresh     = "issued-refresh-token-9876543210"
		jwtKey      = "jwt-hmac-key-abcdefghijklmnop"
	)
	var mu sync.Mutex
	var jwts []string
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":%q,"refresh_token":%q,"token_type":"bearer","expires_in":3600}`, accessToken, refresh)
			return
		}
		if r.URL.Path == "/jwt" {
			mu.Lock()
			jwts = append(jwts, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			mu.Unlock()
		}
		// Echo every request header, in the body and in a response header.
		w.Header().Set("X-Echo-Authorization", r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"headers": r.Header})
	}))
	t.Cleanup(echo.Close)
	data, dir := t.TempDir(), t.TempDir()
	writeWorkflow(t, dir, "echo", fmt.Sprintf(echoWorkflow, echo.URL))
	s := startServer(t, nil, "--data", data, "--workflows", dir, "--log-level", "debug")
	putCredential(t, s, "legacy", map[string]any{"type": "basic", "data": map[string]any{"username": "echo-user", "password": password}})
	putCredential(t, s, "tok", map[string]any{"type": "bearer", "data": map[string]any{"token": bearer}})
	putCredential(t, s, "m2m", map[string]any{"type": "oauth2_client_credentials", "data": map[string]any{
		"token_url": echo.URL + "/token", "client_id": "weft-client", "client_secret": clientSec}})
	putCredential(t, s, "signed", map[string]any{"type": "jwt", "data": map[string]any{"algorithm": "HS256", "key": jwtKey, "issuer": "weft"}})

	id, err := s.hook("echo", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	events := readEvents(t, s, id)
	ex := finished(t, s, id, 30*time.Second)
	if ex.Status != "succeeded" {
		t.Fatalf("execution %s: %+v", ex.Status, ex.Steps)
	}
	var show, list strings.Builder
	for path, into := range map[string]*strings.Builder{"/api/v1/executions/" + id: &show, "/api/v1/executions?workflow=echo": &list} {
		var raw json.RawMessage
		if code, err := s.api("GET", path, nil, &raw); err != nil || code != 200 {
			t.Fatalf("GET %s: %d %v", path, code, err)
		}
		into.Write(raw)
	}
	if !strings.Contains(show.String(), "[redacted]") {
		t.Fatalf("the echoed headers are not in the execution at all, the test proves nothing: %s", show.String())
	}
	s.kill()

	mu.Lock()
	minted := append([]string(nil), jwts...)
	mu.Unlock()
	if len(minted) == 0 || len(minted[0]) < 20 {
		t.Fatalf("the echo server saw no signed JWT: %v", minted)
	}
	pair := base64.StdEncoding.EncodeToString([]byte("echo-user:" + password))
	forbidden := map[string]string{
		"basic password": password, "basic base64 pair": pair, "Basic header": "Basic " + pair,
		"bearer token": bearer, "client secret": clientSec, "issued access token": accessToken,
		"issued refresh token": refresh, "jwt key": jwtKey, "signed jwt": minted[0],
	}
	places := map[string]string{"server logs": s.logs.String(), "GET execution": show.String(),
		"GET executions": list.String(), "event stream": events}
	files, _ := filepath.Glob(filepath.Join(data, "weft.db*"))
	if len(files) == 0 {
		t.Fatalf("no database files in %s", data)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		places[filepath.Base(f)] = string(b)
	}
	if !strings.Contains(events, "basic") {
		t.Fatalf("the event stream carried nothing about the steps: %q", events)
	}
	for where, text := range places {
		for what, v := range forbidden {
			if strings.Contains(text, v) {
				t.Errorf("%s found in %s", what, where)
			}
		}
	}
}

// readEvents follows an execution's event stream until it ends (the
// execution finished) and returns everything it carried.
func readEvents(t *testing.T, s *server, id string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/api/v1/executions/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("event stream: %d %s", resp.StatusCode, b)
	}
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return b.String()
}
