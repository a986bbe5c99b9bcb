package storesqlite_test

import (
	"testing"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storesqlite"
	"github.com/weftworks/weft/store/storetest"
)

func TestUsageConformance(t *testing.T) {
	t.Parallel()
	storetest.RunUsage(t, func(t *testing.T) store.Usage { return openTemp(t, storesqlite.Options{}) })
}
