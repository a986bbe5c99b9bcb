package workflow_test

import (
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/workflow"
)

func TestPollTriggerValidation(t *testing.T) {
	t.Parallel()
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"ok with operation", `
name: feed
on:
  poll:
    operation: http.request
    with: { url: "https://api.example.com/items?after={{ poll.cursor }}" }
    every: 1m
    items: "{{ poll.output.body.results }}"
    id: "{{ item.id }}"
steps: [{ id: a, uses: transform, with: { x: 1 } }]
`, nil},
		{"unknown step and missing id", `
name: feed
on:
  poll:
    step: http.requst
    every: 1m
steps: [{ id: a, uses: transform, with: { x: 1 } }]
`, []string{`feed.yaml:5:5: on.poll needs id`, `feed.yaml:5:11: on.poll: unknown step type "http.requst" (did you mean "http.request"?)`}},
		{"bad inputs and expressions", `
name: feed
on:
  poll:
    - step: http.request
      with: { urll: x }
      every: 10ms
      id: "{{ item.id + }}"
      cursor: "{{ steps.a.output }}"
steps: [{ id: a, uses: transform, with: { x: 1 } }]
`, []string{
			`feed.yaml:6:15: on.poll[0]: http.request has no input "urll" (did you mean "url"?)`,
			`feed.yaml:6:13: on.poll[0]: http.request needs input "url"`,
			`feed.yaml:7:14: on.poll[0].every must be at least 1s`,
			`feed.yaml:8:24: on.poll[0].id: unexpected token EOF`,
			`feed.yaml:9:19: on.poll[0].cursor: a polling trigger runs before any step`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := workflow.Parse("feed.yaml", []byte(tc.src), reg)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
