package policy_test

import (
	"errors"
	"fmt"

	"github.com/weftworks/weft/trigger/webhook/policy"
)

func ExampleParse() {
	p, err := policy.Parse(map[string]any{
		"verify":     map[string]any{"scheme": "stripe", "credential": "stripe-webhook"},
		"dedupe":     "auto",
		"rate_limit": map[string]any{"per_second": 50, "burst": 100},
	})
	fmt.Println(p.Verify[0].Scheme, p.Dedupe.Mode, p.Rate.PerSecond, p.Rate.Burst, err)

	_, err = policy.Parse(map[string]any{
		"allow_ips": []any{"203.0.113.0/24", "203.0.113.0/33"},
	})
	var errs policy.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Println(e.Path, e)
		}
	}
	// Output:
	// stripe auto 50 100 <nil>
	// [allow_ips 1] allow_ips[1]: "203.0.113.0/33" is not a CIDR; write it like 203.0.113.0/24 or 2001:db8::/32
}
