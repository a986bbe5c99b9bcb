package jq

import (
	"fmt"
	"sync"

	"github.com/itchyny/gojq"
)

// The binary operators are the hottest code of most programs, so their
// guards compute the cases that cannot grow (numbers, and + on strings once
// measured) in Go with gojq's exact semantics, and hand everything else,
// once measured, to gojq's own operator through a one-line program: same
// results, same error messages.

// operatorPrograms are `$l OP $r` compiled once; gojq's compiled code is
// immutable and safe to run from many goroutines.
var operatorPrograms = sync.OnceValues(func() (map[string]*gojq.Code, error) {
	out := map[string]*gojq.Code{}
	for _, op := range []string{"+", "-", "*", "/"} {
		q, err := gojq.Parse("$l " + op + " $r")
		if err != nil {
			return nil, fmt.Errorf("parsing operator %s: %w", op, err)
		}
		c, err := gojq.Compile(q, gojq.WithVariables([]string{"$l", "$r"}))
		if err != nil {
			return nil, fmt.Errorf("compiling operator %s: %w", op, err)
		}
		out[op] = c
	}
	return out, nil
})

// operator returns the guarded implementation of op.
func (b *budget) operator(op string) func(any, []any) any {
	return func(_ any, args []any) any {
		l, r := args[0], args[1]
		if v, ok := numberOp(op, l, r); ok {
			return v
		}
		if err := b.check(op, nil, args); err != nil {
			return err
		}
		if op == "+" {
			if ls, ok := l.(string); ok {
				if rs, ok := r.(string); ok {
					return ls + rs
				}
			}
		}
		progs, err := operatorPrograms()
		if err != nil {
			return err
		}
		v, _ := progs[op].Run(nil, l, r).Next()
		return v
	}
}

// numberOp computes op on two numbers as gojq does (binopTypeSwitch and
// funcOpAdd…funcOpDiv): int with int stays int unless it overflows, any
// float makes both floats. It declines (ok false) the cases that need
// big integers or an error, which gojq's own operator then handles.
func numberOp(op string, l, r any) (any, bool) {
	li, lInt := l.(int)
	ri, rInt := r.(int)
	if lInt && rInt {
		switch op {
		case "+":
			if v := li + ri; (v >= li) == (ri >= 0) {
				return v, true
			}
		case "-":
			if v := li - ri; (v <= li) == (ri >= 0) {
				return v, true
			}
		case "*":
			if ri != -1 {
				if v := li * ri; ri == 0 || v/ri == li {
					return v, true
				}
			}
		case "/":
			if ri != 0 && ri != -1 {
				if li%ri == 0 {
					return li / ri, true
				}
				return float64(li) / float64(ri), true
			}
		}
		return nil, false
	}
	lf, lok := toFloat(l)
	rf, rok := toFloat(r)
	if !lok || !rok {
		return nil, false
	}
	switch op {
	case "+":
		return lf + rf, true
	case "-":
		return lf - rf, true
	case "*":
		return lf * rf, true
	case "/":
		if rf != 0 {
			return lf / rf, true
		}
	}
	return nil, false
}

// toFloat accepts a float64, or an int next to one.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}
