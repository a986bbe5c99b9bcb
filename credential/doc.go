// Package credential is Weft's vault: named credentials (connections to
// outside services) stored encrypted at rest, lent to steps through
// step.Connections (Vault implements it; other sources of credentials, like
// outbound subscription secrets, plug in with AddSource).
//
// A credential has a type (api_key, bearer, basic, oauth2_client_credentials,
// oauth2_code, jwt, mtls, webhook_secret, custom, none) whose fields come from
// one step.Spec per type (Types), so validation, the API catalog and the docs
// share one declaration. Field values are sealed with AES-256-GCM under a
// master key (Keyring) before they reach the store; a value may instead be a
// reference resolved at use time: "env:NAME" reads an environment variable and
// "vault:secret/data/crm#token" a HashiCorp Vault KV v2 secret.
//
// Settings that are not secret ride along in the clear: the workflows
// allowed to use the credential, the hosts it may be sent to, rate limits
// (ratelimit) and retry defaults. Vault.Authorize checks both allowlists
// before adding anything to a request.
//
// Every value the vault hands out (and every token derived from one) is
// registered with a Redactor, which the engine and logger use to replace it
// with [redacted] wherever it would be recorded.
package credential
