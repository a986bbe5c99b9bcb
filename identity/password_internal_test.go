package identity

import (
	"strings"
	"testing"
)

// The dummy hash must cost a sign-in exactly what a real hash costs: same
// parameters as HashPassword writes, and well-formed, so that CheckPassword
// runs argon2id on it instead of refusing it early.
func TestDummyHashCostsWhatARealHashCosts(t *testing.T) {
	t.Parallel()
	real, err := HashPassword("a real password of a user")
	if err != nil {
		t.Fatal(err)
	}
	params := func(h string) string { return strings.Join(strings.Split(h, "$")[:4], "$") }
	if params(dummyHash) != params(real) {
		t.Fatalf("dummy hash parameters %q differ from HashPassword's %q: regenerate dummyHash", params(dummyHash), params(real))
	}
	if !CheckPassword(dummyHash, "not-a-real-password-000") {
		t.Fatal("dummy hash does not verify its own password: it is malformed and a sign-in would skip hashing")
	}
}
