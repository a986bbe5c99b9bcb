package storepg_test

import (
	"testing"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storepg"
	"github.com/weftworks/weft/store/storetest"
)

func TestIntegrationConnections(t *testing.T) {
	testURL(t)
	t.Parallel()
	storetest.RunConnections(t, func(t *testing.T) store.Store { return openSchema(t, storepg.Options{MaxConns: 8}) })
}
