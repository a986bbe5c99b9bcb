package ai

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"
)

// Cache keeps model answers for identical calls. A hit costs nothing: no
// model call, no tokens, no usage record.
// A cache that cannot be read answers a miss: the call then goes to the
// model, which costs tokens but never fails the step.
type Cache interface {
	Get(ctx context.Context, key string) (*ChatResponse, bool)
	Put(ctx context.Context, key string, resp *ChatResponse)
}

// CacheKey identifies a call: provider, model and every part of the request
// that can change the answer (system, messages, tools, schema, temperature,
// max tokens, stop, seed).
func CacheKey(provider string, req *ChatRequest) string {
	b, _ := json.Marshal(struct {
		Provider string       `json:"p"`
		Req      *ChatRequest `json:"r"`
	}{provider, req})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// MemoryCache is an in-process LRU cache with a time to live.
type MemoryCache struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	now     func() time.Time
	order   *list.List // front: most recent
	entries map[string]*list.Element
}

type cacheEntry struct {
	key     string
	resp    ChatResponse
	expires time.Time
}

var _ Cache = (*MemoryCache)(nil)

// NewMemoryCache keeps up to max answers for ttl each.
func NewMemoryCache(max int, ttl time.Duration) *MemoryCache {
	return &MemoryCache{max: max, ttl: ttl, now: time.Now, order: list.New(), entries: map[string]*list.Element{}}
}

// Get returns a live entry.
func (c *MemoryCache) Get(_ context.Context, key string) (*ChatResponse, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if c.now().After(e.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return nil, false
	}
	c.order.MoveToFront(el)
	r := e.resp
	return &r, true
}

// Put stores an answer, evicting the least recently used beyond max.
func (c *MemoryCache) Put(_ context.Context, key string, resp *ChatResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.order.Remove(el)
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, resp: *resp, expires: c.now().Add(c.ttl)})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*cacheEntry).key)
	}
}
