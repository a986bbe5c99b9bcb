// Package storetest is the one conformance suite every store.Store must
// pass. A store's own test calls Run with a function that opens a fresh,
// empty store for one test (a new SQLite file, a new PostgreSQL schema) and
// registers its cleanup:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { ... })
//	}
//
// Tests drive time through the explicit now arguments of Claim, Renew,
// RequestCancel and Prune; only dedupe-key expiry reads the store's clock,
// so those tests use expiry times far from the present.
package storetest
