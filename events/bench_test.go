package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/weftworks/weft/events"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/store/storesqlite"
)

// BenchmarkPublishTake: publish an event on its own key, then the waiting
// step takes it (SQLite, synchronous=NORMAL): the store work of one
// correlated event end to end.
func BenchmarkPublishTake(b *testing.B) {
	ctx := context.Background()
	st, err := storesqlite.Open(ctx, filepath.Join(b.TempDir(), "weft.db"), storesqlite.Options{Synchronous: storesqlite.SyncNormal})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc, err := events.New(events.Config{Store: st, Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		b.Fatal(err)
	}
	payload := json.RawMessage(`{"order_id":"o","amount":42}`)
	b.ResetTimer()
	for i := range b.N {
		key := fmt.Sprintf("o%d", i)
		if _, err := svc.Publish(ctx, "paid", key, payload); err != nil {
			b.Fatal(err)
		}
		req := &step.Request{ExecutionID: "x", StepID: "w", IdempotencyKey: "x/w/" + key}
		if _, ok, err := svc.Take(ctx, req, "paid", key, nil); err != nil || !ok {
			b.Fatalf("take: %v %v", ok, err)
		}
	}
}
