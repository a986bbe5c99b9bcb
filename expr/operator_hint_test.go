package expr

import (
	"strings"
	"testing"
)

// contains(...) written as a function says that contains is an operator.
func TestOperatorWrittenAsFunction(t *testing.T) {
	t.Parallel()
	for _, src := range []string{`{{ contains(trigger.body.text, "x") }}`, `{{ startsWith(a, "b") }}`, `{{ matches(a, "^b") }}`} {
		_, err := Compile(src)
		if err == nil {
			t.Fatalf("%s compiled", src)
		}
		if !strings.Contains(err.Error(), "is an operator, not a function") || !strings.Contains(err.Error(), "write a ") {
			t.Errorf("%s: %v", src, err)
		}
	}
	if _, err := Compile(`{{ trigger.body.text contains "x" }}`); err != nil {
		t.Fatalf("the operator form: %v", err)
	}
}
