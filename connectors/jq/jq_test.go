package jq_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/weftworks/weft/connectors/jq"
	"github.com/weftworks/weft/step"
)

func run(t *testing.T, with map[string]any) (any, error) {
	t.Helper()
	reg := step.NewRegistry()
	if err := jq.Register(reg); err != nil {
		t.Fatal(err)
	}
	r, _ := reg.Lookup("jq")
	for _, f := range r.Spec.Fields {
		if _, ok := with[f.Name]; !ok && f.Default != nil {
			with[f.Name] = f.Default
		}
	}
	res, err := r.Handler.Run(context.Background(), &step.Request{Type: "jq", With: with})
	return res.Output, err
}

func TestJQ(t *testing.T) {
	t.Parallel()
	data := map[string]any{"orders": []any{
		map[string]any{"id": "a", "total": 50.0, "customer": map[string]any{"email": "x@example.com"}},
		map[string]any{"id": "b", "total": 150.0, "customer": map[string]any{"email": "y@example.com"}},
	}}
	for name, tc := range map[string]struct {
		with map[string]any
		want any
	}{
		"select with var": {map[string]any{"input": data, "program": "[.orders[] | select(.total >= $min) | {id, email: .customer.email}]", "vars": map[string]any{"min": 100}},
			[]any{map[string]any{"id": "b", "email": "y@example.com"}}},
		"first result": {map[string]any{"input": data, "program": ".orders[].id"}, "a"},
		"all results":  {map[string]any{"input": data, "program": ".orders[].id", "all": true}, []any{"a", "b"}},
		"no result":    {map[string]any{"input": data, "program": "empty"}, nil},
		"group_by":     {map[string]any{"input": []any{1, 2, 3, 4}, "program": "group_by(. % 2) | map(add)"}, []any{6, 4}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := run(t, tc.with)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestJQErrorsAndTimeout(t *testing.T) {
	t.Parallel()
	if _, err := run(t, map[string]any{"input": 1, "program": ".["}); err == nil || !strings.Contains(err.Error(), "program") {
		t.Fatalf("parse error: %v", err)
	}
	if _, err := run(t, map[string]any{"input": 1, "program": "error(\"boom\")"}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("runtime error: %v", err)
	}
	_, err := run(t, map[string]any{"input": 0, "program": "def f: f; f", "timeout": "100ms"})
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("endless program: %v", err)
	}
	step.ErrorInfo(err)
}
