package api

import "net/http"

// route is one endpoint. The table is the single list of endpoints: New
// registers it and a test checks openapi.json against it.
type route struct {
	Method  string
	Path    string // a ServeMux path pattern
	Public  bool   // served without the API token
	Handler http.Handler
}

func (s *server) routes() []route {
	h := func(f func(http.ResponseWriter, *http.Request)) http.Handler { return http.HandlerFunc(f) }
	return []route{
		{"GET", "/healthz", true, h(s.healthz)},
		{"GET", "/readyz", true, h(s.readyz)},
		{"GET", "/metrics", true, s.metricsHandler()},
		{"GET", "/api/v1/openapi.json", true, h(s.openAPI)},

		{"GET", "/api/v1/workflows", false, h(s.listWorkflows)},
		{"POST", "/api/v1/workflows", false, h(s.createWorkflow)},
		{"GET", "/api/v1/workflows/{name}", false, h(s.getWorkflow)},
		{"PUT", "/api/v1/workflows/{name}", false, h(s.putWorkflow)},
		{"DELETE", "/api/v1/workflows/{name}", false, h(s.deleteWorkflow)},
		{"POST", "/api/v1/workflows/{name}/enable", false, h(s.enableWorkflow)},
		{"POST", "/api/v1/workflows/{name}/disable", false, h(s.disableWorkflow)},
		{"POST", "/api/v1/workflows/{name}/executions", false, h(s.startExecution)},
		{"POST", "/api/v1/workflows/{name}/steps/{step}/run", false, h(s.runStep)},
		{"POST", "/api/v1/expressions/evaluate", false, h(s.evaluateExpression)},

		{"GET", "/api/v1/executions", false, h(s.listExecutions)},
		{"POST", "/api/v1/executions/retry", false, h(s.retryExecutions)},
		{"POST", "/api/v1/executions/cancel", false, h(s.cancelExecutions)},
		{"GET", "/api/v1/executions/{id}", false, h(s.getExecution)},
		{"POST", "/api/v1/executions/{id}/cancel", false, h(s.cancelExecution)},
		{"POST", "/api/v1/executions/{id}/retry", false, h(s.retryExecution)},
		{"GET", "/api/v1/executions/{id}/events", false, h(s.executionEvents)},

		{"GET", "/api/v1/steps", false, h(s.listSteps)},
		{"GET", "/api/v1/templates", false, h(s.listTemplates)},
		{"GET", "/api/v1/apps", false, h(s.listApps)},
		{"GET", "/api/v1/usage", false, h(s.getUsage)},
		{"GET", "/api/v1/stats", false, h(s.getStats)},

		{"GET", "/api/v1/webhooks/deliveries", false, h(s.listDeliveries)},
		{"POST", "/api/v1/webhooks/deliveries/{id}/replay", false, h(s.replayDelivery)},
		{"GET", "/api/v1/webhooks/registrations", false, h(s.listRegistrations)},
		{"GET", "/api/v1/subscriptions", false, h(s.listSubscriptions)},
		{"POST", "/api/v1/subscriptions", false, h(s.createSubscription)},
		{"DELETE", "/api/v1/subscriptions/{id}", false, h(s.deleteSubscription)},

		{"GET", "/api/v1/credentials", false, h(s.listCredentials)},
		{"GET", "/api/v1/credentials/types", false, h(s.listCredentialTypes)},
		{"GET", "/api/v1/credentials/{name}", false, h(s.getCredential)},
		{"PUT", "/api/v1/credentials/{name}", false, h(s.putCredential)},
		{"DELETE", "/api/v1/credentials/{name}", false, h(s.deleteCredential)},
		{"GET", "/api/v1/credentials/{name}/oauth/start", false, h(s.startOAuth)},
		{"POST", "/api/v1/credentials/{name}/test", false, h(s.testCredential)},
		{"GET", "/oauth/callback", true, h(s.oauthCallback)},
		{"GET", "/api/v1/connections", false, h(s.listConnections)},

		{"POST", "/api/v1/events", false, h(s.publishEvent)},
		{"GET", "/api/v1/approvals", false, h(s.listApprovals)},
		{"POST", "/api/v1/approvals/{execution}/{step}", false, h(s.decideApproval)},
		{"POST", "/hooks/resume/{token}", true, h(s.resume)},
		{"GET", "/api/v1/triggers", false, h(s.listTriggers)},
	}
}
