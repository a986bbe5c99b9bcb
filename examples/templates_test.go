package examples

import (
	"strings"
	"testing"
)

// TestTemplates: every embedded example is listed with the name and
// description its file declares, and the whole file.
func TestTemplates(t *testing.T) {
	t.Parallel()
	got, err := Templates()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Template{}
	for _, tpl := range got {
		byName[tpl.Name] = tpl
		if tpl.Description == "" || !strings.Contains(tpl.YAML, "name: "+tpl.Name) {
			t.Errorf("%s (%s): description %q, or the YAML does not declare the name", tpl.Name, tpl.File, tpl.Description)
		}
	}
	for _, want := range []string{"ticket-triage", "echo"} {
		if _, ok := byName[want]; !ok {
			t.Errorf("example %q missing from %v", want, got)
		}
	}
}
