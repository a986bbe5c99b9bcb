package step

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSpecJSONSchema(t *testing.T) {
	t.Parallel()
	s := Spec{Type: "x", Title: "X", Fields: []Field{
		{Name: "url", Type: String, Required: true, Description: "where"},
		{Name: "method", Type: String, Enum: []string{"GET", "POST"}, Default: "GET"},
		{Name: "n", Type: Integer},
		{Name: "auth", Type: Object, Fields: []Field{{Name: "kind", Type: String, Required: true}}},
		{Name: "tags", Type: Array, Items: &Field{Type: String}},
		{Name: "body", Type: Any},
	}}
	b, err := json.Marshal(s.JSONSchema())
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{`"required":["url"]`, `"additionalProperties":false`, `"enum":["GET","POST"]`, `"type":"integer"`, `"pattern":"\\{\\{.*\\}\\}"`, `"default":"GET"`} {
		if !strings.Contains(got, want) {
			t.Errorf("schema lacks %s:\n%s", want, got)
		}
	}
}
