package storesqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/weftworks/weft/store/storesqlite"
)

func TestQuickCheckPassesOnAHealthyDatabase(t *testing.T) {
	t.Parallel()
	st, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "weft.db"), storesqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.QuickCheck(context.Background()); err != nil {
		t.Fatalf("QuickCheck on a new database: %v", err)
	}
	st.Close()
	if err := st.QuickCheck(context.Background()); err == nil {
		t.Fatal("QuickCheck on a closed store reported no error")
	}
}
