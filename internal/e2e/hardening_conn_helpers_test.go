package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// startServerNoPrivateNet runs weft serve with the SSRF guard at its
// default: no --allow-private-net (the harness allows loopback for its
// fakes; a later entry of the same variable wins in exec.Cmd.Env).
func startServerNoPrivateNet(t *testing.T, args ...string) *server {
	t.Helper()
	return startServer(t, []string{"WEFT_ALLOW_PRIVATE_NET="}, args...)
}

// fullExecution is GET /api/v1/executions/{id} with each step's output and
// error.
type fullExecution struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Steps  []struct {
		StepID   string          `json:"step_id"`
		Status   string          `json:"status"`
		Attempts int             `json:"attempts"`
		Output   json.RawMessage `json:"output"`
		Error    *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"steps"`
}

// finished waits for execution id to end and returns it in full.
func finished(t *testing.T, s *server, id string, within time.Duration) fullExecution {
	t.Helper()
	waitFinished(t, s, []string{id}, within)
	var ex fullExecution
	if code, err := s.api("GET", "/api/v1/executions/"+id, nil, &ex); err != nil || code != 200 {
		t.Fatalf("reading execution %s: %d %v", id, code, err)
	}
	return ex
}

// putCredential stores a credential through the API.
func putCredential(t *testing.T, s *server, name string, body map[string]any) {
	t.Helper()
	var out map[string]any
	if code, err := s.api("PUT", "/api/v1/credentials/"+name, body, &out); err != nil || code != 200 {
		t.Fatalf("PUT credential %s: %d %v %v", name, code, err, out)
	}
}

// serveOn starts h on a listener at ip (a loopback address such as
// 127.0.0.2: Linux answers on all of 127.0.0.0/8).
func serveOn(t *testing.T, ip string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listening on %s: %v", ip, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
