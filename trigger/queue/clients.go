package queue

import (
	"fmt"
	"sync"

	"github.com/weftworks/weft/step"
)

// Clients keeps one broker client per connection for the publishers: made
// on first use, made again when the connection's data changes or the
// client has died, closed by Close.
type Clients[T any] struct {
	close func(T)
	alive func(T) bool // nil: a kept client is always usable

	mu sync.Mutex
	m  map[string]clientEntry[T]
}

type clientEntry[T any] struct {
	key    string // the credential's data, to notice a change
	client T
}

// NewClients returns an empty cache; close releases one client, alive (may
// be nil) reports whether a kept client can still be used.
func NewClients[T any](close func(T), alive func(T) bool) *Clients[T] {
	return &Clients[T]{close: close, alive: alive, m: map[string]clientEntry[T]{}}
}

// Get returns the client of cred's connection, calling open for a new one
// when none is kept, its data changed or it died. A failed open keeps
// nothing. Opens are serialized: publishers are few and reuse clients.
func (c *Clients[T]) Get(cred step.Credential, open func() (T, error)) (T, error) {
	key := fmt.Sprint(cred.Data)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[cred.Name]; ok {
		if e.key == key && (c.alive == nil || c.alive(e.client)) {
			return e.client, nil
		}
		c.close(e.client)
		delete(c.m, cred.Name)
	}
	cl, err := open()
	if err != nil {
		var zero T
		return zero, err
	}
	c.m[cred.Name] = clientEntry[T]{key: key, client: cl}
	return cl, nil
}

// Close releases every kept client.
func (c *Clients[T]) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		c.close(e.client)
		delete(c.m, k)
	}
}
