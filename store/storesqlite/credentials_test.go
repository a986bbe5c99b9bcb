package storesqlite_test

import (
	"testing"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storesqlite"
	"github.com/weftworks/weft/store/storetest"
)

func TestConnectionsConformance(t *testing.T) {
	t.Parallel()
	storetest.RunConnections(t, func(t *testing.T) store.Store { return openTemp(t, storesqlite.Options{}) })
}
