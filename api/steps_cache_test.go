package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// The step catalog carries an ETag: the editor's second open is a 304
// without the body; it goes out gzipped to clients that take it.
func TestStepCatalogETag(t *testing.T) {
	t.Parallel()
	b := setup(t)
	get := func(hdr map[string]string) *http.Response {
		req, err := http.NewRequest("GET", b.srv.URL+"/api/v1/steps", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		// A Transport that does not add or undo gzip itself.
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	first := get(map[string]string{"Accept-Encoding": "gzip"})
	etag := first.Header.Get("ETag")
	if first.StatusCode != 200 || etag == "" || first.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("first: %d %v", first.StatusCode, first.Header)
	}
	zr, err := gzip.NewReader(first.Body)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(raw, &list); err != nil || len(list.Items) < 5 {
		t.Fatalf("catalog: %v, %d items", err, len(list.Items))
	}
	again := get(map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag})
	body, _ := io.ReadAll(again.Body)
	if again.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Fatalf("revalidation: %d, %d bytes", again.StatusCode, len(body))
	}
	// Without gzip: the plain body, under another ETag, and the gzip ETag does not match it.
	plain := get(map[string]string{"If-None-Match": etag})
	pb, _ := io.ReadAll(plain.Body)
	if plain.StatusCode != 200 || plain.Header.Get("Content-Encoding") != "" || !bytes.Equal(pb, raw) || plain.Header.Get("ETag") == etag {
		t.Fatalf("plain: %d %v", plain.StatusCode, plain.Header)
	}
	// Unauthenticated revalidation is still refused.
	req, _ := http.NewRequest("GET", b.srv.URL+"/api/v1/steps", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a token: %d", resp.StatusCode)
	}
}
