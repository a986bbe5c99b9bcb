package google_sheets_test

import (
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
	sheets "github.com/weftworks/weft/connectors/apps/google_sheets"
)

func TestAppendAndRead(t *testing.T) {
	t.Parallel()
	f := sheets.NewFake(t)
	c := apptest.Connections{"google_sheets": {Type: "bearer", Data: map[string]string{"token": sheets.Token}, BaseURL: f.URL}}
	reg := apptest.Registry(t)
	r := apptest.Run(t, reg, c, "google_sheets.append_rows", map[string]any{"spreadsheet_id": "sheet1", "range": "Sheet1!A1:C", "values": []any{[]any{"2026-01-01", "Ada", 42}}})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	s := f.Last(t, "/v4/spreadsheets/sheet1/values/Sheet1!A1:C:append")
	if s.Query != "valueInputOption=USER_ENTERED" {
		t.Errorf("query = %q", s.Query)
	}
	r = apptest.Run(t, reg, c, "google_sheets.read_rows", map[string]any{"spreadsheet_id": "sheet1", "range": "Sheet1!A1:C"})
	if out, _ := r.Output.(map[string]any); r.Err != nil || len(out["values"].([]any)) != 2 {
		t.Fatalf("%v %v", r.Output, r.Err)
	}
	r = apptest.Run(t, reg, c, "google_sheets.read_rows", map[string]any{"spreadsheet_id": "nope", "range": "A1"})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "NOT_FOUND") {
		t.Errorf("404: %v", r.Err)
	}
}
