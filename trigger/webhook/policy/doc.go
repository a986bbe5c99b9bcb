// Package policy reads the security and admission keys of on.webhook
// (verify, dedupe, allow_ips, rate_limit) into typed values, and checks them.
//
// It is pure: no network, no disk, no store, and it imports only the
// standard library, weft, expr and verifyspec (no verifier). That lets the workflow parser call
// it while decoding a file, so a bad policy is reported at save time as
// file:line:col like every other key, and lets the webhook handler take the
// already-parsed policy from the compiled workflow instead of reading maps on
// each request.
//
// Every problem is an *Error whose Path names the offending key from
// on.webhook down (verify[1].scheme, allow_ips[2], rate_limit.per_second),
// with what is wrong, how to fix it, and, where a value must be one of a
// few, the choices for a "did you mean".
package policy
