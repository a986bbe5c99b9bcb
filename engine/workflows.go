package engine

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/workflow"
)

type compiledWorkflow struct {
	rec weft.WorkflowRecord
	c   *workflow.Compiled
}

// maxCachedSteps bounds the compiled versions kept, by their total number of
// steps: a compiled step holds its expression programs (about 5 KB), so a
// 20,000-step version weighs about 100 MB, and a count of versions alone
// would not bound memory.
const maxCachedSteps = 100_000

// workflowCache compiles each stored workflow version once and keeps the
// versions used last, up to maxCachedSteps steps. The active version of a
// name is remembered for a short time, so a PUT in another process is seen
// within activeTTL.
type workflowCache struct {
	store workflowReader
	reg   *step.Registry

	mu       sync.Mutex
	versions map[string]*list.Element // name@version → element of lru holding *compiledWorkflow
	lru      *list.List               // front: used last
	steps    int                      // steps of the versions in lru
	maxSteps int                      // maxCachedSteps; smaller in tests
	active   map[string]activeEntry
	// concurrency is the limit of every workflow name a version of which was
	// compiled here with a limit (the last one seen), kept when versions are
	// dropped from lru so that claims stay limited, as they did when every
	// version stayed cached.
	concurrency map[string]int
	parses      atomic.Int64
}

type activeEntry struct {
	cw      *compiledWorkflow
	fetched time.Time
}

const activeTTL = time.Second

// workflowReader is what the cache reads: active and pinned versions.
type workflowReader interface {
	GetWorkflow(ctx context.Context, name string) (weft.WorkflowRecord, error)
	GetWorkflowVersion(ctx context.Context, name string, version int64) (weft.WorkflowRecord, error)
}

var _ workflowReader = store.Workflows(nil)

func newWorkflowCache(s workflowReader, reg *step.Registry) *workflowCache {
	return &workflowCache{store: s, reg: reg, versions: map[string]*list.Element{}, lru: list.New(), maxSteps: maxCachedSteps,
		active: map[string]activeEntry{}, concurrency: map[string]int{}}
}

func (c *workflowCache) invalidate(name string) {
	c.mu.Lock()
	delete(c.active, name)
	c.mu.Unlock()
}

// lookup returns a cached version and marks it used; c.mu must be held.
func (c *workflowCache) lookup(name string, version int64) (*compiledWorkflow, bool) {
	el, ok := c.versions[key(name, version)]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*compiledWorkflow), true
}

// add keeps cw and drops the versions used longest ago beyond
// maxCachedSteps (never cw itself); c.mu must be held.
func (c *workflowCache) add(cw *compiledWorkflow) {
	k := key(cw.rec.Name, cw.rec.Version)
	if el, ok := c.versions[k]; ok {
		c.steps -= stepCount(el.Value.(*compiledWorkflow))
		c.lru.Remove(el)
	}
	c.versions[k] = c.lru.PushFront(cw)
	c.steps += stepCount(cw)
	if n := cw.c.Workflow.Concurrency; n > 0 {
		c.concurrency[cw.rec.Name] = n
	}
	for c.steps > c.maxSteps && c.lru.Len() > 1 {
		el := c.lru.Back()
		old := el.Value.(*compiledWorkflow)
		c.lru.Remove(el)
		delete(c.versions, key(old.rec.Name, old.rec.Version))
		c.steps -= stepCount(old)
	}
}

func stepCount(cw *compiledWorkflow) int { return len(cw.c.Nodes) + 1 }

// compile returns rec compiled, from the cache when the same version with
// the same source is there, parsing it once otherwise.
func (c *workflowCache) compile(rec weft.WorkflowRecord) (*compiledWorkflow, error) {
	c.mu.Lock()
	cw, ok := c.lookup(rec.Name, rec.Version)
	c.mu.Unlock()
	// A workflow deleted and created again may reuse a version number.
	if ok && cw.rec.Source == rec.Source {
		return cw, nil
	}
	c.parses.Add(1)
	compiled, err := workflow.Parse(rec.Name+".yaml", []byte(rec.Source), c.reg)
	if err != nil {
		return nil, fmt.Errorf("compiling workflow %q version %d: %w", rec.Name, rec.Version, err)
	}
	cw = &compiledWorkflow{rec: rec, c: compiled}
	c.mu.Lock()
	c.add(cw)
	c.mu.Unlock()
	return cw, nil
}

// remember keeps a version compiled elsewhere (the API parses a document
// before storing it), so its first use does not parse it again.
func (c *workflowCache) remember(rec weft.WorkflowRecord, compiled *workflow.Compiled) {
	c.mu.Lock()
	c.add(&compiledWorkflow{rec: rec, c: compiled})
	c.mu.Unlock()
}

// get returns a compiled workflow: version 0 means the active one.
func (c *workflowCache) get(ctx context.Context, name string, version int64) (*compiledWorkflow, error) {
	c.mu.Lock()
	if version == 0 {
		if a, ok := c.active[name]; ok && time.Since(a.fetched) < activeTTL {
			c.mu.Unlock()
			return a.cw, nil
		}
	} else if cw, ok := c.lookup(name, version); ok {
		c.mu.Unlock()
		return cw, nil
	}
	c.mu.Unlock()

	var rec weft.WorkflowRecord
	var err error
	if version == 0 {
		rec, err = c.store.GetWorkflow(ctx, name)
	} else {
		rec, err = c.store.GetWorkflowVersion(ctx, name, version)
	}
	if err != nil {
		return nil, fmt.Errorf("loading workflow %q: %w", name, err)
	}
	cw, err := c.compile(rec)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		c.mu.Lock()
		c.active[name] = activeEntry{cw: cw, fetched: time.Now()}
		c.mu.Unlock()
	}
	return cw, nil
}

func key(name string, version int64) string { return fmt.Sprintf("%s@%d", name, version) }
