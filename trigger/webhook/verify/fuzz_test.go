package verify

import (
	"bytes"
	"testing"
)

// The fuzz targets feed arbitrary header values to the parsers: they must
// never panic, and whatever they accept must be well-formed. The seeds run
// as ordinary tests; `go test -fuzz FuzzX ./trigger/webhook/verify` explores.

func FuzzStripeSignature(f *testing.F) {
	for _, s := range []string{
		"t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
		"t=1,v1=00", "t=,v1=", "v1=aa,t=1,t=2", ",,,", "t=1", "=", "t=1, v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseStripeSignature(s)
		if err != nil {
			return
		}
		if len(h.v1) == 0 || len(h.v1) > 16 {
			t.Fatalf("accepted %q with %d signatures", s, len(h.v1))
		}
		for _, sig := range h.v1 {
			if len(sig) != 32 {
				t.Fatalf("accepted a %d-byte signature", len(sig))
			}
		}
	})
}

func FuzzStandardSignature(f *testing.F) {
	for _, s := range []string{
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==",
		"v1,", ",", "v2,abc v1,====", "", "   ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sigs, err := parseStandardSignatures("standard-webhooks", s)
		if err != nil {
			return
		}
		if len(sigs) == 0 || len(sigs) > 16 {
			t.Fatalf("accepted %q with %d signatures", s, len(sigs))
		}
	})
}

func FuzzJWT(f *testing.F) {
	for _, s := range []string{
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
		"a.b.c", "..", "a.b", "a.b.c.d", "eyJhbGciOiJub25lIn0.e30.", "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOlsieCIsMV19.AA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseJWT(s)
		if err != nil {
			return
		}
		if !bytes.HasPrefix([]byte(s), p.signingInput) {
			t.Fatalf("signing input %q is not a prefix of %q", p.signingInput, s)
		}
		_ = p.claims.audiences()
	})
}
