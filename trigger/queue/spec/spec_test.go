package spec_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/weftworks/weft/trigger/queue/spec"
)

func TestParseAppliesDefaults(t *testing.T) {
	t.Parallel()
	got, errs := spec.Parse(map[string]any{"broker": "redis", "connection": "cache", "stream": "orders"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got.Broker != "redis" || got.Connection != "cache" || spec.Int(got.Options, "prefetch") != spec.DefaultPrefetch ||
		spec.String(got.Options, "on_refusal") != spec.RefuseDeadLetter || spec.Duration(got.Options, "claim_idle").String() != "1m0s" {
		t.Errorf("parsed = %+v", got)
	}
	if _, has := got.Options["connection"]; has {
		t.Error("connection is kept in Options too")
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, errs := spec.Parse(map[string]any{"broker": "kafka", "connection": "Bad Name", "topics": []any{}, "prefetch": 0, "ordred": true})
	var keys []string
	for _, e := range errs {
		keys = append(keys, e.Key)
	}
	want := "connection,ordred,prefetch,topics"
	sort.Strings(keys)
	got := strings.Join(keys, ",")
	if got != want {
		t.Errorf("problems at %s, want %s (%v)", got, want, errs)
	}
}

// Hostile sizes: prefetch and max_message_bytes have hard caps.
func TestParseCapsSizes(t *testing.T) {
	t.Parallel()
	_, errs := spec.Parse(map[string]any{"broker": "nats", "connection": "c", "stream": "S", "prefetch": 1 << 20, "max_message_bytes": 1 << 30})
	if len(errs) != 2 {
		t.Fatalf("errors = %v, want prefetch and max_message_bytes", errs)
	}
}

func TestJSONSchemaHasEveryBroker(t *testing.T) {
	t.Parallel()
	s := spec.JSONSchema()
	if n := len(s["allOf"].([]any)); n != len(spec.Brokers()) {
		t.Errorf("%d broker branches, want %d", n, len(spec.Brokers()))
	}
}
