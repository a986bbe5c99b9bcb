package hubspot_test

import (
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
	"github.com/weftworks/weft/connectors/apps/hubspot"
	"github.com/weftworks/weft/step"
)

func setup(t *testing.T) (*step.Registry, *hubspot.Fake, apptest.Connections) {
	f := hubspot.NewFake(t)
	return apptest.Registry(t), f, apptest.Connections{
		"hubspot": {Type: "bearer", Data: map[string]string{"token": hubspot.Token}, BaseURL: f.URL},
		"wrong":   {Type: "bearer", Data: map[string]string{"token": "pat-wrong"}, BaseURL: f.URL},
	}
}

func TestGetContactByEmail(t *testing.T) {
	t.Parallel()
	reg, f, c := setup(t)
	r := apptest.Run(t, reg, c, "hubspot.get_contact", map[string]any{"id": "bob@example.com", "id_property": "email", "properties": "email,firstname"})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if out := r.Output.(map[string]any); out["id"] != "52" {
		t.Errorf("output = %v", out)
	}
	seen := f.Last(t, "/crm/v3/objects/contacts/bob@example.com")
	if seen.Query != "idProperty=email&properties=email%2Cfirstname" || seen.Header.Get("Authorization") != "Bearer "+hubspot.Token {
		t.Errorf("query %q auth %q", seen.Query, seen.Header.Get("Authorization"))
	}
	// A missing contact is an answer (404 accepted), not a failure.
	r = apptest.Run(t, reg, c, "hubspot.get_contact", map[string]any{"id": "nobody@example.com", "id_property": "email"})
	if out, _ := r.Output.(map[string]any); r.Err != nil || out["category"] != "OBJECT_NOT_FOUND" {
		t.Errorf("missing: %v %v", r.Output, r.Err)
	}
}

func TestSearchPagesWithCursorInBody(t *testing.T) {
	t.Parallel()
	reg, f, c := setup(t)
	r := apptest.Run(t, reg, c, "hubspot.search_contacts", map[string]any{"filter_groups": []any{map[string]any{"filters": []any{map[string]any{"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@example.com"}}}}, "paginate": "all"})
	out, _ := r.Output.(map[string]any)
	if r.Err != nil || len(out["items"].([]any)) != 3 || out["pages"] != 3 {
		t.Fatalf("%v %v", out, r.Err)
	}
	last := f.Last(t, "/crm/v3/objects/contacts/search").JSON(t)
	if last["after"] != "2" || last["filterGroups"] == nil || last["limit"] != float64(100) {
		t.Errorf("last search body = %v", last)
	}
}

func TestUpsertCreatesOnce(t *testing.T) {
	t.Parallel()
	reg, f, c := setup(t)
	for range 3 {
		r := apptest.Run(t, reg, c, "hubspot.upsert_contact", map[string]any{"id_property": "email", "id": "dee@example.com", "properties": map[string]any{"firstname": "Dee"}})
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if out := r.Output.(map[string]any); out["id"] != "54" {
			t.Fatalf("output = %v", out)
		}
	}
	if n := f.Contacts(); n != 4 {
		t.Fatalf("contacts = %d, want 4", n)
	}
	body := f.Last(t, "/crm/v3/objects/contacts/batch/upsert").JSON(t)
	if in := body["inputs"].([]any); len(in) != 1 || in[0].(map[string]any)["idProperty"] != "email" {
		t.Errorf("body = %v", body)
	}
}

func TestCreateConflictAndAuth(t *testing.T) {
	t.Parallel()
	reg, _, c := setup(t)
	r := apptest.Run(t, reg, c, "hubspot.create_contact", map[string]any{"properties": map[string]any{"email": "ada@example.com"}})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "409") || !strings.Contains(r.Err.Error(), "Contact already exists") {
		t.Errorf("conflict: %v", r.Err)
	}
	if ok, _ := step.IsRetryable(r.Err); ok {
		t.Errorf("a 409 must not be retried")
	}
	r = apptest.Run(t, reg, c, "hubspot.create_note", map[string]any{"connection": "wrong", "properties": map[string]any{"hs_note_body": "x"}})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "INVALID_AUTHENTICATION") {
		t.Errorf("401: %v", r.Err)
	}
}

func TestThrottledThenAssociates(t *testing.T) {
	t.Parallel()
	reg, f, c := setup(t)
	path := "/crm/v4/objects/contacts/51/associations/default/companies/8001"
	f.Throttle(path, 1)
	with := map[string]any{"from_type": "contacts", "from_id": "51", "to_type": "companies", "to_id": "8001"}
	r := apptest.Run(t, reg, c, "hubspot.associate", with)
	if ok, after := step.IsRetryable(r.Err); !ok || after.Seconds() != 1 {
		t.Fatalf("429: %v", r.Err)
	}
	if r = apptest.Run(t, reg, c, "hubspot.associate", with); r.Err != nil {
		t.Fatal(r.Err)
	}
	if s := f.Last(t, path); s.Method != "PUT" {
		t.Errorf("method = %s", s.Method)
	}
}
