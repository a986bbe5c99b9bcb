package api

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

type searchPage struct {
	Items []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"items"`
	NextCursor  string `json:"next_cursor"`
	Scanned     *int   `json:"scanned"`
	ScanLimited bool   `json:"scan_limited"`
	MaxScan     int    `json:"max_scan"`
}

func (b *testBundle) search(t *testing.T, query string) searchPage {
	t.Helper()
	res := b.get(t, "/api/v1/executions?"+query)
	if res.status != 200 {
		t.Fatalf("GET ?%s: %d %s", query, res.status, res.body)
	}
	var p searchPage
	if err := json.Unmarshal(res.body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (b *testBundle) startWith(t *testing.T, wf, input string) execution {
	t.Helper()
	res := b.do(t, req{method: "POST", path: "/api/v1/workflows/" + wf + "/executions?wait=10s", body: input, contentType: "application/json"})
	if res.status != 200 {
		t.Fatalf("start %s: %d %s", wf, res.status, res.body)
	}
	return decodeExecution(t, res)
}

func TestSearchExecutions(t *testing.T) {
	t.Parallel()
	b := setup(t, bundleOpts{extra: func(c *Config) { c.MaxSearchScan = 4 }})
	b.put(t, "failing", failingYAML)
	var refunds []string
	for i := range 6 {
		kind := []string{"order", "refund"}[i%2]
		e := b.startWith(t, "failing", fmt.Sprintf(`{"body":{"kind":%q,"n":%d}}`, kind, i))
		if kind == "refund" {
			refunds = append([]string{e.ID}, refunds...)
		}
	}
	// Trigger data, spread over scan-bounded pages: follow the cursor.
	var got []string
	q := "input=" + url.QueryEscape("body.kind = refund") + "&limit=10"
	for cursor, n := "", 0; n < 10; n++ {
		p := b.search(t, q+cursor)
		if p.Scanned == nil || *p.Scanned > 4 || p.MaxScan != 4 {
			t.Fatalf("scanned %v, max_scan %d; want at most 4 and 4", p.Scanned, p.MaxScan)
		}
		for _, it := range p.Items {
			got = append(got, it.ID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = "&cursor=" + url.QueryEscape(p.NextCursor)
	}
	if strings.Join(got, ",") != strings.Join(refunds, ",") {
		t.Fatalf("refunds: got %v, want %v", got, refunds)
	}
	// Nothing matches: an empty page that says it stopped, with a cursor.
	p := b.search(t, "input="+url.QueryEscape("body.kind=nothing"))
	if len(p.Items) != 0 || !p.ScanLimited || p.NextCursor == "" {
		t.Fatalf("no match: %+v; want empty, scan_limited, a cursor", p)
	}
	// Id prefix and time range.
	if p := b.search(t, "id_prefix="+refunds[0]); len(p.Items) != 1 || p.Items[0].ID != refunds[0] {
		t.Fatalf("id prefix: %+v", p)
	}
	if p := b.search(t, "from=2999-01-01T00:00:00Z"); len(p.Items) != 0 {
		t.Fatalf("from the future: %+v", p)
	}
	if p := b.search(t, "to=2999-01-01T00:00:00Z&limit=100"); len(p.Items) != 6 {
		t.Fatalf("to the future: %d items, want 6", len(p.Items))
	}
}

func TestSearchExecutionsHostile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	long := strings.Repeat("a", 10_000)
	for _, c := range []struct{ query, param, says string }{
		{"input=" + long + "%3Dx", "input", "10000 characters long; the most is 200"},
		{"input=kind%3D" + long, "input", "value is 10000 characters long; the most is 1000"},
		{"input=a'b%3Dx", "input", "is not a field name"},
		{"input=kind", "input", "field=value"},
		{"id_prefix=" + long, "id_prefix", "at most 64"},
		{"id_prefix=01%25", "id_prefix", "only letters, digits"},
		{"from=yesterday", "from", "RFC 3339"},
		{"from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", "to", "not after from"},
	} {
		res := b.get(t, "/api/v1/executions?"+c.query)
		code, msg, _ := res.apiError(t, 400)
		if code != "invalid_parameter" || !strings.Contains(msg, `"`+c.param+`"`) || !strings.Contains(msg, c.says) || len(msg) > 400 {
			t.Errorf("%.40s: %s %q; want invalid_parameter naming %s and saying %q, short", c.query, code, msg, c.param, c.says)
		}
	}
}

type bulkAnswer struct {
	Results []struct {
		ID     string `json:"id"`
		OK     bool   `json:"ok"`
		Status string `json:"status"`
		Error  *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"results"`
	More bool `json:"more"`
}

func (b *testBundle) bulk(t *testing.T, action, body string) bulkAnswer {
	t.Helper()
	res := b.do(t, req{method: "POST", path: "/api/v1/executions/" + action, body: body, contentType: "application/json"})
	if res.status != 200 {
		t.Fatalf("bulk %s: %d %s", action, res.status, res.body)
	}
	var a bulkAnswer
	if err := json.Unmarshal(res.body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBulkRetryAndCancel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.put(t, "failing", failingYAML)
	b.put(t, "parked", parkedYAML)
	f1 := b.startWith(t, "failing", `{"body":{"batch":"a"}}`)
	f2 := b.startWith(t, "failing", `{"body":{"batch":"b"}}`)
	// By id: each id answers for itself; a missing one does not stop the others.
	a := b.bulk(t, "retry", fmt.Sprintf(`{"ids":[%q,"nope",%q]}`, f1.ID, f2.ID))
	if len(a.Results) != 3 || !a.Results[0].OK || a.Results[0].Status != "queued" || a.Results[1].OK ||
		a.Results[1].Error == nil || a.Results[1].Error.Code != "not_found" || !a.Results[2].OK {
		t.Fatalf("bulk retry by id: %+v", a)
	}
	b.waitStatus(t, f1.ID, "failed")
	b.waitStatus(t, f2.ID, "failed")
	// By filter: only the failed executions with batch = b.
	a = b.bulk(t, "retry", `{"filter":{"workflow":"failing","input":"body.batch=b"}}`)
	if len(a.Results) != 1 || a.Results[0].ID != f2.ID || !a.Results[0].OK {
		t.Fatalf("bulk retry by filter: %+v", a)
	}
	b.waitStatus(t, f2.ID, "failed")

	var parked []string
	for range 3 {
		res := b.do(t, req{method: "POST", path: "/api/v1/workflows/parked/executions"})
		parked = append(parked, decodeExecution(t, res).ID)
	}
	for _, id := range parked {
		b.waitStatus(t, id, "waiting")
	}
	a = b.bulk(t, "cancel", `{"filter":{"workflow":"parked"}}`)
	if len(a.Results) != 3 {
		t.Fatalf("bulk cancel by filter: %+v", a)
	}
	for _, r := range a.Results {
		if !r.OK {
			t.Fatalf("cancel %s: %+v", r.ID, r.Error)
		}
	}
	for _, id := range parked {
		b.waitStatus(t, id, "canceled")
	}
	// Canceling a finished one is a per-id conflict.
	a = b.bulk(t, "cancel", fmt.Sprintf(`{"ids":[%q]}`, f1.ID))
	if a.Results[0].OK || a.Results[0].Error.Code != "conflict" {
		t.Fatalf("cancel a failed execution: %+v", a)
	}

	// Refusals: too many ids, both or neither, unknown fields.
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = fmt.Sprintf("%q", fmt.Sprint("id", i))
	}
	for _, body := range []string{`{"ids":[` + strings.Join(ids, ",") + `]}`, `{}`, `{"ids":["x"],"filter":{}}`, `{"idz":["x"]}`} {
		res := b.do(t, req{method: "POST", path: "/api/v1/executions/cancel", body: body, contentType: "application/json"})
		res.apiError(t, 400)
	}
	res := b.do(t, req{method: "POST", path: "/api/v1/executions/retry", body: `{"filter":{"input":"` + strings.Repeat("a", 10_000) + `=x"}}`, contentType: "application/json"})
	res.apiError(t, 400)
}

func TestListTemplates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.get(t, "/api/v1/templates")
	var l struct {
		Items []struct{ Name, Description, YAML string } `json:"items"`
	}
	if res.status != 200 || json.Unmarshal(res.body, &l) != nil {
		t.Fatalf("GET /api/v1/templates: %d %s", res.status, res.body)
	}
	found := false
	for _, it := range l.Items {
		if it.Name == "ticket-triage" && it.Description != "" && strings.Contains(it.YAML, "uses: ai.chat") {
			found = true
		}
	}
	if !found {
		t.Fatalf("ticket-triage missing or incomplete: %s", res.body)
	}
}
