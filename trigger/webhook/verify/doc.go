// Package verify checks that a webhook request comes from who it claims:
// HMAC signatures in the providers' formats (generic hmac, stripe, github,
// slack, standard-webhooks, svix, shopify), basic and bearer credentials,
// JWTs (HS256, RS256, ES256 with a secret, a PEM key or a JWKS URL) and
// client certificates (mtls).
//
// Every comparison of a secret or a MAC is constant-time. Schemes that sign a
// timestamp reject it outside a tolerance (default 5 minutes) in both
// directions, which bounds replay. Several secrets may be active at once
// (rotation): a request passes if any of them verifies it, and the Result
// names the one that did. Failures are *Error values with a stable Reason
// for the delivery log; their text never holds a secret or an expected MAC.
//
// The package knows nothing of HTTP handlers or stores: the webhook trigger
// hands it the raw body, the headers and the TLS state.
package verify
