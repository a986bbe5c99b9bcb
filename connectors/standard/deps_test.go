package standard_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestConnectorsDoNotImportTheVault: connectors reach credentials only
// through step.Connections, so neither the vault nor the store is in their
// dependency closure (a connector that could open the store could read any
// credential).
func TestConnectorsDoNotImportTheVault(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/weftworks/weft/connectors/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %d packages: %s", len(deps), out)
	}
	forbidden := []string{"github.com/weftworks/weft/credential", "github.com/weftworks/weft/store", "github.com/weftworks/weft/engine"}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("connectors depend on %s; reach it through step.Env instead", d)
			}
		}
	}
}
