package salesforce_test

import (
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
	"github.com/weftworks/weft/connectors/apps/salesforce"
)

// setup lends a connection whose base URL comes from the token response's
// instance_url, as after an OAuth grant.
func setup(t *testing.T) (*salesforce.Fake, apptest.Connections) {
	f := salesforce.NewFake(t)
	return f, apptest.Connections{"salesforce": {Type: "oauth2_code", TokenFields: map[string]string{"instance_url": f.URL, "id": "https://login.salesforce.com/id/00D/005"}}}
}

func bearer(c apptest.Connections) apptest.Connections {
	conn := c["salesforce"]
	conn.Type, conn.Data = "bearer", map[string]string{"token": salesforce.Token}
	return apptest.Connections{"salesforce": conn}
}

func TestQueryFollowsNextRecordsURL(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	r := apptest.Run(t, apptest.Registry(t), bearer(c), "salesforce.query", map[string]any{"q": "SELECT Id, Name FROM Account", "paginate": "all"})
	out, _ := r.Output.(map[string]any)
	if r.Err != nil || len(out["items"].([]any)) != 5 || out["pages"] != 3 {
		t.Fatalf("%v %v", out, r.Err)
	}
	seen := f.Seen()
	if seen[0].Path != "/services/data/v61.0/query" || seen[0].Query != "q=SELECT+Id%2C+Name+FROM+Account" {
		t.Errorf("first = %s ?%s", seen[0].Path, seen[0].Query)
	}
	if seen[2].Path != "/services/data/v61.0/query/01gRO0000016PIAYA2-4" || seen[2].Query != "" {
		t.Errorf("third = %s ?%s", seen[2].Path, seen[2].Query)
	}
}

func TestUpsertByExternalID(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	reg := apptest.Registry(t)
	for i := range 3 {
		r := apptest.Run(t, reg, bearer(c), "salesforce.upsert_record", map[string]any{"sobject": "Account", "external_field": "External_Id__c", "external_id": "C-1042", "fields": map[string]any{"Name": "Acme"}})
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if out := r.Output.(map[string]any); out["created"] != (i == 0) {
			t.Errorf("run %d: %v", i, out)
		}
	}
	if f.Accounts() != 1 {
		t.Fatalf("accounts = %d", f.Accounts())
	}
	if b := f.Last(t, "/services/data/v61.0/sobjects/Account/External_Id__c/C-1042").JSON(t); b["Name"] != "Acme" || len(b) != 1 {
		t.Errorf("body = %v (the record's fields are the whole body)", b)
	}
}

func TestErrorsAndDelete(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	reg := apptest.Registry(t)
	r := apptest.Run(t, reg, bearer(c), "salesforce.query", map[string]any{"q": "SELEKT"})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "MALFORMED_QUERY") {
		t.Errorf("bad query: %v", r.Err)
	}
	r = apptest.Run(t, reg, bearer(c), "salesforce.create_record", map[string]any{"sobject": "Case", "fields": map[string]any{"Priority": "High"}})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "REQUIRED_FIELD_MISSING") {
		t.Errorf("missing field: %v", r.Err)
	}
	if r = apptest.Run(t, reg, bearer(c), "salesforce.delete_record", map[string]any{"sobject": "Case", "id": "500000000000001AAA"}); r.Err != nil || r.Output != nil {
		t.Errorf("delete: %v %v", r.Output, r.Err)
	}
	// Without instance_url or base_url the calls go to login.salesforce.com,
	// which the error would show; with neither token nor key it is refused.
	r = apptest.Run(t, reg, apptest.Connections{"salesforce": {Type: "bearer", Data: map[string]string{"token": "x"}, TokenFields: map[string]string{"instance_url": "not a url"}}}, "salesforce.query", map[string]any{"q": "SELECT Id FROM Account"})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "not an absolute http(s) URL") {
		t.Errorf("bad instance_url: %v", r.Err)
	}
}
