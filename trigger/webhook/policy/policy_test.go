package policy_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/trigger/webhook/policy"
	"github.com/weftworks/weft/trigger/webhook/verifyspec"
)

func TestParse(t *testing.T) {
	t.Parallel()
	p, err := policy.Parse(map[string]any{
		"verify": []any{
			map[string]any{"scheme": "stripe", "credential": "stripe-webhook", "tolerance": "10m"},
			map[string]any{"scheme": "mtls", "ca": "/etc/ca.pem", "subjects": "partner.example"},
		},
		"dedupe":     map[string]any{"key": "{{ trigger.body.id }}", "window": "1d"},
		"allow_ips":  []any{"203.0.113.9/24", "::ffff:198.51.100.7"},
		"rate_limit": map[string]any{"per_minute": 120},
		"other":      "left alone",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []verifyspec.Config{
		{Scheme: "stripe", Credential: "stripe-webhook", Tolerance: 10 * time.Minute},
		{Scheme: "mtls", CA: "/etc/ca.pem", Subjects: []string{"partner.example"}},
	}
	if !reflect.DeepEqual(p.Verify, want) {
		t.Errorf("verify = %+v", p.Verify)
	}
	if p.Dedupe.Mode != policy.DedupeExpr || p.Dedupe.Expr == nil || p.Dedupe.Window != 24*time.Hour || !p.Dedupe.Enabled() {
		t.Errorf("dedupe = %+v", p.Dedupe)
	}
	wantIPs := []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("198.51.100.7/32")}
	if !reflect.DeepEqual(p.AllowIPs, wantIPs) {
		t.Errorf("allow_ips = %v", p.AllowIPs)
	}
	if p.Rate != (policy.Rate{PerSecond: 2, Burst: 2}) {
		t.Errorf("rate = %+v", p.Rate)
	}
	if p.Empty() {
		t.Error("Empty() = true")
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	for _, extra := range []map[string]any{nil, {"dedupe": "off"}, {"dedupe": false}, {"verify": nil}} {
		p, err := policy.Parse(extra)
		if err != nil {
			t.Fatalf("%v: %v", extra, err)
		}
		if !p.Empty() || p.Dedupe.Window != policy.DefaultDedupeWindow {
			t.Errorf("%v: %+v", extra, p)
		}
	}
	p, err := policy.Parse(map[string]any{"dedupe": "auto", "allow_ips": "10.0.0.1", "rate_limit": map[string]any{"per_second": 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Dedupe.Mode != policy.DedupeAuto || len(p.AllowIPs) != 1 || p.Rate != (policy.Rate{PerSecond: 0.5, Burst: 1}) {
		t.Errorf("%+v", p)
	}
}

// TestParseJSON: a policy decoded from a JSON document (numbers are
// float64) reads like one from YAML.
func TestParseJSON(t *testing.T) {
	t.Parallel()
	var extra map[string]any
	if err := json.Unmarshal([]byte(`{"rate_limit":{"per_second":50,"burst":100},"allow_ips":["2001:db8::/32"]}`), &extra); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(extra)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rate != (policy.Rate{PerSecond: 50, Burst: 100}) || len(p.AllowIPs) != 1 {
		t.Errorf("%+v", p)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		extra map[string]any
		// want is "path: message" of each problem, without the fix.
		want []string
	}{
		{"unknown scheme", map[string]any{"verify": map[string]any{"scheme": "strpe", "credential": "c"}},
			[]string{`verify.scheme: "strpe" is not a verify scheme`}},
		{"missing credential", map[string]any{"verify": []any{map[string]any{"scheme": "github"}}},
			[]string{"verify[0].credential: is required for scheme github"}},
		{"secret inline", map[string]any{"verify": map[string]any{"scheme": "github", "credential": "c", "secret": "x"}},
			[]string{`verify.secret: unknown key "secret"`}},
		{"hmac without header", map[string]any{"verify": map[string]any{"scheme": "hmac", "credential": "c"}},
			[]string{"verify.header: is required for scheme hmac"}},
		{"jwt without key", map[string]any{"verify": map[string]any{"scheme": "jwt"}},
			[]string{"verify: scheme jwt needs a key source"}},
		{"wrong types", map[string]any{"verify": map[string]any{"scheme": "hmac", "credential": "c", "header": 7}},
			[]string{"verify.header: must be a string, not a number (7)"}},
		{"bad tolerance", map[string]any{"verify": map[string]any{"scheme": "slack", "credential": "c", "tolerance": "-5m"}},
			[]string{`verify.tolerance: invalid duration "-5m": must not be negative`}},
		{"empty list", map[string]any{"verify": []any{}}, []string{"verify: the list is empty"}},
		{"bad cidr", map[string]any{"allow_ips": []any{"10.0.0.0/8", "10.0.0.0/40", 5}},
			[]string{`allow_ips[1]: "10.0.0.0/40" is not a CIDR`, "allow_ips[2]: must be a CIDR or an address, not a number (5)"}},
		{"bad rate", map[string]any{"rate_limit": map[string]any{"per_second": -1, "burst": 2.5}},
			[]string{"rate_limit.per_second: must be a number above 0, not a number (-1)", "rate_limit.burst: must be a whole number of at least 1, not a number (2.5)"}},
		{"no rate", map[string]any{"rate_limit": map[string]any{"burst": 5}}, []string{"rate_limit: needs per_second or per_minute"}},
		{"bad dedupe expression", map[string]any{"dedupe": "{{ trigger.body. }}"}, []string{"dedupe: unexpected end of expression"}},
		{"dedupe reads steps", map[string]any{"dedupe": "{{ steps.a.output }}"}, []string{"dedupe: reads steps.a, but dedupe runs before any step"}},
		{"bad window", map[string]any{"dedupe": map[string]any{"key": "auto", "window": "a week"}},
			[]string{`dedupe.window: invalid duration "a week": write it like 30s, 5m, 2h or 7d`}},
		{"dedupe true", map[string]any{"dedupe": true}, []string{"dedupe: must be auto, off or an expression, not a boolean (true)"}},
		// Each problem of preset and events is reported once.
		{"unknown preset", map[string]any{"preset": "strpe"}, []string{`preset: unknown preset "strpe"`}},
		{"unknown preset app", map[string]any{"preset": map[string]any{"app": "gitlab"}}, []string{`preset: unknown preset "gitlab"`}},
		{"preset wrong type", map[string]any{"preset": 7}, []string{"preset: must be an app name or {app, credential}"}},
		{"empty events", map[string]any{"preset": "stripe", "events": []any{}}, []string{"events: must be a non-empty list of event types"}},
		{"bad event", map[string]any{"preset": "stripe", "events": []any{"invoice.paid", 3}}, []string{"events[1]: must be an event type"}},
		{"events without preset", map[string]any{"events": []any{"push"}}, []string{"events: needs preset: the preset says where the event type is"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := policy.Parse(tc.extra)
			if err == nil {
				t.Fatalf("no error; policy %+v", p)
			}
			if !errors.Is(err, weft.ErrInvalid) {
				t.Error("the error does not wrap weft.ErrInvalid")
			}
			var errs policy.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("%T, want policy.Errors", err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, strings.TrimSuffix(e.PathString()+": "+e.Message, ": "))
				if !strings.HasPrefix(e.Error(), e.PathString()+": "+e.Message) {
					t.Errorf("Error() = %q", e.Error())
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestErrorPathAndCause(t *testing.T) {
	t.Parallel()
	_, err := policy.Parse(map[string]any{"verify": []any{
		map[string]any{"scheme": "stripe", "credential": "c"},
		map[string]any{"scheme": "svix", "credential": "c", "tolerence": "5m"},
	}})
	var e *policy.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v", err)
	}
	if !reflect.DeepEqual(e.Path, []any{"verify", 1, "tolerence"}) || !e.Key || e.PathString() != "verify[1].tolerence" {
		t.Errorf("path %v key %v", e.Path, e.Key)
	}
	if !contains(e.Choices, "tolerance") {
		t.Errorf("choices %v do not offer tolerance", e.Choices)
	}
}

func TestParsePrefix(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"203.0.113.7": "203.0.113.7/32", " 10.1.2.3/8 ": "10.0.0.0/8", "2001:db8::1": "2001:db8::1/128", "::ffff:10.0.0.1": "10.0.0.1/32",
	} {
		got, err := policy.ParsePrefix(in)
		if err != nil || got.String() != want {
			t.Errorf("%q: %v %v, want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "example.com", "10.0.0.256"} {
		if _, err := policy.ParsePrefix(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestJSONSchemaCoversKeys(t *testing.T) {
	t.Parallel()
	s := policy.JSONSchema()
	for _, k := range policy.Keys {
		if _, ok := s[k]; !ok {
			t.Errorf("no schema for %s", k)
		}
	}
	if len(s) != len(policy.Keys) {
		t.Errorf("schema has %d keys, Keys %d", len(s), len(policy.Keys))
	}
	if _, err := json.Marshal(s); err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
