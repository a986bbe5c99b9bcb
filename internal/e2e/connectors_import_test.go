package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// petstoreDoc is the importer's small test document.
const petstoreDoc = "../../connectors/apps/openapi/testdata/petstore.yaml"

// petstoreWorkflow creates a pet and reads one through the imported
// petstore connector.
const petstoreWorkflow = `name: %s
on:
  webhook: { path: %s, method: POST }
steps:
  - id: create
    uses: petstore.create_pet
    with: { connection: %s, name: Rex, status: available }
  - id: get
    uses: petstore.get_pets_by_pet_id
    with: { connection: %s, pet_id: 7 }
`

// importPetstore runs `weft connectors import` and returns the connectors
// directory it wrote.
func importPetstore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command(binary, "connectors", "import", petstoreDoc, "--name", "petstore", "--out", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("weft connectors import: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "4 operations") {
		t.Fatalf("weft connectors import said %q, want 4 operations", out)
	}
	return dir
}

// TestImportedConnector imports an OpenAPI document with the CLI, serves
// it with --connectors, lists its steps, runs two of them against a fake
// that checks the wire (auth, path, JSON body), and imports a second one
// through the API.
func TestImportedConnector(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %s %s %s", r.Method, r.URL.Path, r.Header.Get("Authorization"), bytes.TrimSpace(body)))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "POST" && r.URL.Path == "/v1/pets":
			w.WriteHeader(201)
			_, _ = w.Write([]byte(`{"id": 7, "name": "Rex"}`))
		case r.Method == "GET" && r.URL.Path == "/v1/pets/7":
			_, _ = w.Write([]byte(`{"id": 7, "name": "Rex", "status": "available"}`))
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(fake.Close)

	conns := importPetstore(t)
	wf := t.TempDir()
	writeWorkflow(t, wf, "pets", fmt.Sprintf(petstoreWorkflow, "pets", "pets", "pets", "pets"))
	s := startServer(t, nil, "--data", t.TempDir(), "--workflows", wf, "--connectors", conns)

	if types := stepTypes(t, s); !types["petstore.create_pet"] || !types["petstore.list_pets"] {
		t.Fatalf("GET /api/v1/steps lacks the imported petstore steps")
	}
	putCredential(t, s, "pets", map[string]any{"type": "bearer", "data": map[string]any{"token": "pet-token-123456"}, "base_url": fake.URL + "/v1"})
	id, err := s.hook("pets", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := finished(t, s, id, 60*time.Second)
	if ex.Status != "succeeded" {
		t.Fatalf("execution %s: %+v", ex.Status, ex.Steps)
	}
	mu.Lock()
	want := []string{
		`POST /v1/pets Bearer pet-token-123456 {"name":"Rex","status":"available"}`,
		`GET /v1/pets/7 Bearer pet-token-123456 `,
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("the fake saw\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	mu.Unlock()

	// The same document through the API: a preview, then saved and
	// registered on this process.
	doc, err := os.ReadFile(petstoreDoc)
	if err != nil {
		t.Fatal(err)
	}
	var preview struct {
		Operations []struct{ Type string } `json:"operations"`
		Saved      bool                    `json:"saved"`
		Registered bool                    `json:"registered"`
		YAML       string                  `json:"yaml"`
	}
	if code := postDoc(t, s, "/api/v1/connectors/import?name=shop", doc, &preview); code != 200 || len(preview.Operations) != 4 || preview.Saved {
		t.Fatalf("preview: %d %+v", code, preview)
	}
	if types := stepTypes(t, s); types["shop.list_pets"] {
		t.Fatalf("a preview registered steps")
	}
	if code := postDoc(t, s, "/api/v1/connectors/import?name=shop&save=true", doc, &preview); code != 201 || !preview.Saved || !preview.Registered {
		t.Fatalf("save: %d %+v", code, preview)
	}
	if types := stepTypes(t, s); !types["shop.list_pets"] {
		t.Fatalf("GET /api/v1/steps lacks shop.list_pets after the import")
	}
	if _, err := os.Stat(filepath.Join(conns, "shop", "app.yaml")); err != nil {
		t.Fatalf("the import did not write shop/app.yaml: %v", err)
	}
	var apiErr struct {
		Error struct{ Message string } `json:"error"`
	}
	if code := postDoc(t, s, "/api/v1/connectors/import?name=stripe", doc, &apiErr); code != 422 || !strings.Contains(apiErr.Error.Message, "bundled connector") {
		t.Fatalf("importing over a bundled name: %d %+v", code, apiErr)
	}
	if code := postDoc(t, s, "/api/v1/connectors/import?name=bad", []byte(`{"swagger":"2.0"}`), &apiErr); code != 422 || !strings.Contains(apiErr.Error.Message, "Swagger 2.0") {
		t.Fatalf("importing Swagger 2.0: %d %+v", code, apiErr)
	}
}

// TestImportedConnectorAgainstPrism runs the imported petstore connector
// against Stoplight Prism's mock of the same document, which checks every
// request (path, parameters, body, the bearer token) against the document
// and, with --errors, answers a violation with an error status.
// WEFT_TEST_PRISM is the prism command (npm @stoplight/prism-cli).
func TestImportedConnectorAgainstPrism(t *testing.T) {
	t.Parallel()
	prism := os.Getenv("WEFT_TEST_PRISM")
	if prism == "" {
		t.Skip("WEFT_TEST_PRISM is unset: set it to the prism command (npm install @stoplight/prism-cli; WEFT_TEST_PRISM=node_modules/.bin/prism)")
	}
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, prism, "mock", "--errors", "-h", host, "-p", port, petstoreDoc)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting prism: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	waitHTTP(t, "http://"+addr+"/pets/1", 60*time.Second, &logs)

	conns := importPetstore(t)
	wf := t.TempDir()
	writeWorkflow(t, wf, "pets", fmt.Sprintf(petstoreWorkflow, "pets", "pets", "pets", "pets"))
	writeWorkflow(t, wf, "anon", fmt.Sprintf(petstoreWorkflow, "anon", "anon", "anon", "anon"))
	s := startServer(t, nil, "--data", t.TempDir(), "--workflows", wf, "--connectors", conns)
	putCredential(t, s, "pets", map[string]any{"type": "bearer", "data": map[string]any{"token": "pet-token-123456"}, "base_url": "http://" + addr})
	putCredential(t, s, "anon", map[string]any{"type": "none", "base_url": "http://" + addr})

	id, err := s.hook("pets", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	ex := finished(t, s, id, 60*time.Second)
	if ex.Status != "succeeded" {
		t.Fatalf("against prism: execution %s %+v\nprism:\n%s", ex.Status, ex.Steps, tail(logs.String(), 3000))
	}
	var pet map[string]any
	if err := json.Unmarshal(ex.Steps[1].Output, &pet); err != nil {
		t.Fatalf("get output %s: %v", ex.Steps[1].Output, err)
	}
	if _, ok := pet["name"]; !ok {
		t.Fatalf("get output %s lacks the pet's name", ex.Steps[1].Output)
	}
	// Without the bearer token the document's security is not met: prism
	// answers 401 and the step fails.
	id, err = s.hook("anon", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	if ex := finished(t, s, id, 60*time.Second); ex.Status != "failed" || !strings.Contains(fmt.Sprint(ex.Steps[0].Error), "401") {
		t.Fatalf("without a token: execution %s %+v, want failed with 401", ex.Status, ex.Steps)
	}
}

func stepTypes(t *testing.T, s *server) map[string]bool {
	t.Helper()
	var out struct {
		Items []struct{ Type string } `json:"items"`
	}
	if code, err := s.api("GET", "/api/v1/steps", nil, &out); err != nil || code != 200 {
		t.Fatalf("GET /api/v1/steps: %d %v", code, err)
	}
	types := map[string]bool{}
	for _, it := range out.Items {
		types[it.Type] = true
	}
	return types
}

func postDoc(t *testing.T, s *server, path string, doc []byte, out any) int {
	t.Helper()
	req, _ := http.NewRequest("POST", s.url+path, bytes.NewReader(doc))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(out)
	return resp.StatusCode
}

// waitHTTP waits until url answers at all (any status).
func waitHTTP(t *testing.T, url string, within time.Duration, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s did not answer within %s:\n%s", url, within, logs.String())
}
