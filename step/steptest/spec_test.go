package steptest_test

import (
	"strings"
	"testing"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

func goodSpec() step.Spec {
	return step.Spec{
		Type:        "demo.echo",
		Title:       "Echo",
		Description: "Returns its message, for tests of the conformance kit.",
		Category:    step.CategoryCore,
		Fields: []step.Field{
			{Name: "message", Type: step.String, Description: "What to echo back.", Required: true},
			{Name: "mode", Type: step.String, Description: "How to echo it.", Enum: []string{"plain", "loud"}, Default: "plain"},
			{Name: "times", Type: step.Integer, Description: "How many times to echo.", Default: 1},
			{Name: "pause", Type: step.Duration, Description: "Pause between echoes.", Default: "1s"},
			{Name: "codes", Type: step.Array, Description: "Codes to accept.", Items: &step.Field{Type: step.Integer, Description: "One status code."}},
		},
		Output:  "`{message}`",
		Example: "- id: hello\n  uses: demo.echo\n  with:\n    message: hi\n",
	}
}

func TestSpecProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*step.Spec)
		want   string // substring of a problem; "" means no problem
	}{
		{"good", func(*step.Spec) {}, ""},
		{"no title", func(s *step.Spec) { s.Title = "" }, "Title is empty"},
		{"short description", func(s *step.Spec) { s.Description = "Echo." }, "Description is missing"},
		{"bad category", func(s *step.Spec) { s.Category = "misc" }, "Category"},
		{"no output", func(s *step.Spec) { s.Output = "" }, "Output is not documented"},
		{"field without description", func(s *step.Spec) { s.Fields[0].Description = "" }, "field message: Description"},
		{"camelCase field", func(s *step.Spec) { s.Fields[0].Name = "myMessage" }, "snake_case"},
		{"unknown type", func(s *step.Spec) { s.Fields[2].Type = "float" }, `unknown type "float"`},
		{"default outside enum", func(s *step.Spec) { s.Fields[1].Default = "quiet" }, "not in the enum"},
		{"repeated enum", func(s *step.Spec) { s.Fields[1].Enum = []string{"plain", "plain"} }, "empty or repeated"},
		{"enum on integer", func(s *step.Spec) { s.Fields[2].Enum = []string{"1"} }, "only allowed on string"},
		{"fractional integer default", func(s *step.Spec) { s.Fields[2].Default = 1.5 }, "does not match type integer"},
		{"bad duration default", func(s *step.Spec) { s.Fields[3].Default = "soon" }, "invalid duration"},
		{"required with default", func(s *step.Spec) { s.Fields[0].Default = "x" }, "must not have a default"},
		{"secret number", func(s *step.Spec) { s.Fields[2].Secret = true }, "only string fields can be secret"},
		{"item without description", func(s *step.Spec) { s.Fields[4].Items.Description = "" }, "field codes[]"},
		{"no example", func(s *step.Spec) { s.Example = "" }, "Example is empty"},
		{"example not yaml", func(s *step.Spec) { s.Example = "- id: [" }, "not valid YAML"},
		{"example of another type", func(s *step.Spec) { s.Example = "id: x\nuses: other\n" }, "no step with `uses: demo.echo`"},
		{"example with unknown field", func(s *step.Spec) { s.Example += "    volume: 11\n" }, `undeclared field "volume"`},
		{"example lacks required field", func(s *step.Spec) { s.Example = "id: x\nuses: demo.echo\n" }, `lacks required field "message"`},
		{"duplicate field", func(s *step.Spec) { s.Fields = append(s.Fields, s.Fields[0]) }, "declared twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := goodSpec()
			tt.mutate(&s)
			got := steptest.SpecProblems(s)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("problems = %q, want none", got)
				}
				return
			}
			if !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Fatalf("problems = %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestSpecProblemsAllowExtra(t *testing.T) {
	t.Parallel()
	s := goodSpec()
	s.Example += "    volume: 11\n"
	s.AllowExtra = true
	if got := steptest.SpecProblems(s); len(got) != 0 {
		t.Fatalf("problems = %q, want none for AllowExtra", got)
	}
}
