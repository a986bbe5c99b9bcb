//go:build race

package openapi_test

// raceEnabled: the race detector makes importing Stripe's and GitHub's
// full documents (single-goroutine decoding) minutes long instead of
// seconds, and has nothing to find there.
const raceEnabled = true
