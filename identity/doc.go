// Package identity is who may do what in Weft: users (local accounts with
// argon2id password hashes, or OIDC sign-in with IdP groups mapped to
// roles), service accounts, API tokens with scopes, console sessions, and
// the permission vocabulary roles and scopes are made of.
//
// A permission is a string such as "workflows:write". A role grants a fixed
// set of permissions (Roles). A token carries scopes, which are permissions,
// optionally narrowed to one workflow ("executions:run:billing",
// "mcp:call:support-bot"); what a token may do is what its scopes allow AND
// what its owner's role allows today, so demoting a user demotes their
// tokens at once. The API declares the permission of every route and checks
// it in one place (api.Allowed answers the same question for other code).
package identity
