// Package outside holds the end-to-end tests of Weft's connections to the
// outside world: the credential vault, the SSRF-guarded client, connection
// rate limits and redaction, built by the production wiring (cli.Wire, the
// same function `weft serve` and `weft run` use), against local fake
// servers.
package outside
