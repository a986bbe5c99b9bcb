package workflow

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/standard"
	"github.com/weftworks/weft/step"
)

// bigWorkflow returns a workflow of n transform steps in a chain. With
// explicit, each step lists the previous one in needs; otherwise the order
// of the list is the chain. Every step reads the previous step's output and
// the first step's, the references that validation checks.
func bigWorkflow(n int, explicit bool) []byte {
	var b strings.Builder
	b.WriteString("name: big\nsteps:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - id: s%d\n    uses: transform\n", i)
		if explicit && i > 0 {
			fmt.Fprintf(&b, "    needs: [s%d]\n", i-1)
		}
		switch i {
		case 0:
			b.WriteString("    with: { v: \"{{ trigger.body.v }}\" }\n")
		default:
			fmt.Fprintf(&b, "    with: { v: \"{{ steps.s%d.output.v }}\", first: \"{{ steps.s0.output.v }}\" }\n", i-1)
		}
	}
	return []byte(b.String())
}

func benchRegistry(b testing.TB) *step.Registry {
	reg := step.NewRegistry()
	if err := standard.Register(reg); err != nil {
		b.Fatal(err)
	}
	return reg
}

func benchmarkParse(b *testing.B, n int, explicit bool) {
	reg := benchRegistry(b)
	src := bigWorkflow(n, explicit)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("big.yaml", src, reg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse1kSteps(b *testing.B)          { benchmarkParse(b, 1000, false) }
func BenchmarkParse20kSteps(b *testing.B)         { benchmarkParse(b, 20000, false) }
func BenchmarkParse1kStepsExplicit(b *testing.B)  { benchmarkParse(b, 1000, true) }
func BenchmarkParse20kStepsExplicit(b *testing.B) { benchmarkParse(b, 20000, true) }
