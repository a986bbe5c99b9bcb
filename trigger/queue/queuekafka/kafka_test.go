package queuekafka_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/queuekafka"
	"github.com/weftworks/weft/trigger/queue/queuetest"
)

type bundle struct {
	c     *kfake.Cluster
	topic string
	cl    *kgo.Client
}

// setup runs an in-process Kafka (kfake) with a 3-partition topic.
func setup(t *testing.T) *bundle {
	t.Helper()
	topic := "weft-test-" + queuetest.Suffix()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close(); c.Close() })
	return &bundle{c: c, topic: topic, cl: cl}
}

func (b *bundle) produce(t *testing.T, from, to int) {
	t.Helper()
	var recs []*kgo.Record
	for i := from; i < to; i++ {
		recs = append(recs, &kgo.Record{Key: []byte(fmt.Sprint(i % 7)), Value: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	if err := b.cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) cred() step.Credential {
	return step.Credential{Type: "kafka", Data: map[string]string{"brokers": strings.Join(b.c.ListenAddrs(), ",")}}
}

// commits counts OffsetCommit requests the cluster receives.
func (b *bundle) commits() *atomic.Int64 {
	var n atomic.Int64
	b.c.ControlKey(int16(kmsg.OffsetCommit), func(kmsg.Request) (kmsg.Response, error, bool) {
		b.c.KeepControl()
		n.Add(1)
		return nil, nil, false
	})
	return &n
}

func TestKafkaConsumesOncePerRecord(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.produce(t, 0, 300)
	st := queuetest.NewStarter()
	m := queuetest.Run(t, queuekafka.Broker{}, b.cred(), st, queuetest.Binding("orders", "kafka", map[string]any{"topics": []any{b.topic}, "start": "earliest"}))
	queuetest.Eventually(t, 30*time.Second, "300 executions", func() bool { return st.Count() == 300 })
	queuetest.Eventually(t, 10*time.Second, "lag 0", func() bool {
		h := queuetest.Health(m)
		return h.Lag != nil && *h.Lag == 0 && h.Status == queue.StatusOK
	})
	if in := string(st.Executions()[0]); !strings.Contains(in, `"topic":"`+b.topic+`"`) || !strings.Contains(in, `"partition":`) {
		t.Errorf("input = %s", in)
	}
}

// No offset is committed while executions cannot be written; after the
// store recovers every record becomes one execution and offsets move.
func TestKafkaCommitsOnlyAfterDurableWrite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	commits := b.commits()
	b.produce(t, 0, 30)
	st := queuetest.NewStarter()
	st.SetFail(errors.New("disk full"))
	m := queuetest.Run(t, queuekafka.Broker{}, b.cred(), st, queuetest.Binding("orders", "kafka", map[string]any{"topics": []any{b.topic}}))
	queuetest.Eventually(t, 20*time.Second, "an error in health", func() bool { return queuetest.Health(m).Status == queue.StatusError })
	time.Sleep(500 * time.Millisecond)
	if n := commits.Load(); n != 0 {
		t.Fatalf("%d offset commits while nothing was written", n)
	}
	st.SetFail(nil)
	queuetest.Eventually(t, 30*time.Second, "30 executions", func() bool { return st.Count() == 30 })
	queuetest.Eventually(t, 10*time.Second, "a commit", func() bool { return commits.Load() > 0 })
}

// ordered: the records of one partition start in offset order.
func TestKafkaOrderedKeepsPartitionOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.produce(t, 0, 200)
	st := queuetest.NewStarter()
	queuetest.Run(t, queuekafka.Broker{}, b.cred(), st, queuetest.Binding("orders", "kafka", map[string]any{"topics": []any{b.topic}, "ordered": true}))
	queuetest.Eventually(t, 30*time.Second, "200 executions", func() bool { return st.Count() == 200 })
	last := map[int]int64{}
	for _, raw := range st.Executions() {
		var in struct {
			Partition int   `json:"partition"`
			Offset    int64 `json:"offset"`
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			t.Fatal(err)
		}
		if prev, ok := last[in.Partition]; ok && in.Offset <= prev {
			t.Fatalf("partition %d: offset %d started after %d", in.Partition, in.Offset, prev)
		}
		last[in.Partition] = in.Offset
	}
}

// Fetches failing at the broker: health shows the error and the reconnect,
// and consumption resumes with nothing lost or repeated.
func TestKafkaReconnectsAfterBrokerErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.produce(t, 0, 100)
	st := queuetest.NewStarter()
	m := queuetest.Run(t, queuekafka.Broker{}, b.cred(), st, queuetest.Binding("orders", "kafka", map[string]any{"topics": []any{b.topic}}))
	queuetest.Eventually(t, 30*time.Second, "100 executions", func() bool { return st.Count() == 100 })
	var failing atomic.Bool
	failing.Store(true)
	b.c.ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		b.c.KeepControl()
		if failing.Load() {
			return nil, errors.New("broker restarting"), true // drops the connection
		}
		return nil, nil, false
	})
	b.produce(t, 100, 200)
	queuetest.Eventually(t, 30*time.Second, "a reconnect in health", func() bool { return queuetest.Health(m).Reconnects >= 1 })
	failing.Store(false)
	queuetest.Eventually(t, 30*time.Second, "200 executions", func() bool { return st.Count() == 200 })
	queuetest.Eventually(t, 10*time.Second, "connected again", func() bool { return queuetest.Health(m).Connected })
}

func TestKafkaPublish(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := queuekafka.NewPublisher()
	defer p.Close()
	out, err := p.Publish(context.Background(), b.cred(), queuetest.Dial(), queue.Publication{Target: map[string]any{"topic": b.topic}, Body: []byte(`{"n":1}`), ID: "k-1", Key: "order-1"})
	if err != nil {
		t.Fatal(err)
	}
	if out["topic"] != b.topic {
		t.Errorf("out = %v", out)
	}
	st := queuetest.NewStarter()
	queuetest.Run(t, queuekafka.Broker{}, b.cred(), st, queuetest.Binding("orders", "kafka", map[string]any{"topics": []any{b.topic}}))
	queuetest.Eventually(t, 20*time.Second, "1 execution", func() bool { return st.Count() == 1 })
	if in := string(st.Executions()[0]); !strings.Contains(in, `"message_id":"k-1"`) || !strings.Contains(in, `"key":"order-1"`) {
		t.Errorf("input = %s", in)
	}
}
