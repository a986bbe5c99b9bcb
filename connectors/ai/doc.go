// Package ai holds Weft's AI steps (ai.chat, ai.agent, ai.embed, ai.classify,
// ai.extract) and the machinery they share with the OpenAI-compatible gateway
// (package gateway): one Provider interface with plain-HTTP implementations
// for OpenAI (and every OpenAI-compatible server), Anthropic and Gemini;
// prices and cost; a response cache; fallback chains; budgets; usage records.
//
// A Service holds that machinery. The composition root builds one
// (NewService) and registers the steps with Service.Register; Register
// alone uses a Service with defaults (built-in prices, an in-memory cache,
// usage kept in memory). Read docs/ai.md for the user's view and
// docs/adr/0007-ai-providers-over-plain-http.md for why there are no SDKs.
package ai
