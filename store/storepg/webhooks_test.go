package storepg_test

import (
	"testing"

	"github.com/weftworks/weft/store/storepg"
	"github.com/weftworks/weft/store/storetest"
)

func TestIntegrationWebhooksConformance(t *testing.T) {
	testURL(t)
	t.Parallel()
	storetest.RunWebhooks(t, func(t *testing.T) storetest.WebhookStore { return openSchema(t, storepg.Options{MaxConns: 4}) })
}
