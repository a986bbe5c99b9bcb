package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
)

type redisStream struct {
	addr, stream string
	rc           *redis.Client
}

func newRedisStream(t testing.TB) *redisStream {
	addr := envOrSkip(t, "WEFT_TEST_REDIS_ADDR", "127.0.0.1:6379")
	r := &redisStream{addr: addr, stream: "weft-e2e-" + randomSuffix(), rc: redis.NewClient(&redis.Options{Addr: addr})}
	t.Cleanup(func() { r.rc.Del(context.Background(), r.stream); _ = r.rc.Close() })
	return r
}

func (r *redisStream) credential() map[string]any {
	return map[string]any{"type": "redis", "data": map[string]any{"url": "redis://" + r.addr + "/0"}}
}

// claim_idle is short: the killed process's unacknowledged entries are
// claimed by the restarted one.
func (r *redisStream) binding() string {
	return fmt.Sprintf("{ broker: redis, connection: broker, stream: %s, group: weft, prefetch: 64, claim_idle: 2s }", r.stream)
}

func (r *redisStream) publish(t testing.TB, from, to int) {
	t.Helper()
	ctx := context.Background()
	_, err := r.rc.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := from; i < to; i++ {
			p.XAdd(ctx, &redis.XAddArgs{Stream: r.stream, Values: []any{"body", fmt.Sprintf(`{"n":%d}`, i)}})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (r *redisStream) pending(t testing.TB) int {
	t.Helper()
	gs, err := r.rc.XInfoGroups(context.Background(), r.stream).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.Name == "weft" {
			return int(g.Pending + g.Lag)
		}
	}
	return -1
}

// TestQueueRedisKill9DuringBurst: 5,000 stream entries, weft serve killed
// mid-burst; the restarted process claims the dead consumer's entries.
func TestQueueRedisKill9DuringBurst(t *testing.T) {
	t.Parallel()
	killDuringBurst(t, newRedisStream(t), 5000)
}

// TestQueueRedisTwoProcessesPostgres: two consumers of one group on one
// database, one killed mid-burst.
func TestQueueRedisTwoProcessesPostgres(t *testing.T) {
	t.Parallel()
	twoProcessesKillOne(t, newRedisStream(t), 3000)
}
