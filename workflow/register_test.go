package workflow_test

import (
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/workflow"
)

// TestWebhookRegisterValidation: on.webhook.register is checked at save
// time, each problem at its file:line:col.
func TestWebhookRegisterValidation(t *testing.T) {
	t.Parallel()
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"ok stripe", `
name: paid
on:
  webhook:
    path: paid
    preset: stripe
    register: { connection: stripe, events: [payment_intent.succeeded] }
steps: [{ id: a, uses: transform, with: { x: 1 } }]
`, nil},
		{"ok github", `
name: paid
on:
  webhook:
    path: paid
    preset: github
    register: { connection: gh, events: [issues], repo: octo-org/hello }
steps: [{ id: a, uses: transform, with: { x: 1 } }]
`, nil},
		{"no preset", `
name: paid
on:
  webhook:
    path: paid
    register: { connection: stripe, events: [charge.refunded] }
steps: [{ id: a, uses: transform, with: { x: 1 } }]
`, []string{`paid.yaml:6:15: on.webhook.register: needs preset: stripe or preset: github`}},
		{"slack cannot register", `
name: paid
on:
  webhook:
    path: paid
    preset: slack
    register: { connection: slack, events: [message] }
steps: [{ id: a, uses: transform, with: { x: 1 } }]
`, []string{`paid.yaml:7:15: on.webhook.register: needs preset: stripe or preset: github`}},
		{"github without repo, bad keys", `
name: paid
on:
  webhook:
    path: paid
    preset: github
    register:
      events: []
      secret: x
steps: [{ id: a, uses: transform, with: { x: 1 } }]
`, []string{`paid.yaml:9:7: on.webhook.register.secret: unknown key "secret"; the signing secret is made at registration`,
			`paid.yaml:8:7: on.webhook.register.connection: is required`, `paid.yaml:8:15: on.webhook.register.events: must be a non-empty list`,
			`paid.yaml:8:7: on.webhook.register: needs repo`}},
		{"repo not owner/name", `
name: paid
on:
  webhook:
    path: paid
    preset: github
    register: { connection: gh, events: [issues], repo: hello }
steps: [{ id: a, uses: transform, with: { x: 1 } }]
`, []string{`paid.yaml:7:57: on.webhook.register.repo: must be owner/name`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := workflow.Parse("paid.yaml", []byte(tc.src), reg)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
