package apps_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/apps"
	"github.com/weftworks/weft/connectors/apps/apptest"
	httpstep "github.com/weftworks/weft/connectors/http"
	"github.com/weftworks/weft/step"
)

// hostileSpec declares one operation per pagination style against a
// server that misbehaves on purpose.
const hostileSpec = `
name: hostile
title: Hostile
icon: <svg xmlns="http://www.w3.org/2000/svg"/>
base_url: https://hostile.example
auth: [{kind: bearer}]
test: {path: /ping}
operations:
  - id: endless
    title: Endless cursor
    method: GET
    path: /endless
    paginate: {style: cursor, items: data, cursor: next, param: cursor}
  - id: loop
    title: Cursor loop
    method: GET
    path: /loop
    paginate: {style: cursor, items: data, cursor: next, param: cursor}
  - id: away
    title: Link to another host
    method: GET
    path: /away
    paginate: {style: link}
  - id: offset
    title: Offset pages
    method: GET
    path: /offset
    inputs:
      query:
        type: object
        properties:
          limit: {type: integer, description: Items per page., default: 2}
    paginate: {style: offset, items: rows, param: offset, size_param: limit}
  - id: linked
    title: Link pages
    method: GET
    path: /linked
    paginate: {style: link}
`

func hostile(t *testing.T) (*step.Registry, *apptest.Fake, apptest.Connections) {
	t.Helper()
	a, err := apps.Parse("hostile.yaml", []byte(hostileSpec))
	if err != nil {
		t.Fatal(err)
	}
	reg := step.NewRegistry()
	if err := httpstep.Register(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.RegisterApps(reg, []apps.App{a}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	var f *apptest.Fake
	mux.HandleFunc("GET /endless", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		apptest.WriteJSON(w, 200, map[string]any{"data": []any{n}, "next": strconv.Itoa(n + 1)})
	})
	mux.HandleFunc("GET /loop", func(w http.ResponseWriter, r *http.Request) {
		next := "a"
		if r.URL.Query().Get("cursor") == "a" {
			next = "b"
		}
		apptest.WriteJSON(w, 200, map[string]any{"data": []any{1}, "next": next})
	})
	mux.HandleFunc("GET /away", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Link", `<https://evil.example/steal?page=2>; rel="next"`)
		apptest.WriteJSON(w, 200, []any{1})
	})
	mux.HandleFunc("GET /offset", func(w http.ResponseWriter, r *http.Request) {
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		rows := []any{}
		for i := off; i < min(off+2, 5); i++ {
			rows = append(rows, i)
		}
		apptest.WriteJSON(w, 200, map[string]any{"rows": rows})
	})
	mux.HandleFunc("GET /linked", func(w http.ResponseWriter, r *http.Request) {
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if p < 2 {
			w.Header().Set("Link", fmt.Sprintf(`<%s/linked?page=%d>; rel="next", <%s/linked?page=2>; rel="last"`, f.URL, p+1, f.URL))
		}
		apptest.WriteJSON(w, 200, []any{p})
	})
	f = apptest.NewFake(t, "Bearer t", mux)
	return reg, f, apptest.Connections{"hostile": {Type: "bearer", Data: map[string]string{"token": "t"}, BaseURL: f.URL}}
}

func TestPaginationHostile(t *testing.T) {
	t.Parallel()
	reg, f, conns := hostile(t)
	cases := []struct {
		typ  string
		with map[string]any
		code string
		msg  string
		runs int
	}{
		{"hostile.endless", map[string]any{"paginate": "all", "max_pages": 7}, apps.CodePaginationLimit, "still more pages after 7", 7},
		{"hostile.endless", map[string]any{"paginate": "all"}, apps.CodePaginationLimit, "after 100", 100},
		{"hostile.loop", map[string]any{"paginate": "all"}, apps.CodePaginationLoop, "cursor it had sent before", 3},
		{"hostile.away", map[string]any{"paginate": "all"}, apps.CodePaginationLoop, "refusing to send the credential", 1},
		{"hostile.endless", map[string]any{"paginate": 5000}, "validation", "between 1 and 1000", 1},
	}
	for _, c := range cases {
		r := apptest.Run(t, reg, conns, c.typ, c.with)
		if r.Err == nil || step.ErrorInfo(r.Err).Code != c.code || !strings.Contains(r.Err.Error(), c.msg) || r.Runs != c.runs {
			t.Errorf("%s %v: runs=%d err=%v; want code %s with %q after %d runs", c.typ, c.with, r.Runs, r.Err, c.code, c.msg, c.runs)
		}
	}
	for _, s := range f.Seen() {
		if strings.Contains(s.Path, "steal") {
			t.Fatalf("a request followed the link to another host")
		}
	}
}

func TestPaginationStyles(t *testing.T) {
	t.Parallel()
	reg, _, conns := hostile(t)
	r := apptest.Run(t, reg, conns, "hostile.offset", map[string]any{"paginate": "all"})
	if out, _ := r.Output.(map[string]any); r.Err != nil || fmt.Sprint(out["items"]) != "[0 1 2 3 4]" || out["pages"] != 3 {
		t.Errorf("offset: %v %v", r.Output, r.Err)
	}
	r = apptest.Run(t, reg, conns, "hostile.linked", map[string]any{"paginate": "all"})
	if out, _ := r.Output.(map[string]any); r.Err != nil || fmt.Sprint(out["items"]) != "[0 1 2]" {
		t.Errorf("link: %v %v", r.Output, r.Err)
	}
	// Without paginate the step reads one page and returns it as it is.
	r = apptest.Run(t, reg, conns, "hostile.endless", nil)
	if out, _ := r.Output.(map[string]any); r.Err != nil || out["next"] != "1" || r.Runs != 1 {
		t.Errorf("one page: %v %v", r.Output, r.Err)
	}
}

// TestPaginationResumesFromState: a step run again with the state recorded
// after a page asks for the next page, not the first (crash recovery).
func TestPaginationResumesFromState(t *testing.T) {
	t.Parallel()
	reg, f, conns := hostile(t)
	r := apptest.Run(t, reg, conns, "hostile.endless", map[string]any{"paginate": 3})
	if r.Err != nil || len(r.States) != 2 {
		t.Fatalf("%v %d", r.Err, len(r.States))
	}
	before := len(f.Seen())
	h, _ := reg.Lookup("hostile.endless")
	req := &step.Request{Workflow: "wf", Type: "hostile.endless", With: map[string]any{"connection": "hostile", "paginate": 3.0, "max_pages": 100.0},
		State: r.States[1], Env: &step.Env{HTTP: http.DefaultClient, Connections: conns, Emit: func(string, any) {}}}
	res, err := h.Handler.Run(t.Context(), req)
	if err != nil || res.Suspend != nil {
		t.Fatalf("resumed run: %+v %v", res, err)
	}
	seen := f.Seen()
	if len(seen) != before+1 || seen[len(seen)-1].Query != "cursor=2" {
		t.Fatalf("resume asked for %q (%d requests), want only the third page", seen[len(seen)-1].Query, len(seen)-before)
	}
	if out := res.Output.(map[string]any); fmt.Sprint(out["items"]) != "[0 1 2]" {
		t.Fatalf("items = %v", out["items"])
	}
}
