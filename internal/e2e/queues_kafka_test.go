package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafkaTopic is an in-process Kafka (franz-go's kfake) that outlives the
// weft serve processes of a test: no Kafka broker runs on this machine.
type kafkaTopic struct {
	c        *kfake.Cluster
	topic    string
	cl       *kgo.Client
	produced int
}

func newKafkaTopic(t testing.TB) *kafkaTopic {
	topic := "weft-e2e-" + randomSuffix()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, topic))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close(); c.Close() })
	return &kafkaTopic{c: c, topic: topic, cl: cl}
}

func (k *kafkaTopic) credential() map[string]any {
	return map[string]any{"type": "kafka", "data": map[string]any{"brokers": strings.Join(k.c.ListenAddrs(), ",")}}
}

func (k *kafkaTopic) binding() string {
	return fmt.Sprintf("{ broker: kafka, connection: broker, topics: [%s], group: weft, prefetch: 64 }", k.topic)
}

func (k *kafkaTopic) publish(t testing.TB, from, to int) {
	t.Helper()
	var recs []*kgo.Record
	for i := from; i < to; i++ {
		recs = append(recs, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	if err := k.cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	k.produced += to - from
}

// pending is what the group has not committed past: offsets start at 0,
// so the committed offsets add up to the records consumed.
func (k *kafkaTopic) pending(t testing.TB) int {
	t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = "weft"
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic = k.topic
	rt.Partitions = []int32{0, 1, 2, 3}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), k.cl)
	if err != nil {
		t.Fatal(err)
	}
	committed := 0
	for _, rt := range resp.Topics {
		for _, p := range rt.Partitions {
			if p.Offset > 0 {
				committed += int(p.Offset)
			}
		}
	}
	return k.produced - committed
}

// TestQueueKafkaKill9DuringBurst: 5,000 records, weft serve killed
// mid-burst; offsets were committed only for records on disk.
func TestQueueKafkaKill9DuringBurst(t *testing.T) {
	t.Parallel()
	killDuringBurst(t, newKafkaTopic(t), 5000)
}

// TestQueueKafkaTwoProcessesPostgres: two members of one group on one
// database, one killed mid-burst.
func TestQueueKafkaTwoProcessesPostgres(t *testing.T) {
	t.Parallel()
	twoProcessesKillOne(t, newKafkaTopic(t), 3000)
}
