package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func settingsTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"MissingIsNotFound": func(t *testing.T, s store.Store) {
			if _, err := s.GetSetting(ctxFor(t), "nope"); !errors.Is(err, weft.ErrNotFound) {
				t.Fatalf("GetSetting(missing) = %v, want ErrNotFound", err)
			}
		},
		"FirstWriterWins": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			const n = 8
			got := make([]string, n)
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					v, err := s.PutSettingIfAbsent(ctx, "admin_token_sha256", fmt.Sprintf("value-%d", i))
					if err != nil {
						t.Error(err)
					}
					got[i] = v
				}()
			}
			wg.Wait()
			for i := 1; i < n; i++ {
				if got[i] != got[0] {
					t.Fatalf("concurrent writers saw different values: %q vs %q", got[0], got[i])
				}
			}
			v, err := s.GetSetting(ctx, "admin_token_sha256")
			if err != nil || v != got[0] {
				t.Fatalf("GetSetting = %q, %v; want %q", v, err, got[0])
			}
		},
	}
}
