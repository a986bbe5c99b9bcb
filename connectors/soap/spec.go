package soap

import "github.com/weftworks/weft/step"

// Type is the step type.
const Type = "soap.call"

// Bounds.
const (
	DefaultMaxResponseBytes = 8 << 20
	// MaxDepth bounds the nesting of the XML answer converted to JSON.
	MaxDepth = 128
)

// Spec declares soap.call.
func Spec() step.Spec {
	return step.Spec{
		Type:     Type,
		Title:    "SOAP call",
		Category: step.CategoryHTTP,
		Description: "POSTs a SOAP envelope to `endpoint`. `body` is the Body's content: an object turned into XML (keys are " +
			"element names, `@name` attributes, `#text` text; every value escaped, so expressions cannot inject markup) or XML text " +
			"written as is. `namespace` is put on the body's top elements. With `ws_security`, a WS-Security UsernameToken " +
			"from a basic credential goes into the Header (PasswordText or PasswordDigest). The answer is converted to JSON at " +
			"the XPath `select` (default: the Body's first element). A Fault fails the step with its faultcode and faultstring " +
			"(code `soap_fault`); 408, 429 and 5xx without a Fault are retried.",
		Auth: []string{"basic", "bearer", "api_key", "headers"},
		Fields: []step.Field{
			{Name: "endpoint", Type: step.String, Required: true, Example: "https://ws.example.com/StockQuote", Description: "Service URL."},
			{Name: "action", Type: step.String, Example: "http://example.com/GetQuote", Description: "SOAPAction (1.1 header; 1.2 `action` parameter of the content type)."},
			{Name: "version", Type: step.String, Enum: []string{"1.1", "1.2"}, Default: "1.1", Description: "SOAP version."},
			{Name: "body", Type: step.Any, Required: true, Example: map[string]any{"GetQuote": map[string]any{"symbol": "WEFT"}}, Description: "The Body's content: an object (escaped) or XML text."},
			{Name: "namespace", Type: step.String, Example: "http://example.com/stock", Description: "Default namespace of the body's top elements (object form)."},
			{Name: "header", Type: step.Any, Description: "Extra SOAP Header content, object or XML text."},
			{Name: "ws_security", Type: step.Object, Description: "WS-Security UsernameToken.", Fields: []step.Field{
				{Name: "credential", Type: step.String, Required: true, Description: "basic credential holding username and password."},
				{Name: "password_type", Type: step.String, Enum: []string{"PasswordText", "PasswordDigest"}, Default: "PasswordDigest", Description: "How the password is sent."},
			}},
			{Name: "select", Type: step.String, Example: "//*[local-name()='Price']", Description: "XPath of the nodes returned as JSON (default: the Body's first element)."},
			{Name: "headers", Type: step.Object, Description: "Extra HTTP headers."},
			{Name: "connection", Type: step.String, Description: "Connection whose HTTP authentication, client and limits the call uses."},
			{Name: "timeout", Type: step.Duration, Default: "30s", Description: "Time limit of the request."},
			{Name: "max_response_bytes", Type: step.Integer, Default: DefaultMaxResponseBytes, Description: "Largest answer read."},
		},
		Output: "`{result, status, xml}`: `result` is the selection as JSON (one node: an object or text; several: a list); `xml` the answer's Body as text when it is under 64 KB.",
		Example: `- id: quote
  uses: soap.call
  with:
    endpoint: https://ws.example.com/StockQuote
    action: http://example.com/GetQuote
    namespace: http://example.com/stock
    body: { GetQuote: { symbol: "{{ trigger.body.symbol }}" } }
    ws_security: { credential: stock-service }
    select: "//*[local-name()='Price']"
`,
	}
}

// Register adds soap.call to reg.
func Register(reg *step.Registry) error {
	s := Spec()
	return reg.Add(s, caller{spec: s})
}
