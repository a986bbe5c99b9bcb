// Package aifake is a fake of the OpenAI, Anthropic and Gemini HTTP APIs for
// tests. One Server answers all three wire formats at their real paths:
//
//	POST /v1/chat/completions, POST /v1/embeddings           (OpenAI and compatibles)
//	POST /v1/messages                                        (Anthropic)
//	POST /v1beta/models/{model}:generateContent,
//	     :streamGenerateContent?alt=sse, :embedContent,
//	     :batchEmbedContents                                 (Gemini)
//
// including streaming (OpenAI `data:` chunks ending in `[DONE]`, Anthropic
// message_start/content_block_delta/message_stop events, Gemini SSE chunks),
// tool calls, usage blocks and the providers' error bodies (400, 401, 429
// with Retry-After, 500, Anthropic 529 overloaded_error). The shapes follow
// the providers' API references. A test decides each answer with
// Server.Respond and reads what was asked with Server.Calls.
package aifake
