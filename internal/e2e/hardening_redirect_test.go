package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const redirectWorkflow = `
name: redir-%[1]s
on:
  webhook: { path: redir-%[1]s, method: POST }
steps:
  - id: call
    uses: http.request
    with: { credential: %[1]s, url: "%[2]s/start" }
`

// TestCredentialsDoNotFollowRedirectsToOtherHosts: a credential limited to
// hosts ["127.0.0.1"], called at a URL that redirects to 127.0.0.2, never
// reaches the second host — whatever header it travels in (X-API-Key, a
// custom X-Key, Authorization) — and the step fails saying why. A
// credential that allows both hosts is applied again on the second hop.
func TestCredentialsDoNotFollowRedirectsToOtherHosts(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []http.Header
	second := serveOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := r.Header.Clone()
		h.Set("X-Seen-Query", r.URL.RawQuery)
		seen = append(seen, h)
		mu.Unlock()
		w.Write([]byte(`{"landed":true}`))
	}))
	first := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, second.URL+"/landing", http.StatusFound)
	}))
	secrets := map[string]string{
		"apikey": "apikey-secret-111111", "custom": "custom-secret-222222",
		"bearer": "bearer-secret-333333", "basic": "basic-secret-444444", "both": "both-secret-555555",
	}
	creds := map[string]map[string]any{
		"apikey": {"type": "api_key", "data": map[string]any{"api_key": secrets["apikey"]}, "hosts": []string{"127.0.0.1"}},
		"custom": {"type": "custom", "data": map[string]any{"key": secrets["custom"], "headers": map[string]any{"X-Key": "{{ key }}"}}, "hosts": []string{"127.0.0.1"}},
		"bearer": {"type": "bearer", "data": map[string]any{"token": secrets["bearer"]}, "hosts": []string{"127.0.0.1"}},
		"basic":  {"type": "basic", "data": map[string]any{"username": "someone", "password": secrets["basic"]}, "hosts": []string{"127.0.0.1"}},
		"both":   {"type": "api_key", "data": map[string]any{"api_key": secrets["both"]}, "hosts": []string{"127.0.0.1", "127.0.0.2"}},
	}
	dir := t.TempDir()
	for name := range creds {
		writeWorkflow(t, dir, "redir-"+name, fmt.Sprintf(redirectWorkflow, name, first.URL))
	}
	s := startServer(t, nil, "--data", t.TempDir(), "--workflows", dir)
	for name, body := range creds {
		putCredential(t, s, name, body)
	}
	for _, name := range []string{"apikey", "custom", "bearer", "basic"} {
		id, err := s.hook("redir-"+name, `{}`)
		if err != nil {
			t.Fatal(err)
		}
		ex := finished(t, s, id, 30*time.Second)
		if ex.Status != "failed" || len(ex.Steps) != 1 || ex.Steps[0].Error == nil {
			t.Fatalf("%s: execution %s, want failed with an error", name, ex.Status)
		}
		msg := ex.Steps[0].Error.Message
		if !strings.Contains(msg, "redirect to http://127.0.0.2") || !strings.Contains(msg, "hosts") || ex.Steps[0].Attempts != 1 {
			t.Errorf("%s: error %q after %d attempts, want a final refusal that names the redirect and the hosts rule", name, msg, ex.Steps[0].Attempts)
		}
	}
	mu.Lock()
	refused := len(seen)
	mu.Unlock()
	if refused != 0 {
		t.Errorf("the second host got %d requests from credentials limited to the first", refused)
	}

	id, err := s.hook("redir-both", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if ex := finished(t, s, id, 30*time.Second); ex.Status != "succeeded" {
		t.Fatalf("a credential allowed on both hosts: execution %s", ex.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0].Get("X-API-Key") != secrets["both"] {
		t.Fatalf("second host saw %v, want one request carrying the credential allowed there", seen)
	}
	for _, h := range seen {
		for name, v := range secrets {
			for k, vs := range h {
				if name != "both" && strings.Contains(strings.Join(vs, " "), v) {
					t.Errorf("credential %s reached 127.0.0.2 in %s", name, k)
				}
			}
		}
	}
}
