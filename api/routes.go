package api

import (
	"net/http"

	"github.com/weftworks/weft/identity"
)

// Need is what a route requires: a permission (see package identity), and
// for routes about one workflow the path value naming it, so a token
// scoped to that workflow ("executions:run:billing") passes there only.
type Need struct {
	Perm     string
	Workflow string
}

// Public reports whether the route is served without authentication.
func (n Need) Public() bool { return n.Perm == identity.Public }

var (
	public = Need{Perm: identity.Public}
	anyone = Need{Perm: identity.Authenticated}
)

func need(perm string) Need   { return Need{Perm: perm} }
func onName(perm string) Need { return Need{Perm: perm, Workflow: "name"} }

// route is one endpoint. The table is the single list of endpoints and of
// what each requires: New registers it behind the one authorize
// middleware, a test checks openapi.json against it, and another walks it
// with every role and scope.
type route struct {
	Method  string
	Path    string // a ServeMux path pattern
	Need    Need
	Handler http.Handler
}

func (s *server) routes() []route {
	h := func(f func(http.ResponseWriter, *http.Request)) http.Handler { return http.HandlerFunc(f) }
	const (
		wr, ww = identity.WorkflowsRead, identity.WorkflowsWrite
		er, ex = identity.ExecutionsRead, identity.ExecutionsRun
	)
	return []route{
		{"GET", "/healthz", public, h(s.healthz)},
		{"GET", "/readyz", public, h(s.readyz)},
		{"GET", "/metrics", public, s.metricsHandler()},
		{"GET", "/api/v1/openapi.json", public, h(s.openAPI)},

		{"GET", "/api/v1/workflows", need(wr), h(s.listWorkflows)},
		{"POST", "/api/v1/workflows", need(ww), h(s.createWorkflow)},
		{"GET", "/api/v1/workflows/{name}", onName(wr), h(s.getWorkflow)},
		{"PUT", "/api/v1/workflows/{name}", need(ww), h(s.putWorkflow)},
		{"DELETE", "/api/v1/workflows/{name}", need(ww), h(s.deleteWorkflow)},
		{"POST", "/api/v1/workflows/{name}/enable", need(ww), h(s.enableWorkflow)},
		{"POST", "/api/v1/workflows/{name}/disable", need(ww), h(s.disableWorkflow)},
		{"POST", "/api/v1/workflows/{name}/executions", onName(ex), h(s.startExecution)},
		{"POST", "/api/v1/workflows/{name}/steps/{step}/run", need(ww), h(s.runStep)},
		{"POST", "/api/v1/expressions/evaluate", need(ww), h(s.evaluateExpression)},

		{"GET", "/api/v1/executions", need(er), h(s.listExecutions)},
		{"POST", "/api/v1/executions/retry", need(ex), h(s.retryExecutions)},
		{"POST", "/api/v1/executions/cancel", need(ex), h(s.cancelExecutions)},
		{"GET", "/api/v1/executions/{id}", need(er), h(s.getExecution)},
		{"POST", "/api/v1/executions/{id}/cancel", need(ex), h(s.cancelExecution)},
		{"POST", "/api/v1/executions/{id}/retry", need(ex), h(s.retryExecution)},
		{"GET", "/api/v1/executions/{id}/events", need(er), h(s.executionEvents)},

		{"GET", "/api/v1/steps", need(wr), h(s.listSteps)},
		{"POST", "/api/v1/connectors/import", need(identity.CredentialsWrite), h(s.importConnector)},
		{"GET", "/api/v1/templates", need(wr), h(s.listTemplates)},
		{"GET", "/api/v1/apps", need(wr), h(s.listApps)},
		{"GET", "/api/v1/usage", need(er), h(s.getUsage)},
		{"GET", "/api/v1/stats", need(er), h(s.getStats)},

		{"GET", "/api/v1/webhooks/deliveries", need(er), h(s.listDeliveries)},
		{"POST", "/api/v1/webhooks/deliveries/{id}/replay", need(ex), h(s.replayDelivery)},
		{"GET", "/api/v1/webhooks/registrations", need(er), h(s.listRegistrations)},
		{"GET", "/api/v1/subscriptions", need(identity.SubscriptionsRW), h(s.listSubscriptions)},
		{"POST", "/api/v1/subscriptions", need(identity.SubscriptionsRW), h(s.createSubscription)},
		{"DELETE", "/api/v1/subscriptions/{id}", need(identity.SubscriptionsRW), h(s.deleteSubscription)},

		{"GET", "/api/v1/credentials", need(identity.CredentialsList), h(s.listCredentials)},
		{"GET", "/api/v1/credentials/types", need(wr), h(s.listCredentialTypes)},
		{"GET", "/api/v1/credentials/{name}", need(identity.CredentialsRead), h(s.getCredential)},
		{"PUT", "/api/v1/credentials/{name}", need(identity.CredentialsWrite), h(s.putCredential)},
		{"DELETE", "/api/v1/credentials/{name}", need(identity.CredentialsWrite), h(s.deleteCredential)},
		{"GET", "/api/v1/credentials/{name}/oauth/start", need(identity.CredentialsWrite), h(s.startOAuth)},
		{"POST", "/api/v1/credentials/{name}/test", need(identity.CredentialsWrite), h(s.testCredential)},
		{"GET", "/oauth/callback", public, h(s.oauthCallback)},
		{"GET", "/api/v1/connections", need(er), h(s.listConnections)},
		{"GET", "/api/v1/connections/{name}/mcp/tools", need(ww), h(s.listMCPTools)},

		{"POST", "/api/v1/events", need(ex), h(s.publishEvent)},
		{"GET", "/api/v1/approvals", need(er), h(s.listApprovals)},
		{"POST", "/api/v1/approvals/{execution}/{step}", need(ex), h(s.decideApproval)},
		{"POST", "/hooks/resume/{token}", public, h(s.resume)},
		{"GET", "/api/v1/triggers", need(er), h(s.listTriggers)},
		{"GET", "/api/v1/alerts", need(er), h(s.listAlerts)},
		{"PUT", "/api/v1/alerts/{name}", need(ww), h(s.putAlert)},
		{"DELETE", "/api/v1/alerts/{name}", need(ww), h(s.deleteAlert)},

		{"GET", "/api/v1/auth/providers", public, h(s.authProviders)},
		{"POST", "/api/v1/session", public, h(s.signIn)},
		{"GET", "/api/v1/session", anyone, h(s.getSession)},
		{"DELETE", "/api/v1/session", anyone, h(s.signOut)},
		{"GET", "/auth/oidc/login", public, h(s.oidcLogin)},
		{"GET", "/auth/oidc/callback", public, h(s.oidcCallback)},
		{"GET", "/api/v1/permissions", anyone, h(s.listPermissions)},

		{"GET", "/api/v1/users", need(identity.UsersRead), h(s.listUsers)},
		{"POST", "/api/v1/users", need(identity.UsersWrite), h(s.createUser)},
		{"PATCH", "/api/v1/users/{id}", need(identity.UsersWrite), h(s.updateUser)},
		{"DELETE", "/api/v1/users/{id}", need(identity.UsersWrite), h(s.deleteUser)},
		{"GET", "/api/v1/tokens", need(identity.TokensOwn), h(s.listTokens)},
		{"POST", "/api/v1/tokens", need(identity.TokensOwn), h(s.createToken)},
		{"DELETE", "/api/v1/tokens/{id}", need(identity.TokensOwn), h(s.revokeToken)},

		{"GET", "/api/v1/audit", need(identity.AuditRead), h(s.listAudit)},
		{"GET", "/api/v1/audit/export", need(identity.AuditRead), h(s.exportAudit)},
		{"GET", "/api/v1/audit/verify", need(identity.AuditRead), h(s.verifyAudit)},
	}
}
