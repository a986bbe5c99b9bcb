package jq_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/itchyny/gojq"

	"github.com/weftworks/weft/connectors/jq"
	"github.com/weftworks/weft/step"
)

// benchPrograms are typical jq steps over an API answer of 1,000 orders.
var benchPrograms = map[string]string{
	"select":   `[.orders[] | select(.total >= 100) | {id, email: .customer.email}]`,
	"arith":    `reduce .orders[] as $o (0; . + $o.total * 2)`,
	"strings":  `[.orders[] | "\(.id): \(.customer.email | ascii_downcase)"] | join(",")`,
	"group_by": `group_by(.orders[].status)? // (.orders | group_by(.status) | map({status: .[0].status, n: length}))`,
	"tiny":     `.orders[0].id`,
}

func benchInput() map[string]any {
	orders := make([]any, 1000)
	for i := range orders {
		orders[i] = map[string]any{"id": fmt.Sprintf("o%d", i), "total": float64(i % 300), "status": []string{"open", "paid", "void"}[i%3],
			"customer": map[string]any{"email": fmt.Sprintf("User%d@Example.com", i)}}
	}
	return map[string]any{"orders": orders}
}

// BenchmarkJQ runs the step (parse, guard, compile, run with the limits).
func BenchmarkJQ(b *testing.B) {
	reg := step.NewRegistry()
	if err := jq.Register(reg); err != nil {
		b.Fatal(err)
	}
	r, _ := reg.Lookup("jq")
	in := benchInput()
	for name, src := range benchPrograms {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Handler.Run(context.Background(), &step.Request{Type: "jq", With: map[string]any{
					"input": in, "program": src, "all": false, "timeout": "5s"}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGojqUnguarded is the reference: gojq alone, as the step ran
// before the limits (parse, compile, run under a timeout context).
func BenchmarkGojqUnguarded(b *testing.B) {
	in := jqNormalized(benchInput())
	for name, src := range benchPrograms {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				q, err := gojq.Parse(src)
				if err != nil {
					b.Fatal(err)
				}
				c, err := gojq.Compile(q)
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5e9)
				if v, _ := c.RunWithContext(ctx, in).Next(); v == nil {
					b.Fatal("no result")
				}
				cancel()
			}
		})
	}
}

// jqNormalized converts the []string status lists the way the step does.
func jqNormalized(v map[string]any) any {
	orders := v["orders"].([]any)
	out := make([]any, len(orders))
	copy(out, orders)
	return map[string]any{"orders": out}
}
