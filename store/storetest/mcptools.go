package storetest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/store"
)

func mcpToolTests() map[string]func(t *testing.T, s store.Store) {
	return map[string]func(t *testing.T, s store.Store){
		"PutGetReplaceDelete": func(t *testing.T, s store.Store) {
			ctx := ctxFor(t)
			if _, err := s.GetMCPTools(ctx, "everything"); !errors.Is(err, weft.ErrNotFound) {
				t.Fatalf("get before any put = %v, want ErrNotFound", err)
			}
			first := `[{"name":"echo","input_schema":{"type":"object"}}]`
			if err := s.PutMCPTools(ctx, store.MCPToolList{Connection: "everything", Tools: json.RawMessage(first), ListedAt: at(0)}); err != nil {
				t.Fatal(err)
			}
			second := `[{"name":"add"},{"name":"echo"}]`
			if err := s.PutMCPTools(ctx, store.MCPToolList{Connection: "everything", Tools: json.RawMessage(second), ListedAt: at(1e9)}); err != nil {
				t.Fatal(err)
			}
			if err := s.PutMCPTools(ctx, store.MCPToolList{Connection: "other", Tools: json.RawMessage(first), ListedAt: at(0)}); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetMCPTools(ctx, "everything")
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Tools) != second || !got.ListedAt.Equal(at(1e9).Truncate(1000)) || got.Connection != "everything" {
				t.Errorf("get after replace = %s at %v, want %s at %v", got.Tools, got.ListedAt, second, at(1e9).Truncate(1000))
			}
			if err := s.DeleteMCPTools(ctx, "everything"); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteMCPTools(ctx, "everything"); err != nil {
				t.Errorf("deleting an absent list = %v, want nil", err)
			}
			if _, err := s.GetMCPTools(ctx, "everything"); !errors.Is(err, weft.ErrNotFound) {
				t.Errorf("get after delete = %v, want ErrNotFound", err)
			}
			if o, err := s.GetMCPTools(ctx, "other"); err != nil || string(o.Tools) != first {
				t.Errorf("the other connection's list = %s %v, want it untouched", o.Tools, err)
			}
		},
	}
}
