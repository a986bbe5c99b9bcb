package expr_test

import (
	"context"
	"fmt"

	"github.com/weftworks/weft/expr"
)

func ExampleCompile() {
	t, err := expr.Compile("Hello {{ upper(trigger.body.name) }}, you are {{ trigger.body.age }}")
	if err != nil {
		panic(err)
	}
	out, _ := t.Eval(context.Background(), expr.Scope{
		"trigger": map[string]any{"body": map[string]any{"name": "ada", "age": 36}},
	})
	fmt.Println(out)

	// A template that is exactly one expression keeps the value's type.
	t, _ = expr.Compile("{{ trigger.body.age > 18 }}")
	adult, _ := t.Eval(context.Background(), expr.Scope{
		"trigger": map[string]any{"body": map[string]any{"age": 36}},
	})
	fmt.Printf("%T %v\n", adult, adult)
	// Output:
	// Hello ADA, you are 36
	// bool true
}
