// Package gateway serves an OpenAI-compatible AI API on the Weft server:
//
//	POST /v1/chat/completions   (stream: true answers as Server-Sent Events)
//	POST /v1/embeddings
//	GET  /v1/models
//
// Callers authenticate with a Weft API token (Authorization: Bearer). The
// `model` of a request picks a provider by the configured routes (by default
// claude-… goes to Anthropic, gemini-… to Gemini and everything else to
// OpenAI; "provider/model" names one explicitly), and the request and answer
// are translated to and from that provider's wire format. Every call goes
// through the same ai.Service as the AI steps, so it gets caching, fallback,
// budgets, usage records, cost and metrics. See docs/ai.md.
package gateway
