package jq

import (
	"context"
	"errors"
	"fmt"

	"github.com/weftworks/weft/expr"
)

// A jq program reads webhook data, so a data-controlled size must never
// decide how much the process allocates. gojq itself only stops at a
// context's end; the limits below bound the rest, each checked before the
// work it bounds is done.
const (
	// MaxInstructions bounds the VM instructions of one run (loops, ranges,
	// recursion, arrays collected element by element). Work done inside one
	// builtin in Go (comparisons of `-` on arrays, sorting) is charged to it
	// too.
	MaxInstructions = 5_000_000
	// MaxStringLen bounds one string built by the program (`+`, `*`,
	// interpolation, tostring, tojson, @formats, join, add, …): the same
	// limit as expressions.
	MaxStringLen = expr.MaxStringLen
	// MaxElements bounds one array or object built in a single step by a
	// builtin (split, explode, match, flatten, transpose, setpath, …).
	MaxElements = 2_000_000
	// MaxBuiltBytes bounds everything the guarded operations build during
	// one run, counted as they build it (strings by their bytes, arrays and
	// objects at 16 bytes per element).
	MaxBuiltBytes = 256 << 20
	// MaxOutputBytes bounds the step's result, measured as JSON.
	MaxOutputBytes = expr.MaxEvalBytes
	// maxIntBits bounds integers beyond int64 (gojq keeps them exact), so
	// repeated squaring cannot build a number of gigabytes.
	maxIntBits = 1 << 20
	// elemSize is what one element of a built array or object costs.
	elemSize = 16
)

// ErrMemoryBudget is the cause of every jq limit error, for Go callers.
var ErrMemoryBudget = errors.New("memory budget exceeded")

// limitError is a refused run: what would have been built and the limit.
type limitError struct{ msg string }

func (e *limitError) Error() string { return "memory budget exceeded: " + e.msg }
func (e *limitError) Unwrap() error { return ErrMemoryBudget }

func refuse(format string, args ...any) error {
	return &limitError{msg: fmt.Sprintf(format, args...) + "; reduce the data or simplify the program"}
}

// budget is one run's account. gojq runs a program on the caller's
// goroutine and calls Done once per instruction, so the counters need no
// locking.
type budget struct {
	instructions int
	built        int
	err          error // the first refusal; every later instruction ends the run
}

// instr charges n instructions (or Go-side steps standing for them).
func (b *budget) instr(n int) error {
	if n < 0 || n > MaxInstructions-b.instructions {
		b.instructions = MaxInstructions + 1
		return b.fail(refuse("the program ran more than %d instructions (the limit)", MaxInstructions))
	}
	b.instructions += n
	return nil
}

// str checks a string of n bytes that fn is about to build.
func (b *budget) str(fn string, n int) error {
	if n < 0 || n > MaxStringLen {
		if n < 0 {
			return b.fail(refuse("%s would build a string of more than %d bytes (the limit)", fn, MaxStringLen))
		}
		return b.fail(refuse("%s would build a string of %d bytes, more than the limit of %d", fn, n, MaxStringLen))
	}
	return b.grow(fn, n)
}

// elems checks an array or object of n elements that fn is about to build.
func (b *budget) elems(fn string, n int) error {
	if n < 0 || n > MaxElements {
		if n < 0 {
			return b.fail(refuse("%s would build more than %d elements (the limit)", fn, MaxElements))
		}
		return b.fail(refuse("%s would build %d elements, more than the limit of %d", fn, n, MaxElements))
	}
	return b.grow(fn, n*elemSize)
}

// grow charges n built bytes to the run.
func (b *budget) grow(fn string, n int) error {
	if n < 0 || n > MaxBuiltBytes-b.built {
		return b.fail(refuse("%s would bring what this run built past %d bytes (the limit)", fn, MaxBuiltBytes))
	}
	b.built += n
	return nil
}

// fail records the run's first refusal: from then on every instruction ends
// the run, so a refusal cannot be caught by try and retried in a loop.
func (b *budget) fail(err error) error {
	if b.err == nil {
		b.err = err
	}
	return err
}

// closed is returned by countingContext.Done once the budget is spent.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// countingContext is the context gojq's VM sees. gojq selects on Done()
// before every instruction (whenever the context is not Background), so
// counting the calls bounds the instructions of a run at the price of an
// increment; once the budget is spent Done is closed and Err says why,
// which stops the run where it is, past any try/catch.
type countingContext struct {
	context.Context
	b *budget
}

var _ context.Context = (*countingContext)(nil)

func (c *countingContext) Done() <-chan struct{} {
	if c.b.err != nil || c.b.instr(1) != nil {
		return closed
	}
	return c.Context.Done()
}

func (c *countingContext) Err() error {
	if c.b.err != nil {
		return c.b.err
	}
	return c.Context.Err()
}
