package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/weftworks/weft/trigger/webhook"
)

// TestRawBodyOnlyBesideNonJSON: a JSON body is stored once, as body; a
// text body also keeps raw_body, as docs/expressions.md says.
func TestRawBodyOnlyBesideNonJSON(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{}, asyncDoc)
	for _, tc := range []struct {
		ct, body string
		raw      any
	}{
		{"application/json", `{"a": 1}`, nil},
		{"application/vnd.api+json", `{"a": 1}`, nil},
		{"text/plain", "hello", "hello"},
	} {
		resp, body := post(t, b.srv.URL+"/hooks/in/forms", tc.ct, tc.body)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: status %d: %s", tc.ct, resp.StatusCode, body)
		}
		var out struct {
			ExecutionID string `json:"execution_id"`
		}
		_ = json.Unmarshal(body, &out)
		ex, err := b.st.GetExecution(context.Background(), out.ExecutionID)
		if err != nil {
			t.Fatal(err)
		}
		var in map[string]any
		_ = json.Unmarshal(ex.Input, &in)
		if in["raw_body"] != tc.raw {
			t.Errorf("%s: raw_body = %#v, want %#v (input %s)", tc.ct, in["raw_body"], tc.raw, ex.Input)
		}
		if tc.raw == nil && in["body"].(map[string]any)["a"] != 1.0 {
			t.Errorf("%s: body = %v", tc.ct, in["body"])
		}
	}
}
