package apps

// TestOperation is the id of the operation every app has: its cheap
// test-connection call, registered as `<app>.test_connection` (the
// console's "Test connection" button and POST
// /api/v1/credentials/{name}/test {"app": …} run it).
const TestOperation = "test_connection"

// testOperation is the app's test call as an operation.
func (a *App) testOperation() *Operation {
	method := a.Test.Method
	if method == "" {
		method = "GET"
	}
	return &Operation{
		ID: TestOperation, Title: "Test the connection", Method: method, Path: a.Test.Path,
		Description: "Makes the app's cheapest authenticated call and fails when the connection does not work.",
		Idempotency: &Idempotency{Safe: true},
		OutputDoc:   "The provider's answer to the test call.",
	}
}
