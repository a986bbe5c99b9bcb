package webhook_test

import "github.com/weftworks/weft/store"

func storeFilter() store.ExecutionFilter { return store.ExecutionFilter{} }
