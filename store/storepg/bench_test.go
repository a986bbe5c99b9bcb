package storepg_test

import (
	"testing"

	"github.com/weftworks/weft/store/storepg"
	"github.com/weftworks/weft/store/storetest"
)

// BenchmarkApply: 64 concurrent callers per GOMAXPROCS (-cpu 1 for the
// one-core figure), each alternating a create (execution + step run) with a
// fenced patch (status + step run). One op is one Apply.
func BenchmarkApply(b *testing.B) {
	storetest.BenchmarkApply(b, openSchema(b, storepg.Options{MaxConns: 32}))
}

// BenchmarkApplyInline: the bench workflow's one write per request (an
// execution created finished, with two step runs), 64 callers per
// GOMAXPROCS, on the default pool.
func BenchmarkApplyInline(b *testing.B) {
	storetest.BenchmarkApplyInline(b, openSchema(b, storepg.Options{}))
}

// BenchmarkCluster: the cost of the cluster-wide pieces (rate-limit take,
// open-circuit sync read, AI cache hit), 16 concurrent callers per
// GOMAXPROCS.
func BenchmarkCluster(b *testing.B) {
	storetest.BenchmarkCluster(b, openSchema(b, storepg.Options{MaxConns: 32}))
}
