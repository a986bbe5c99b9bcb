package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
)

func cacheRegistry(t *testing.T) *step.Registry {
	t.Helper()
	reg := step.NewRegistry()
	noop := step.HandlerFunc(func(context.Context, *step.Request) (step.Result, error) { return step.Result{}, nil })
	reg.MustAdd(step.Spec{Type: "transform", Title: "Transform", Category: step.CategoryCore, Pure: true, AllowExtra: true}, noop)
	return reg
}

func chain(name string, version int64, steps int, concurrency int) weft.WorkflowRecord {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\n", name)
	if concurrency > 0 {
		fmt.Fprintf(&b, "concurrency: %d\n", concurrency)
	}
	b.WriteString("steps:\n")
	for i := range steps {
		fmt.Fprintf(&b, "  - { id: s%d, uses: transform, with: { v: \"{{ trigger.v }}\" } }\n", i)
	}
	return weft.WorkflowRecord{Name: name, Version: version, Source: b.String()}
}

// TestWorkflowCacheParsesOnce: a version is parsed once however often it is
// read, again only when its source differs (a name deleted and created
// again reuses version numbers), and a version compiled before it was
// stored is not parsed at all.
func TestWorkflowCacheParsesOnce(t *testing.T) {
	t.Parallel()
	c := newWorkflowCache(nil, cacheRegistry(t))
	rec := chain("a", 1, 3, 0)
	first, err := c.compile(rec)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := c.compile(rec)
		if err != nil {
			t.Fatal(err)
		}
		if again != first {
			t.Fatal("a cached version was compiled again")
		}
	}
	if n := c.parses.Load(); n != 1 {
		t.Fatalf("parses = %d, want 1", n)
	}
	if _, err := c.compile(chain("a", 1, 4, 0)); err != nil {
		t.Fatal(err)
	}
	if n := c.parses.Load(); n != 2 {
		t.Fatalf("parses after a new source under the same version = %d, want 2", n)
	}
	other := chain("b", 1, 2, 0)
	pre, err := c.compile(other) // stands for the API's own parse
	if err != nil {
		t.Fatal(err)
	}
	c2 := newWorkflowCache(nil, cacheRegistry(t))
	c2.remember(other, pre.c)
	if got, err := c2.compile(other); err != nil || got.c != pre.c || c2.parses.Load() != 0 {
		t.Fatalf("remembered version: %v, same=%v, parses=%d", err, got != nil && got.c == pre.c, c2.parses.Load())
	}
}

// TestWorkflowCacheBounded: the cache keeps at most maxSteps steps of
// compiled versions, drops the one used longest ago, never the newest, and
// keeps the concurrency limits of names it dropped.
func TestWorkflowCacheBounded(t *testing.T) {
	t.Parallel()
	c := newWorkflowCache(nil, cacheRegistry(t))
	c.maxSteps = 30
	for v := int64(1); v <= 10; v++ {
		if _, err := c.compile(chain("w", v, 9, 2)); err != nil { // 10 steps each as counted
			t.Fatal(err)
		}
		if v == 5 {
			// Use version 4 again: it becomes the most recent.
			if _, err := c.compile(chain("w", 4, 9, 2)); err != nil {
				t.Fatal(err)
			}
		}
		if v == 7 {
			_, has4 := c.versions[key("w", 4)]
			_, has5 := c.versions[key("w", 5)]
			if !has4 || has5 {
				t.Fatalf("after 7: version 4 kept %v, 5 kept %v; want the one used longest ago (5) dropped", has4, has5)
			}
		}
	}
	if c.steps > c.maxSteps || c.lru.Len() != 3 || len(c.versions) != 3 {
		t.Fatalf("steps %d, %d versions (map %d); want at most %d steps, 3 versions", c.steps, c.lru.Len(), len(c.versions), c.maxSteps)
	}
	for _, v := range []int64{8, 9, 10} {
		if _, ok := c.versions[key("w", v)]; !ok {
			t.Errorf("version %d dropped, want the three used last kept", v)
		}
	}
	if c.concurrency["w"] != 2 {
		t.Errorf("concurrency = %v", c.concurrency)
	}
	big := newWorkflowCache(nil, cacheRegistry(t))
	big.maxSteps = 5
	if _, err := big.compile(chain("huge", 1, 20, 0)); err != nil {
		t.Fatal(err)
	}
	if big.lru.Len() != 1 {
		t.Fatal("a version larger than the bound must still be kept while it is the newest")
	}
}
