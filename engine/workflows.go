package engine

import (
	"context"
	"fmt"
	"sync"
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

// workflowCache compiles each stored workflow version once. The active
// version of a name is remembered for a short time, so a PUT in another
// process is seen within activeTTL.
type workflowCache struct {
	store workflowReader
	reg   *step.Registry

	mu       sync.Mutex
	versions map[string]*compiledWorkflow // name@version
	active   map[string]activeEntry
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
	return &workflowCache{store: s, reg: reg, versions: map[string]*compiledWorkflow{}, active: map[string]activeEntry{}}
}

func (c *workflowCache) invalidate(name string) {
	c.mu.Lock()
	delete(c.active, name)
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
	} else if cw, ok := c.versions[key(name, version)]; ok {
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
	c.mu.Lock()
	cw, ok := c.versions[key(rec.Name, rec.Version)]
	c.mu.Unlock()
	if !ok {
		compiled, err := workflow.Parse(rec.Name+".yaml", []byte(rec.Source), c.reg)
		if err != nil {
			return nil, fmt.Errorf("compiling workflow %q version %d: %w", name, rec.Version, err)
		}
		cw = &compiledWorkflow{rec: rec, c: compiled}
	}
	c.mu.Lock()
	c.versions[key(rec.Name, rec.Version)] = cw
	if version == 0 {
		c.active[name] = activeEntry{cw: cw, fetched: time.Now()}
	}
	c.mu.Unlock()
	return cw, nil
}

func key(name string, version int64) string { return fmt.Sprintf("%s@%d", name, version) }
