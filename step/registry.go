package step

import (
	"fmt"
	"sort"
	"sync"
)

// Registration is a step type: its spec and its handler.
type Registration struct {
	Spec    Spec
	Handler Handler
}

// Registry holds the step types a Weft process knows. It is built once at
// start-up (the composition root in internal/cli) and read concurrently
// afterwards.
type Registry struct {
	mu    sync.RWMutex
	types map[string]Registration
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{types: map[string]Registration{}} }

// Add registers a step type. It fails if the spec is invalid or the type is
// already registered.
func (r *Registry) Add(spec Spec, h Handler) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("step type %s: nil handler", spec.Type)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.types[spec.Type]; dup {
		return fmt.Errorf("step type %s registered twice", spec.Type)
	}
	r.types[spec.Type] = Registration{Spec: spec, Handler: h}
	return nil
}

// MustAdd is Add that panics; for built-in registrations whose failure is a
// programming error.
func (r *Registry) MustAdd(spec Spec, h Handler) {
	if err := r.Add(spec, h); err != nil {
		panic(err)
	}
}

// Lookup returns the registration of a step type.
func (r *Registry) Lookup(typ string) (Registration, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	reg, ok := r.types[typ]
	return reg, ok
}

// Types returns the registered type names, sorted.
func (r *Registry) Types() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.types))
	for t := range r.types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Specs returns every registered spec, ordered by category then type.
func (r *Registry) Specs() []Spec {
	r.mu.RLock()
	specs := make([]Spec, 0, len(r.types))
	for _, reg := range r.types {
		specs = append(specs, reg.Spec)
	}
	r.mu.RUnlock()
	return SortedSpecs(specs)
}
