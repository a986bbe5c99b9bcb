package queuepg_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/trigger/queue"
	"github.com/weftworks/weft/trigger/queue/queuepg"
	"github.com/weftworks/weft/trigger/queue/queuetest"
)

func setup(t *testing.T) (string, *pgx.Conn) {
	t.Helper()
	u := os.Getenv("WEFT_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("WEFT_TEST_POSTGRES_URL is not set (like postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return u, conn
}

// Two listeners (two processes) on one channel: one is elected, so each
// notification becomes exactly one execution.
func TestIntegrationPostgresListenOneLeader(t *testing.T) {
	t.Parallel()
	u, conn := setup(t)
	channel := "weft_test_" + queuetest.Suffix()
	cred := step.Credential{Type: "postgres", Data: map[string]string{"url": u}}
	st := queuetest.NewStarter()
	wf := queuetest.Binding("orders", "postgres", map[string]any{"channel": channel})
	a := queuetest.Run(t, queuepg.Broker{}, cred, st, wf)
	b := queuetest.Run(t, queuepg.Broker{}, cred, st, wf)
	queuetest.Eventually(t, 10*time.Second, "both connected", func() bool {
		return queuetest.Health(a).Status == queue.StatusOK && queuetest.Health(b).Status == queue.StatusOK
	})
	// Connected comes before the election and the LISTEN, and a
	// notification sent before the LISTEN is gone: wait until the leader's
	// session has run it (it is idle after it, waiting for notifications).
	listen := "LISTEN " + pgx.Identifier{channel}.Sanitize()
	queuetest.Eventually(t, 10*time.Second, "the leader listening", func() bool {
		var n int
		err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle' AND query = $1", listen).Scan(&n)
		return err == nil && n == 1
	})
	for i := range 50 {
		if _, err := conn.Exec(context.Background(), "SELECT pg_notify($1, $2)", channel, fmt.Sprintf(`{"n":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	queuetest.Eventually(t, 10*time.Second, "50 executions", func() bool { return st.Count() == 50 })
	time.Sleep(300 * time.Millisecond)
	if st.Count() != 50 {
		t.Errorf("executions = %d, want 50 (one listener)", st.Count())
	}
	if ha, hb := queuetest.Health(a), queuetest.Health(b); ha.Messages["started"]+hb.Messages["started"] != 50 || (ha.Messages["started"] != 0 && hb.Messages["started"] != 0) {
		t.Errorf("started: %v and %v, want all 50 on one process", ha.Messages, hb.Messages)
	}
}
