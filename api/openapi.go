package api

import (
	_ "embed"
	"net/http"
)

// openAPIDoc describes every route of routes.go (a test keeps them in step).
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDoc)
}
