package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The bundle goes out gzipped to clients that take it, with an ETag that
// makes a revalidation a 304; hashed assets stay cached for a year.
func TestAssetsCompressedAndRevalidated(t *testing.T) {
	t.Parallel()
	js, err := fs.Glob(dist, "dist/assets/*.js")
	if err != nil || len(js) == 0 {
		t.Fatalf("no built assets: %v", err)
	}
	name := strings.TrimPrefix(js[0], "dist")
	raw, err := fs.ReadFile(dist, js[0])
	if err != nil {
		t.Fatal(err)
	}
	h := Handler()
	get := func(path string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	gz := get(name, map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	if gz.Code != 200 || gz.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(gz.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("gzip: %d %v", gz.Code, gz.Header())
	}
	if gz.Body.Len() >= len(raw)/2 {
		t.Errorf("gzip copy is %d bytes of %d", gz.Body.Len(), len(raw))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, raw) {
		t.Fatalf("the gzip copy does not unpack to the file: %v", err)
	}
	if ct := gz.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := gz.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control %q", cc)
	}

	for _, ae := range []string{"", "identity", "gzip;q=0"} {
		rec := get(name, map[string]string{"Accept-Encoding": ae})
		if rec.Header().Get("Content-Encoding") != "" || !bytes.Equal(rec.Body.Bytes(), raw) {
			t.Errorf("Accept-Encoding %q: got an encoded body", ae)
		}
	}

	// Revalidation: the same ETag is a 304 without a body, for the asset and the app page.
	for _, p := range []string{name, "/", "/workflows/x"} {
		first := get(p, map[string]string{"Accept-Encoding": "gzip"})
		etag := first.Header().Get("ETag")
		if etag == "" {
			t.Fatalf("%s: no ETag", p)
		}
		again := get(p, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag})
		if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Errorf("%s: If-None-Match %s: %d, %d bytes", p, etag, again.Code, again.Body.Len())
		}
		// The gzip and plain copies have different ETags: a cache never mixes them up.
		if plain := get(p, nil).Header().Get("ETag"); plain == etag {
			t.Errorf("%s: plain and gzip share ETag %s", p, etag)
		}
	}
}
