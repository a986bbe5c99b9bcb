// Package verifyspec is what an on.webhook.verify entry says — scheme,
// credential, header, algorithm, keys — and the checks that run when a
// workflow is saved. It runs no verification and imports no verifier, so
// the workflow parser, and through it the engine, can check a verify block
// without linking HMAC, JWT or JWKS code; package verify builds the
// verifiers from these values.
package verifyspec
