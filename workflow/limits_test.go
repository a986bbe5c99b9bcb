package workflow

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestAncestryMixed checks "only ancestors may be read" where a chain in
// list order meets explicit needs: the linear prefix stands for all the
// steps before it, other steps are walked.
func TestAncestryMixed(t *testing.T) {
	t.Parallel()
	src := `name: mixed
steps:
  - id: a
    uses: transform
  - id: b
    uses: transform
    with: { v: "{{ steps.a.output }}" }
  - id: c
    uses: transform
    needs: [a]
    with: { v: "{{ steps.a.output }}" }
  - id: d
    uses: transform
    with: { ok: "{{ steps.c.output }}{{ steps.a.output }}", bad: "{{ steps.b.output }}" }
  - id: e
    uses: transform
    needs: [b, d]
    with: { v: "{{ steps.a.output }}{{ steps.b.output }}{{ steps.c.output }}{{ steps.d.output }}" }
  - id: f
    uses: transform
    needs: [c]
    with: { bad: "{{ steps.e.output }}", ok: "{{ steps.a.output }}" }
`
	_, err := Parse("mixed.yaml", []byte(src), testRegistry(t))
	var diags Diagnostics
	if !errors.As(err, &diags) {
		t.Fatalf("got %v, want diagnostics", err)
	}
	var got []string
	for _, d := range diags {
		got = append(got, d.Message)
	}
	want := []string{
		`step "d" reads steps.b, but "b" is not among the steps it waits for; add "b" to its needs`,
		`step "f" reads steps.e, but "e" is not among the steps it waits for; add "e" to its needs`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestLargeWorkflowParses: 20,000 steps, each reading the one before and
// the first, validate (in linear time: see BenchmarkParse20kSteps).
func TestLargeWorkflowParses(t *testing.T) {
	t.Parallel()
	c, err := Parse("big.yaml", bigWorkflow(20_000, false), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Nodes) != 20_000 {
		t.Fatalf("%d nodes", len(c.Nodes))
	}
}

func TestMaxSteps(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("name: huge\nsteps:\n")
	for i := range MaxSteps + 1 {
		fmt.Fprintf(&b, "- {id: s%d, uses: transform}\n", i)
	}
	_, err := Parse("huge.yaml", []byte(b.String()), testRegistry(t))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("steps has %d steps, more than the limit of %d per workflow", MaxSteps+1, MaxSteps)) {
		t.Fatalf("got %v, want the step limit", err)
	}
}
