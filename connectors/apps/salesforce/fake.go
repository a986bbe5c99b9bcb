package salesforce

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/weftworks/weft/connectors/apps/apptest"
)

// Token is the access token the fake accepts.
const Token = "00Dxx0000001gPF!AQ4AQFake"

const api = "/services/data/v61.0"

// Fake is a local Salesforce org: SOQL in batches linked by nextRecordsUrl,
// sObject rows, upsert by an external id and Salesforce's error lists.
type Fake struct {
	*apptest.Fake
	mu       sync.Mutex
	accounts map[string]map[string]any // by external id
}

// Accounts returns how many accounts exist.
func (f *Fake) Accounts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.accounts)
}

func sfError(w http.ResponseWriter, status int, code, msg string) {
	apptest.WriteJSON(w, status, []any{map[string]any{"message": msg, "errorCode": code}})
}

// NewFake starts the fake; its URL is the org's instance_url.
func NewFake(t testing.TB) *Fake {
	f := &Fake{accounts: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+api+"/limits", func(w http.ResponseWriter, _ *http.Request) {
		apptest.WriteJSON(w, 200, map[string]any{"DailyApiRequests": map[string]any{"Max": 15000, "Remaining": 14998}})
	})
	batch := func(w http.ResponseWriter, n int) {
		recs := []any{}
		for i := n * 2; i < min(n*2+2, 5); i++ {
			recs = append(recs, map[string]any{"attributes": map[string]any{"type": "Account"}, "Id": fmt.Sprintf("001%015d", i), "Name": fmt.Sprintf("Account %d", i)})
		}
		out := map[string]any{"totalSize": 5, "done": n*2+2 >= 5, "records": recs}
		if n*2+2 < 5 {
			out["nextRecordsUrl"] = fmt.Sprintf("%s/query/01gRO0000016PIAYA2-%d", api, (n+1)*2)
		}
		apptest.WriteJSON(w, 200, out)
	}
	mux.HandleFunc("GET "+api+"/query", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("q") == "" || r.URL.Query().Get("q") == "SELEKT" {
			sfError(w, 400, "MALFORMED_QUERY", "unexpected token: SELEKT")
			return
		}
		batch(w, 0)
	})
	mux.HandleFunc("GET "+api+"/query/{locator}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		if _, err := fmt.Sscanf(r.PathValue("locator"), "01gRO0000016PIAYA2-%d", &n); err != nil {
			sfError(w, 400, "INVALID_QUERY_LOCATOR", "invalid query locator")
			return
		}
		batch(w, n/2)
	})
	mux.HandleFunc("PATCH "+api+"/sobjects/Account/External_Id__c/{ext}", func(w http.ResponseWriter, r *http.Request) {
		b := apptest.ReadJSON(r)
		if _, has := b["External_Id__c"]; has {
			sfError(w, 400, "INVALID_FIELD", "External_Id__c must not be in the body")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		ext := r.PathValue("ext")
		if a, ok := f.accounts[ext]; ok {
			for k, v := range b {
				a[k] = v
			}
			apptest.WriteJSON(w, 200, map[string]any{"id": a["Id"], "success": true, "created": false, "errors": []any{}})
			return
		}
		id := fmt.Sprintf("001%015d", 100+len(f.accounts))
		b["Id"] = id
		f.accounts[ext] = b
		apptest.WriteJSON(w, 201, map[string]any{"id": id, "success": true, "created": true, "errors": []any{}})
	})
	mux.HandleFunc("POST "+api+"/sobjects/{type}", func(w http.ResponseWriter, r *http.Request) {
		b := apptest.ReadJSON(r)
		if r.PathValue("type") == "Case" && b["Subject"] == nil {
			sfError(w, 400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Subject]")
			return
		}
		apptest.WriteJSON(w, 201, map[string]any{"id": "500000000000001AAA", "success": true, "errors": []any{}})
	})
	mux.HandleFunc("DELETE "+api+"/sobjects/{type}/{id}", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	f.Fake = apptest.NewFake(t, "Bearer "+Token, mux)
	f.Unauthorized = func(w http.ResponseWriter, _ *http.Request) {
		sfError(w, 401, "INVALID_SESSION_ID", "Session expired or invalid")
	}
	return f
}
