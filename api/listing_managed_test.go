package api

import (
	"net/http"
	"testing"

	"github.com/weftworks/weft/outbound"
)

// The delivery workflow Weft installs itself is marked managed in the list,
// so the console can keep it apart from the user's own.
func TestListMarksManagedWorkflows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, name := range []string{"mine", outbound.DeliveryWorkflow} {
		res := b.do(t, req{method: "PUT", path: "/api/v1/workflows/" + name, contentType: "application/yaml",
			body: "name: " + name + "\nsteps:\n  - id: a\n    uses: transform\n    with: { x: 1 }\n"})
		if res.status != http.StatusOK && res.status != http.StatusCreated {
			t.Fatalf("put %s: %d %s", name, res.status, res.body)
		}
	}
	res := b.get(t, "/api/v1/workflows")
	items, _ := res.json(t)["items"].([]any)
	managed := map[string]bool{}
	for _, it := range items {
		m := it.(map[string]any)
		managed[m["name"].(string)], _ = m["managed"].(bool)
	}
	if len(managed) != 2 || managed["mine"] || !managed[outbound.DeliveryWorkflow] {
		t.Fatalf("managed flags: %v", managed)
	}
}
