package api

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/credential"
	"github.com/weftworks/weft/engine"
)

// credBundle is an API server whose engine lends steps a credential vault,
// as weft serve wires it.
func credBundle(t *testing.T) *testBundle {
	t.Helper()
	return setup(t, bundleOpts{extra: func(cfg *Config) {
		kr, err := credential.NewKeyring(credential.NewKey())
		if err != nil {
			t.Fatal(err)
		}
		v, err := credential.New(credential.Config{Store: cfg.Store, Keyring: kr})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := engine.New(engine.Config{Store: cfg.Store, Registry: cfg.Registry, Connections: v, PollInterval: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Credentials, cfg.Engine = v, eng
	}})
}

func TestCredentialTestConnection(t *testing.T) {
	t.Parallel()
	const good, bad = "s3cret-token-value-0001", "wr0ng-token-value-0002"
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+good {
			_, _ = w.Write([]byte(`{"me":"weft"}`))
			return
		}
		// A careless API that echoes what it got: the answer must not carry it back.
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"bad token ` + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + `"}`))
	}))
	t.Cleanup(upstream.Close)
	b := credBundle(t)
	for name, tok := range map[string]string{"good": good, "bad": bad} {
		put := b.do(t, req{method: "PUT", path: "/api/v1/credentials/" + name, contentType: "application/json",
			body: `{"type":"bearer","data":{"token":"` + tok + `"}}`})
		if put.status != http.StatusOK {
			t.Fatalf("put %s: %d %s", name, put.status, put.body)
		}
	}
	post := func(name, body string) response {
		return b.do(t, req{method: "POST", path: "/api/v1/credentials/" + name + "/test", contentType: "application/json", body: body})
	}

	res := post("good", `{"url":"`+upstream.URL+`/me?x=1"}`)
	if res.status != http.StatusOK {
		t.Fatalf("test good: %d %s", res.status, res.body)
	}
	if m := res.json(t); m["ok"] != true || m["status"] != float64(200) || m["target"] != upstream.URL+"/me" {
		t.Fatalf("test good: %s", res.body)
	}

	res = post("bad", `{"url":"`+upstream.URL+`/me"}`)
	m := res.json(t)
	if res.status != http.StatusOK || m["ok"] != false || m["status"] != float64(401) {
		t.Fatalf("test bad: %d %s", res.status, res.body)
	}
	if strings.Contains(string(res.body), bad) || !strings.Contains(m["message"].(string), "401") {
		t.Fatalf("the answer must say 401 and never carry the token: %s", res.body)
	}

	// No URL to call: a 400 that says what to send.
	if res := post("good", ``); res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "test_url") {
		t.Fatalf("no url: %d %s", res.status, res.body)
	}
	if res := post("good", `{"url":"ftp://example.com/"}`); res.status != http.StatusBadRequest {
		t.Fatalf("ftp url: %d %s", res.status, res.body)
	}
	if res := post("ghost", `{"url":"`+upstream.URL+`"}`); res.status != http.StatusNotFound {
		t.Fatalf("unknown credential: %d %s", res.status, res.body)
	}
}

// A database credential is tested with SELECT 1; a refused connection says
// why without the password.
func TestCredentialTestDatabase(t *testing.T) {
	t.Parallel()
	b := credBundle(t)
	const pw = "pg-pass-value-0003"
	put := b.do(t, req{method: "PUT", path: "/api/v1/credentials/db", contentType: "application/json",
		body: `{"type":"postgres","data":{"url":"postgres://weft:` + pw + `@127.0.0.1:1/nothing?sslmode=disable"}}`})
	if put.status != http.StatusOK {
		t.Fatalf("put: %d %s", put.status, put.body)
	}
	res := b.do(t, req{method: "POST", path: "/api/v1/credentials/db/test"})
	m := res.json(t)
	if res.status != http.StatusOK || m["ok"] != false || m["target"] != "SELECT 1" || strings.Contains(string(res.body), pw) {
		t.Fatalf("unreachable database: %d %s", res.status, res.body)
	}
	if u := os.Getenv("WEFT_TEST_POSTGRES_URL"); u != "" {
		put := b.do(t, req{method: "PUT", path: "/api/v1/credentials/live", contentType: "application/json",
			body: `{"type":"postgres","data":{"url":"` + u + `"}}`})
		if put.status != http.StatusOK {
			t.Fatalf("put live: %d %s", put.status, put.body)
		}
		res := b.do(t, req{method: "POST", path: "/api/v1/credentials/live/test"})
		if m := res.json(t); m["ok"] != true {
			t.Fatalf("live database: %s", res.body)
		}
	}
}
