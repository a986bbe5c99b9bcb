package apps_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/apps"
	"github.com/weftworks/weft/connectors/apps/apptest"
	"github.com/weftworks/weft/connectors/apps/github"
	"github.com/weftworks/weft/connectors/apps/gmail"
	drive "github.com/weftworks/weft/connectors/apps/google_drive"
	sheets "github.com/weftworks/weft/connectors/apps/google_sheets"
	"github.com/weftworks/weft/connectors/apps/hubspot"
	"github.com/weftworks/weft/connectors/apps/salesforce"
	"github.com/weftworks/weft/connectors/apps/slack"
	"github.com/weftworks/weft/connectors/apps/stripe"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

// fakes start each bundled app's fake and return the connection that
// reaches it. A new app adds its line here.
var fakes = map[string]func(t *testing.T) apptest.Conn{
	"slack":  func(t *testing.T) apptest.Conn { return bearer(slack.NewFake(t).URL, slack.Token) },
	"stripe": func(t *testing.T) apptest.Conn { return bearer(stripe.NewFake(t).URL, stripe.Key) },
	"hubspot": func(t *testing.T) apptest.Conn {
		return bearer(hubspot.NewFake(t).URL, hubspot.Token)
	},
	"github": func(t *testing.T) apptest.Conn { return bearer(github.NewFake(t).URL, github.Token) },
	"salesforce": func(t *testing.T) apptest.Conn {
		c := bearer("", salesforce.Token)
		c.TokenFields = map[string]string{"instance_url": salesforce.NewFake(t).URL}
		return c
	},
	"google_sheets": func(t *testing.T) apptest.Conn { return bearer(sheets.NewFake(t).URL, sheets.Token) },
	"gmail":         func(t *testing.T) apptest.Conn { return bearer(gmail.NewFake(t).URL, gmail.Token) },
	"google_drive":  func(t *testing.T) apptest.Conn { return bearer(drive.NewFake(t).URL, drive.Token) },
}

func bearer(base, token string) apptest.Conn {
	return apptest.Conn{Type: "bearer", Data: map[string]string{"token": token}, BaseURL: base}
}

// TestEveryBundledApp: each bundled app's spec validates, its operations are
// registered with lint-clean specs and generated docs, and its
// test-connection call succeeds against its fake (and fails with a wrong
// credential).
func TestEveryBundledApp(t *testing.T) {
	t.Parallel()
	list, err := apps.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	reg := apptest.Registry(t)
	steptest.CheckRegistry(t, reg)
	for _, a := range list {
		t.Run(a.Name, func(t *testing.T) {
			t.Parallel()
			for _, op := range a.Operations {
				typ := a.Name + "." + op.ID
				r, ok := reg.Lookup(typ)
				if !ok || r.Spec.App != a.Name || r.Spec.Category != step.CategoryApps {
					t.Errorf("%s is not in the catalog as an %s app step", typ, a.Name)
				}
				if _, err := os.Stat(filepath.Join("..", "..", "docs", "steps", typ+".md")); err != nil {
					t.Errorf("%s has no generated page: run go test ./connectors/standard -update", typ)
				}
			}
			start, ok := fakes[a.Name]
			if !ok {
				t.Fatalf("app %s has no fake: add one to its folder and to fakes", a.Name)
			}
			conn := start(t)
			test := a.Name + ".test_connection"
			if r := apptest.Run(t, reg, apptest.Connections{a.Name: conn}, test, nil); r.Err != nil {
				t.Errorf("test connection: %v", r.Err)
			}
			if a.Name == "google_sheets" {
				return // the Sheets check reads the public discovery document
			}
			wrong := conn
			wrong.Data = map[string]string{"token": "wrong"}
			if r := apptest.Run(t, reg, apptest.Connections{a.Name: wrong}, test, nil); r.Err == nil {
				t.Errorf("test connection with a wrong token succeeded")
			}
		})
	}
}

func TestSpecErrors(t *testing.T) {
	t.Parallel()
	base := "name: x\ntitle: X\nicon: <svg/>\nbase_url: https://x.example\nauth: [{kind: bearer}]\ntest: {path: /}\n"
	for spec, want := range map[string]string{
		base + "operations: []": "no operations",
		base + "operations: [{id: a, title: A, method: GET, path: '/a/{id}'}]":                                                                                 "names {id}, which is not in inputs.path",
		base + "operations: [{id: a, title: A, method: GET, path: /a, inputs: {query: {properties: {connection: {type: string, description: a long text}}}}}]": "reserved",
		base + "operations: [{id: a, title: A, method: GET, path: /a, inputs: {query: {properties: {q: {type: string, description: Text, with a comma}}}}}]":   "quote text that holds a comma",
		base + "operations: [{id: a, title: A, method: GET, path: /a, paginate: {style: cursor}}]":                                                             "needs param and cursor",
		base + "operations: [{id: a, title: A, method: GET, path: /a, unknown: 1}]":                                                                            "field unknown not found",
		"name: Bad\n": "lower-case",
	} {
		if _, err := apps.Parse("x.yaml", []byte(spec)); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "x.yaml") {
			t.Errorf("spec %q: err = %v, want %q", spec, err, want)
		}
	}
}
