// Package stripe is the Stripe app connector's folder: app.yaml (the spec,
// embedded by package apps) and Fake, a local Stripe API for tests. The
// tests also run against stripe-mock, Stripe's own request validator, when
// WEFT_TEST_STRIPE_MOCK_URL names one.
package stripe
