package google_drive

import (
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"sync"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
)

// Token is the access token the fake accepts.
const Token = "ya29.drive"

// Fake is a local Drive API v3 keeping uploaded files in memory.
type Fake struct {
	*apptest.Fake
	mu    sync.Mutex
	Files map[string][]byte
	Meta  map[string]string // name by id
}

// NewFake starts the fake.
func NewFake(t testing.TB) *Fake {
	f := &Fake{Files: map[string][]byte{}, Meta: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /drive/v3/about", func(w http.ResponseWriter, _ *http.Request) {
		apptest.WriteJSON(w, 200, map[string]any{"user": map[string]any{"emailAddress": "weft@example.com"}})
	})
	mux.HandleFunc("POST /upload/drive/v3/files", func(w http.ResponseWriter, r *http.Request) {
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/related" || r.URL.Query().Get("uploadType") != "multipart" {
			apptest.WriteJSON(w, 400, map[string]any{"error": map[string]any{"code": 400, "message": "Bad multipart upload"}})
			return
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		meta, _ := mr.NextPart()
		var m map[string]any
		_ = jsonDecode(meta, &m)
		data, _ := mr.NextPart()
		content, _ := io.ReadAll(data)
		f.mu.Lock()
		id := "file" + string(rune('0'+len(f.Files)))
		f.Files[id], f.Meta[id] = content, m["name"].(string)
		f.mu.Unlock()
		apptest.WriteJSON(w, 200, map[string]any{"id": id, "name": m["name"], "mimeType": m["mimeType"]})
	})
	mux.HandleFunc("GET /drive/v3/files/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		content, ok := f.Files[r.PathValue("id")]
		f.mu.Unlock()
		if !ok || r.URL.Query().Get("alt") != "media" {
			apptest.WriteJSON(w, 404, map[string]any{"error": map[string]any{"code": 404, "message": "File not found"}})
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(content)
	})
	f.Fake = apptest.NewFake(t, "Bearer "+Token, mux)
	return f
}
