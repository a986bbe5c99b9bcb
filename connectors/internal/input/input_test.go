package input_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/connectors/internal/input"
	"github.com/weftworks/weft/step"
)

func spec() *step.Spec {
	return &step.Spec{Type: "demo", Fields: []step.Field{
		{Name: "name", Type: step.String, Required: true},
		{Name: "mode", Type: step.String, Enum: []string{"a", "b"}, Default: "a"},
		{Name: "n", Type: step.Integer, Default: 3},
		{Name: "on", Type: step.Boolean, Default: true},
		{Name: "wait", Type: step.Duration, Default: "30s"},
		{Name: "tags", Type: step.Object},
	}}
}

func TestReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		with    map[string]any
		read    func(input.Reader) (any, error)
		want    any
		wantErr string
	}{
		{"string", map[string]any{"name": "x"}, func(r input.Reader) (any, error) { return r.String("name") }, "x", ""},
		{"number as string", map[string]any{"name": 1e6}, func(r input.Reader) (any, error) { return r.String("name") }, "1000000", ""},
		{"required missing", map[string]any{}, func(r input.Reader) (any, error) { return r.String("name") }, nil, `"name": is required`},
		{"required null", map[string]any{"name": nil}, func(r input.Reader) (any, error) { return r.String("name") }, nil, "is required"},
		{"string not scalar", map[string]any{"name": []any{}}, func(r input.Reader) (any, error) { return r.String("name") }, nil, "must be a string, got an array"},
		{"enum default", map[string]any{}, func(r input.Reader) (any, error) { return r.String("mode") }, "a", ""},
		{"enum outside", map[string]any{"mode": "c"}, func(r input.Reader) (any, error) { return r.String("mode") }, nil, "must be one of a, b"},
		{"int default", map[string]any{}, func(r input.Reader) (any, error) { return r.Int("n") }, 3, ""},
		{"int from float", map[string]any{"n": 7.0}, func(r input.Reader) (any, error) { return r.Int("n") }, 7, ""},
		{"int from json.Number", map[string]any{"n": json.Number("8")}, func(r input.Reader) (any, error) { return r.Int("n") }, 8, ""},
		{"int from string", map[string]any{"n": " 9 "}, func(r input.Reader) (any, error) { return r.Int("n") }, 9, ""},
		{"int fractional", map[string]any{"n": 7.5}, func(r input.Reader) (any, error) { return r.Int("n") }, nil, "must be an integer, got a number"},
		{"bool default", map[string]any{}, func(r input.Reader) (any, error) { return r.Bool("on") }, true, ""},
		{"bool from string", map[string]any{"on": "false"}, func(r input.Reader) (any, error) { return r.Bool("on") }, false, ""},
		{"bool bad", map[string]any{"on": 1}, func(r input.Reader) (any, error) { return r.Bool("on") }, nil, "true or false"},
		{"duration default", map[string]any{}, func(r input.Reader) (any, error) { return r.Duration("wait") }, 30 * time.Second, ""},
		{"duration days", map[string]any{"wait": "2d"}, func(r input.Reader) (any, error) { return r.Duration("wait") }, 48 * time.Hour, ""},
		{"duration seconds", map[string]any{"wait": 1.5}, func(r input.Reader) (any, error) { return r.Duration("wait") }, 1500 * time.Millisecond, ""},
		{"duration negative", map[string]any{"wait": -1}, func(r input.Reader) (any, error) { return r.Duration("wait") }, nil, "non-negative"},
		{"string map", map[string]any{"tags": map[string]any{"a": 1, "b": true, "c": nil}}, func(r input.Reader) (any, error) { return r.StringMap("tags") }, map[string]string{"a": "1", "b": "true"}, ""},
		{"string map absent", map[string]any{}, func(r input.Reader) (any, error) { return r.StringMap("tags") }, map[string]string(nil), ""},
		{"string map nested", map[string]any{"tags": map[string]any{"a": map[string]any{}}}, func(r input.Reader) (any, error) { return r.StringMap("tags") }, nil, `key "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.read(input.New(spec(), tt.with))
			if tt.wantErr != "" {
				var ce *step.CodedError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ce) || ce.Code != input.CodeValidation {
					t.Fatalf("err = %v, want a validation error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestErrorsHideValues(t *testing.T) {
	t.Parallel()
	_, err := input.New(spec(), map[string]any{"n": "sk_live_SECRET"}).Int("n")
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("err = %v, want an error that does not show the value", err)
	}
}
