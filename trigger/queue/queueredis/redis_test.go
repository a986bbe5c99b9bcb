package queueredis_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/queueredis"
	"github.com/weftworks/weft/trigger/queue/queuetest"
)

type bundle struct {
	addr, stream string
	rc           *redis.Client
}

func setup(t *testing.T) *bundle {
	t.Helper()
	addr := os.Getenv("WEFT_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("WEFT_TEST_REDIS_ADDR is not set (like 127.0.0.1:6379)")
	}
	b := &bundle{addr: addr, stream: "weft-test-" + queuetest.Suffix(), rc: redis.NewClient(&redis.Options{Addr: addr})}
	t.Cleanup(func() { b.rc.Del(context.Background(), b.stream, b.stream+":dead"); _ = b.rc.Close() })
	return b
}

func (b *bundle) publish(t *testing.T, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := b.rc.XAdd(context.Background(), &redis.XAddArgs{Stream: b.stream, Values: []any{"body", fmt.Sprintf(`{"n":%d}`, i)}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// pending is what the group has not acknowledged or not delivered yet.
func (b *bundle) pending(t *testing.T, group string) int64 {
	t.Helper()
	gs, err := b.rc.XInfoGroups(context.Background(), b.stream).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.Name == group {
			return g.Pending + g.Lag
		}
	}
	return -1
}

func cred(addr string) step.Credential {
	return step.Credential{Type: "redis", Data: map[string]string{"url": "redis://" + addr + "/0"}}
}

func TestIntegrationRedisConsumesOncePerMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.publish(t, 0, 300)
	st := queuetest.NewStarter()
	m := queuetest.Run(t, queueredis.Broker{}, cred(b.addr), st, queuetest.Binding("orders", "redis", map[string]any{"stream": b.stream, "claim_idle": "1m"}))
	queuetest.Eventually(t, 30*time.Second, "300 executions", func() bool { return st.Count() == 300 })
	queuetest.Eventually(t, 20*time.Second, "everything acked", func() bool { return b.pending(t, "weft-orders") == 0 })
	if h := queuetest.Health(m); h.Status != queue.StatusOK || h.Messages["started"] != 300 {
		t.Errorf("health = %+v", h)
	}
}

// Entries a consumer took and never acknowledged (its process died) are
// claimed after claim_idle and become executions once.
func TestIntegrationRedisClaimsFromDeadConsumer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	if err := b.rc.XGroupCreateMkStream(ctx, b.stream, "weft-orders", "0").Err(); err != nil {
		t.Fatal(err)
	}
	b.publish(t, 0, 10)
	if _, err := b.rc.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "weft-orders", Consumer: "dead-process", Streams: []string{b.stream, ">"}, Count: 10}).Result(); err != nil {
		t.Fatal(err)
	}
	st := queuetest.NewStarter()
	m := queuetest.Run(t, queueredis.Broker{}, cred(b.addr), st, queuetest.Binding("orders", "redis", map[string]any{"stream": b.stream, "claim_idle": "300ms"}))
	queuetest.Eventually(t, 20*time.Second, "10 executions", func() bool { return st.Count() == 10 })
	queuetest.Eventually(t, 20*time.Second, "everything acked", func() bool { return b.pending(t, "weft-orders") == 0 })
	for _, in := range st.Executions() {
		if !strings.Contains(string(in), `"redelivered":true`) {
			t.Errorf("a claimed entry is not marked redelivered: %s", in)
		}
	}
	_ = m
}

func TestIntegrationRedisReconnects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	proxy := queuetest.NewProxy(t, b.addr)
	st := queuetest.NewStarter()
	m := queuetest.Run(t, queueredis.Broker{}, cred(proxy.Addr()), st, queuetest.Binding("orders", "redis", map[string]any{"stream": b.stream, "claim_idle": "1s"}))
	b.publish(t, 0, 200)
	queuetest.Eventually(t, 20*time.Second, "some executions", func() bool { return st.Count() > 20 })
	proxy.Restart(time.Second)
	b.publish(t, 200, 400)
	queuetest.Eventually(t, 30*time.Second, "400 executions", func() bool { return st.Count() == 400 })
	queuetest.Eventually(t, 20*time.Second, "reconnected and drained", func() bool {
		h := queuetest.Health(m)
		return h.Connected && h.Reconnects >= 1 && b.pending(t, "weft-orders") == 0
	})
}

func TestIntegrationRedisDeadLettersAndPublishes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := queueredis.NewPublisher()
	defer p.Close()
	for _, body := range []string{strings.Repeat("x", 2048), `{"n":1}`, `{"n":1}`} {
		// The same id twice: a repeated publish, deduped by the consumer.
		id := "big"
		if body != strings.Repeat("x", 2048) {
			id = "step-key-1"
		}
		if _, err := p.Publish(context.Background(), cred(b.addr), queuetest.Dial(), queue.Publication{Target: map[string]any{"stream": b.stream}, Body: []byte(body), ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	st := queuetest.NewStarter()
	m := queuetest.Run(t, queueredis.Broker{}, cred(b.addr), st, queuetest.Binding("orders", "redis", map[string]any{"stream": b.stream, "claim_idle": "1m", "max_message_bytes": 1024}))
	queuetest.Eventually(t, 20*time.Second, "dead letter and duplicate", func() bool {
		h := queuetest.Health(m)
		return h.Messages["dead_lettered"] == 1 && h.Messages["duplicate"] == 1
	})
	if st.Count() != 1 {
		t.Errorf("executions = %d, want 1", st.Count())
	}
	if n, _ := b.rc.XLen(context.Background(), b.stream+":dead").Result(); n != 1 {
		t.Errorf("dead-letter stream holds %d, want 1", n)
	}
}
