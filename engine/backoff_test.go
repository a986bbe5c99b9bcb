package engine

import (
	"testing"
	"time"

	"github.com/weftworks/weft"
)

func TestPolicyForPrefersTheStepThenTheConnection(t *testing.T) {
	t.Parallel()
	conn := &weft.RetryPolicy{MaxAttempts: 2, Initial: weft.Duration(10 * time.Millisecond), Max: weft.Duration(time.Second)}
	own := &weft.RetryPolicy{MaxAttempts: 4}
	for _, tc := range []struct {
		name string
		step *weft.RetryPolicy
		conn *weft.RetryPolicy
		want weft.RetryPolicy
	}{
		{"default", nil, nil, weft.DefaultRetry()},
		{"connection", nil, conn, weft.RetryPolicy{MaxAttempts: 2, Backoff: weft.BackoffExponential, Initial: conn.Initial, Max: conn.Max}},
		{"step wins", own, conn, weft.RetryPolicy{MaxAttempts: 4, Backoff: weft.BackoffExponential}},
		{"connection without attempts", nil, &weft.RetryPolicy{}, weft.DefaultRetry()},
	} {
		if got := policyFor(&weft.Step{Retry: tc.step}, tc.conn); got != tc.want {
			t.Errorf("%s: policyFor = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
