package storesqlite_test

import (
	"testing"

	"github.com/weftworks/weft/store/storesqlite"
	"github.com/weftworks/weft/store/storetest"
)

// BenchmarkApply: 64 concurrent callers per GOMAXPROCS (-cpu 1 for the
// one-core figure), each alternating a create (execution + step run) with a
// fenced patch (status + step run). One op is one Apply.
func BenchmarkApply(b *testing.B) {
	b.Run("sync=FULL", func(b *testing.B) {
		storetest.BenchmarkApply(b, openTemp(b, storesqlite.Options{Synchronous: storesqlite.SyncFull}))
	})
	b.Run("sync=NORMAL", func(b *testing.B) {
		storetest.BenchmarkApply(b, openTemp(b, storesqlite.Options{Synchronous: storesqlite.SyncNormal}))
	})
}

// BenchmarkCluster: the cost of the cluster-wide pieces (rate-limit take,
// open-circuit sync read, AI cache hit), 16 concurrent callers per
// GOMAXPROCS.
func BenchmarkCluster(b *testing.B) {
	storetest.BenchmarkCluster(b, openTemp(b, storesqlite.Options{}))
}

func BenchmarkApplyInline(b *testing.B) {
	storetest.BenchmarkApplyInline(b, openTemp(b, storesqlite.Options{}))
}
