package ai

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// CacheStore is where a StoreCache keeps answers: the store's step cache
// (store.Cache), shared by every process on PostgreSQL.
type CacheStore interface {
	GetCached(ctx context.Context, key string, now time.Time) (json.RawMessage, bool, error)
	PutCached(ctx context.Context, key string, value json.RawMessage, expiresAt time.Time) error
}

// StoreCache keeps answers in the database, so an answer one process paid
// for is reused by every process sharing it. A small in-process LRU sits in
// front: an entry never changes under its key, so a local hit is as good as
// a stored one and costs no round trip.
type StoreCache struct {
	st     CacheStore
	ttl    time.Duration
	local  *MemoryCache
	logger *slog.Logger
	now    func() time.Time
}

var _ Cache = (*StoreCache)(nil)

// cacheKeyPrefix keeps AI answers apart from step results in the shared
// table (step keys are bare hex digests).
const cacheKeyPrefix = "ai:"

// NewStoreCache keeps answers in st for ttl, with up to localMax of them in
// memory too. logger reports a store that cannot be reached (nil: none).
func NewStoreCache(st CacheStore, localMax int, ttl time.Duration, logger *slog.Logger) *StoreCache {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &StoreCache{st: st, ttl: ttl, local: NewMemoryCache(localMax, ttl), logger: logger, now: time.Now}
}

// Get implements Cache.
func (c *StoreCache) Get(ctx context.Context, key string) (*ChatResponse, bool) {
	if r, ok := c.local.Get(ctx, key); ok {
		return r, true
	}
	v, ok, err := c.st.GetCached(ctx, cacheKeyPrefix+key, c.now())
	if err != nil {
		c.logger.Warn("reading the AI answer cache", "err", err)
		return nil, false
	}
	if !ok {
		return nil, false
	}
	var r ChatResponse
	if err := json.Unmarshal(v, &r); err != nil {
		c.logger.Warn("reading the AI answer cache: a stored answer does not decode; calling the model", "err", err)
		return nil, false
	}
	c.local.Put(ctx, key, &r)
	return &r, true
}

// Put implements Cache.
func (c *StoreCache) Put(ctx context.Context, key string, resp *ChatResponse) {
	c.local.Put(ctx, key, resp)
	b, err := json.Marshal(resp)
	if err != nil {
		c.logger.Warn("writing the AI answer cache", "err", err)
		return
	}
	if err := c.st.PutCached(ctx, cacheKeyPrefix+key, b, c.now().Add(c.ttl)); err != nil {
		c.logger.Warn("writing the AI answer cache", "err", err)
	}
}
