// Package netguard keeps outbound HTTP from reaching places it must not:
// loopback, private, link-local, CGNAT, multicast, reserved and cloud
// metadata addresses, in IPv4 and IPv6 (IPv4-mapped, NAT64 and 6to4 forms
// included). This is the SSRF guard of every step that calls out.
//
// The check runs on the address actually connected to, after DNS
// resolution (Guard.DialContext resolves, checks every address, then dials
// the checked IP, and a net.Dialer Control hook checks the socket address
// once more). A DNS name that resolves to a private address, a record that
// changes between two lookups (rebinding) and a redirect to an internal URL
// are therefore refused like a literal internal IP. Host names spelled as
// legacy IPv4 numbers (2130706433, 0x7f.1, 0177.0.0.1) are read the way
// inet_aton would and checked as the address they mean.
//
// Operators open what they need with an allowlist of CIDRs (serve's
// --allow-private-net, or a connection's allow_private_net), and the client
// bounds redirects and response sizes.
package netguard
