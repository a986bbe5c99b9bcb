package core_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

func TestTransform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		with map[string]any
		want any
	}{
		{"values pass through", map[string]any{"id": "o_1", "n": 3, "tags": []any{"a"}}, map[string]any{"id": "o_1", "n": float64(3), "tags": []any{"a"}}},
		{"empty with", nil, map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := steptest.NewRequest(tt.with)
			res, err := steptest.Run(t, newRegistry(t), "transform", req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Output, tt.want) {
				t.Fatalf("output = %#v, want %#v", res.Output, tt.want)
			}
		})
	}
}

func TestRespond(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		with     map[string]any
		want     any
		wantErr  string // substring; "" means success
		leakFree string // must not appear in the error
	}{
		{
			name: "defaults",
			with: map[string]any{},
			want: map[string]any{"status": float64(200), "headers": map[string]any{}, "body": nil},
		},
		{
			name: "status headers body",
			with: map[string]any{"status": float64(201), "headers": map[string]any{"content-type": "application/json", "x-count": 2}, "body": map[string]any{"ok": true}},
			want: map[string]any{"status": float64(201), "headers": map[string]any{"Content-Type": "application/json", "X-Count": "2"}, "body": map[string]any{"ok": true}},
		},
		{name: "status as string", with: map[string]any{"status": "404"}, want: map[string]any{"status": float64(404), "headers": map[string]any{}, "body": nil}},
		{name: "status too low", with: map[string]any{"status": 99}, wantErr: "100 to 599"},
		{name: "status too high", with: map[string]any{"status": 600}, wantErr: "100 to 599"},
		{name: "fractional status", with: map[string]any{"status": 200.5}, wantErr: "must be an integer"},
		{name: "headers not an object", with: map[string]any{"headers": "x"}, wantErr: "must be an object"},
		{name: "bad header name", with: map[string]any{"headers": map[string]any{"bad name": "x"}}, wantErr: "not a valid header name"},
		{name: "header injection", with: map[string]any{"headers": map[string]any{"X-Token": "s3cret\r\nSet-Cookie: a=b"}}, wantErr: "line break", leakFree: "s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := steptest.Run(t, newRegistry(t), "respond", steptest.NewRequest(tt.with))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if codeOf(err) != "validation" {
					t.Errorf("code = %q, want validation", codeOf(err))
				}
				if ok, _ := step.IsRetryable(err); ok {
					t.Errorf("validation error is retryable")
				}
				if tt.leakFree != "" && strings.Contains(err.Error(), tt.leakFree) {
					t.Errorf("error %q leaks %q", err, tt.leakFree)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Output, tt.want) {
				t.Fatalf("output = %#v, want %#v", res.Output, tt.want)
			}
		})
	}
}

func TestFail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		with     map[string]any
		wantCode string
		wantMsg  string
	}{
		{"default code", map[string]any{"message": "order has no items"}, "failed", "order has no items"},
		{"own code", map[string]any{"message": "nope", "code": "invalid_order"}, "invalid_order", "nope"},
		{"missing message", map[string]any{}, "validation", `"message": is required`},
		{"blank message", map[string]any{"message": "  "}, "validation", "must not be empty"},
		{"bad code", map[string]any{"message": "x", "code": "Bad Code"}, "validation", `"code"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := steptest.Run(t, newRegistry(t), "fail", steptest.NewRequest(tt.with))
			if err == nil {
				t.Fatal("fail step succeeded")
			}
			if got := codeOf(err); got != tt.wantCode {
				t.Errorf("code = %q, want %q", got, tt.wantCode)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", err, tt.wantMsg)
			}
			if ok, _ := step.IsRetryable(err); ok {
				t.Errorf("fail's error is retryable")
			}
			if info := step.ErrorInfo(err); info.Code != tt.wantCode {
				t.Errorf("ErrorInfo.Code = %q, want %q", info.Code, tt.wantCode)
			}
		})
	}
}
