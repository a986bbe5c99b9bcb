package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const token = "e2e-admin-token-0123456789"

var binary string

// waitingParallel is how many tests run at once per CPU unless -parallel
// says otherwise: a test here mostly waits on its weft serve processes,
// brokers and fakes, so GOMAXPROCS (go test's default) leaves the CPUs idle.
const waitingParallel = 4

func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", strconv.Itoa(waitingParallel*runtime.GOMAXPROCS(0)))
	}
	dir, err := os.MkdirTemp("", "weft-e2e-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "weft")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/weft")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building weft:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is one `weft serve` process.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
	done chan struct{}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

// testMasterKey is the credential master key of every test server (32
// bytes, base64); a test value, never a real one.
const testMasterKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

// startServer runs weft serve with the given flags and waits for /readyz.
func startServer(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	// freeAddr's port is free when it returns, but a test running in
	// parallel may take it before the child binds it: then try another.
	for range 2 {
		if s := startServerTry(t, freeAddr(t), env, args...); s != nil {
			return s
		}
	}
	return startServerAt(t, freeAddr(t), env, args...)
}

// startServerAt is startServer on a chosen address (for flags that name
// the server's own URL, such as an OIDC redirect URL).
func startServerAt(t *testing.T, addr string, env []string, args ...string) *server {
	t.Helper()
	s := startServerTry(t, addr, env, args...)
	if s == nil {
		t.Fatalf("weft serve could not listen on %s: the address is in use", addr)
	}
	return s
}

// startServerTry is startServerAt, but returns nil if the child exited at
// start because another process holds addr.
func startServerTry(t *testing.T, addr string, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", addr, "--log-format", "text", "--seed", "false"}, args...)...)
	// The fakes listen on loopback, which the SSRF guard refuses by default;
	// every process shares one credential master key, as production must.
	cmd.Env = append(os.Environ(), append([]string{"WEFT_ADMIN_TOKEN=" + token, "WEFT_ALLOW_PRIVATE_NET=127.0.0.0/8",
		"WEFT_MASTER_KEY=" + testMasterKey}, env...)...)
	logs := &bytes.Buffer{}
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) })
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, url: "http://" + addr, logs: logs, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			mu.Lock()
			t.Logf("logs of %s:\n%s", s.url, tail(logs.String(), 4000))
			mu.Unlock()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		// Only our child's own line says the answer is from it and not from
		// a process of another test that took the address first.
		mu.Lock()
		listening := strings.Contains(logs.String(), "Weft is listening on ")
		mu.Unlock()
		if listening {
			resp, err := http.Get(s.url + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return s
				}
			}
		}
		select {
		case <-s.done:
			mu.Lock()
			out := logs.String()
			mu.Unlock() // the cleanup takes it too
			if strings.Contains(out, "address already in use") {
				t.Logf("weft serve could not listen on %s (in use), trying another address", addr)
				return nil
			}
			t.Fatalf("weft serve exited at start:\n%s", out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("weft serve did not become ready")
	return nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// kill sends SIGKILL: no shutdown hook runs, like a crash or an OOM kill.
func (s *server) kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-s.done
}

func (s *server) api(method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode, nil
}

// hook posts to a webhook and returns the execution id from a 202.
func (s *server) hook(path, body string) (string, error) {
	resp, err := http.Post(s.url+"/hooks/"+path, "application/json", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		ExecutionID string `json:"execution_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusAccepted || out.ExecutionID == "" {
		return "", fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return out.ExecutionID, nil
}

type execution struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
	Steps []struct {
		StepID   string `json:"step_id"`
		Status   string `json:"status"`
		Attempts int    `json:"attempts"`
	} `json:"steps"`
}

// waitFinished polls until every id finished.
func waitFinished(t *testing.T, s *server, ids []string, within time.Duration) map[string]execution {
	t.Helper()
	out := map[string]execution{}
	deadline := time.Now().Add(within)
	for _, id := range ids {
		for {
			var ex execution
			code, err := s.api("GET", "/api/v1/executions/"+id, nil, &ex)
			if err == nil && code == 200 && (ex.Status == "succeeded" || ex.Status == "failed" || ex.Status == "canceled") {
				out[id] = ex
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("execution %s not finished after %s (status %q, code %d, err %v)", id, within, ex.Status, code, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return out
}

// effects is a fake downstream service that applies each side effect once
// per Idempotency-Key (like Stripe) and records every call.
type effects struct {
	*httptest.Server
	mu       sync.Mutex
	calls    map[string][]call // key → calls
	inflight map[string]int
	overlap  []string // keys seen twice at the same time
	slow     time.Duration
}

type call struct {
	start, end time.Time
}

func newEffects(slow time.Duration) *effects {
	e := &effects{calls: map[string][]call{}, inflight: map[string]int{}, slow: slow}
	e.Server = httptest.NewServer(http.HandlerFunc(e.serve))
	return e
}

func (e *effects) serve(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	start := time.Now()
	e.mu.Lock()
	e.inflight[key]++
	if e.inflight[key] > 1 {
		e.overlap = append(e.overlap, key)
	}
	e.mu.Unlock()
	if r.URL.Query().Get("slow") == "1" {
		select {
		case <-time.After(e.slow):
		case <-r.Context().Done():
		}
	}
	e.mu.Lock()
	e.inflight[key]--
	e.calls[key] = append(e.calls[key], call{start: start, end: time.Now()})
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true,"key":` + strconv.Quote(key) + `}`))
}

// inflightSteps is how many calls of step (keys "<execution>/<step>") are
// in progress.
func (e *effects) inflightSteps(step string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for k, v := range e.inflight {
		if v > 0 && strings.HasSuffix(k, "/"+step) {
			n++
		}
	}
	return n
}

func (e *effects) snapshot() (map[string][]call, []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string][]call, len(e.calls))
	for k, v := range e.calls {
		out[k] = append([]call(nil), v...)
	}
	return out, append([]string(nil), e.overlap...)
}

// checkOnce asserts that every step of every execution took effect exactly
// once, and that a call was repeated only when the first one answered within
// `window` before a kill (the step was mid-call or not yet recorded when the
// process died; the repeat carries the same idempotency key, so the
// downstream service drops it).
func checkOnce(t *testing.T, fx *effects, ids []string, steps []string, kills []time.Time, window time.Duration) map[string]int {
	t.Helper()
	perStep := map[string]int{}
	calls, overlap := fx.snapshot()
	if len(overlap) > 0 {
		t.Errorf("one step ran in two places at the same time: %v", overlap)
	}
	repeats := 0
	for _, id := range ids {
		for _, st := range steps {
			key := id + "/" + st
			cs := calls[key]
			if len(cs) == 0 {
				t.Errorf("%s never took effect", key)
				continue
			}
			for i := 1; i < len(cs); i++ {
				repeats++
				perStep[st]++
				prev := cs[i-1]
				ok := false
				for _, k := range kills {
					if prev.end.After(k.Add(-window)) && !cs[i].start.Before(k) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s ran again although its earlier call ended at %s, well before any crash (kills %v)",
						key, prev.end.Format("15:04:05.000"), kills)
				}
			}
		}
	}
	t.Logf("%d executions × %d steps took effect once each; %d calls repeated after a crash (same idempotency key): %v", len(ids), len(steps), repeats, perStep)
	return perStep
}

func writeWorkflow(t *testing.T, dir, name, doc string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

func ctxTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
