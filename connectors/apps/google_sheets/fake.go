package google_sheets

import (
	"net/http"
	"sync"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
)

// Token is the access token the fake accepts.
const Token = "ya29.test"

// Fake is a local Sheets API v4 holding one sheet's rows.
type Fake struct {
	*apptest.Fake
	mu   sync.Mutex
	Rows [][]any
}

func gError(w http.ResponseWriter, status int, reason, msg string) {
	apptest.WriteJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": msg, "status": reason}})
}

// NewFake starts the fake with spreadsheet "sheet1" holding a header row.
func NewFake(t testing.TB) *Fake {
	f := &Fake{Rows: [][]any{{"date", "name", "amount"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /$discovery/rest", func(w http.ResponseWriter, _ *http.Request) {
		apptest.WriteJSON(w, 200, map[string]any{"name": "sheets", "version": "v4"})
	})
	mux.HandleFunc("GET /v4/spreadsheets/{id}/values/{range}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "sheet1" {
			gError(w, 404, "NOT_FOUND", "Requested entity was not found.")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		apptest.WriteJSON(w, 200, map[string]any{"range": r.PathValue("range"), "majorDimension": "ROWS", "values": f.Rows})
	})
	mux.HandleFunc("POST /v4/spreadsheets/{id}/values/{rangeop}", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("valueInputOption") == "" {
			gError(w, 400, "INVALID_ARGUMENT", "'valueInputOption' is required but not specified")
			return
		}
		b := apptest.ReadJSON(r)
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, row := range b["values"].([]any) {
			f.Rows = append(f.Rows, row.([]any))
		}
		apptest.WriteJSON(w, 200, map[string]any{"spreadsheetId": r.PathValue("id"), "updates": map[string]any{"updatedRows": len(b["values"].([]any))}})
	})
	f.Fake = apptest.NewFake(t, "Bearer "+Token, mux)
	f.Unauthorized = func(w http.ResponseWriter, _ *http.Request) {
		gError(w, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
	}
	return f
}
