package storepg_test

import (
	"testing"

	"github.com/weftworks/weft/store"
	"github.com/weftworks/weft/store/storepg"
	"github.com/weftworks/weft/store/storetest"
)

func TestIntegrationUsageConformance(t *testing.T) {
	t.Parallel()
	storetest.RunUsage(t, func(t *testing.T) store.Usage { return openSchema(t, storepg.Options{MaxConns: 4}) })
}
