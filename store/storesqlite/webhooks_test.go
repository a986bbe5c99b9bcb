package storesqlite_test

import (
	"testing"

	"github.com/weftworks/weft/store/storesqlite"
	"github.com/weftworks/weft/store/storetest"
)

func TestWebhooksConformance(t *testing.T) {
	t.Parallel()
	storetest.RunWebhooks(t, func(t *testing.T) storetest.WebhookStore { return openTemp(t, storesqlite.Options{}) })
}
