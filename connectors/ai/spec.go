package ai

import "github.com/weftworks/weft/step"

// Step type names.
const (
	TypeChat     = "ai.chat"
	TypeAgent    = "ai.agent"
	TypeEmbed    = "ai.embed"
	TypeClassify = "ai.classify"
	TypeExtract  = "ai.extract"
)

// modelFields are the fields every model-calling step shares.
func modelFields() []step.Field {
	return []step.Field{
		{Name: "provider", Type: step.String, Default: OpenAI, Enum: Providers,
			Description: "Who runs the model. `openai-compatible` covers Azure OpenAI, Groq, Mistral, OpenRouter, Ollama, vLLM and LM Studio; it needs `base_url`."},
		{Name: "model", Type: step.String, Required: true, Example: "gpt-4o-mini",
			Description: "Model name as the provider spells it (gpt-4o-mini, claude-sonnet-4-5, gemini-2.5-flash, llama3.1, …)."},
		{Name: "credential", Type: step.String, Example: "openai",
			Description: "Name of the credential holding the API key (field `api_key`; optional `base_url`, `organization`). Leave empty for servers without keys (Ollama)."},
		{Name: "base_url", Type: step.String, Example: "http://localhost:11434/v1",
			Description: "API base URL, for `openai-compatible` servers or a proxy. Default: the provider's public API (or the credential's `base_url`)."},
		{Name: "api_key", Type: step.String, Secret: true,
			Description: "API key given directly, e.g. `{{ env.GROQ_KEY }}`; prefer `credential`. Never recorded."},
		{Name: "fallback", Type: step.Array, Example: []any{map[string]any{"provider": "anthropic", "model": "claude-haiku-4-5", "credential": "anthropic"}},
			Items: &step.Field{Type: step.Object, Description: "One fallback model.", Fields: []step.Field{
				{Name: "provider", Type: step.String, Required: true, Enum: Providers, Description: "Provider of the fallback model."},
				{Name: "model", Type: step.String, Required: true, Description: "Fallback model."},
				{Name: "credential", Type: step.String, Description: "Credential of the fallback (default: none)."},
				{Name: "base_url", Type: step.String, Description: "Base URL of the fallback."},
				{Name: "api_key", Type: step.String, Secret: true, Description: "API key of the fallback, given directly."},
			}},
			Description: "Models tried in order when the call fails with a retryable error (429, 5xx, Anthropic 529 overloaded_error, timeouts, network errors). Each failed try is listed in the output's `fallbacks`."},
	}
}

// promptFields are the fields of steps that send a prompt.
func promptFields() []step.Field {
	return []step.Field{
		{Name: "system", Type: step.String, Example: "You triage support tickets.",
			Description: "System instructions; a `{{ }}` template like every input."},
		{Name: "prompt", Type: step.String, Example: "Summarise: {{ trigger.body.text }}",
			Description: "The user message; a `{{ }}` template. Use `prompt`, `prompt_file` or `messages`."},
		{Name: "prompt_file", Type: step.String, Example: "prompts/triage.md",
			Description: "File with the user message, relative to the workflow directory (`weft serve --workflows`). `{{ name }}` placeholders in it are filled from `vars`."},
		{Name: "vars", Type: step.Object, Example: map[string]any{"ticket": "{{ trigger.body.message }}"},
			Description: "Values for the `{{ name }}` placeholders of `prompt_file`."},
		{Name: "messages", Type: step.Array, Example: []any{map[string]any{"role": "user", "content": "Hi"}},
			Items: &step.Field{Type: step.Object, Description: "One message.", Fields: []step.Field{
				{Name: "role", Type: step.String, Required: true, Enum: []string{"system", "user", "assistant"}, Description: "Who speaks."},
				{Name: "content", Type: step.String, Required: true, Description: "What is said."},
				{Name: "images", Type: step.Array, Items: &step.Field{Type: step.String, Description: "An image URL or data: URL."}, Description: "Image URLs or data: URLs (base64) with a user message."},
			}},
			Description: "A whole conversation instead of `prompt`; `prompt` is appended as a last user message when both are set."},
		{Name: "images", Type: step.Array, Items: &step.Field{Type: step.String, Description: "An image URL or data: URL."}, Example: []any{"https://example.com/receipt.png"},
			Description: "Images sent with the prompt: https URLs or `data:image/png;base64,…` URLs (OpenAI, Anthropic, Gemini and vision models of compatible servers)."},
		{Name: "temperature", Type: step.Number, Example: 0,
			Description: "Sampling temperature. 0 makes answers (nearly) deterministic and, with `cache: auto`, cacheable."},
		{Name: "max_tokens", Type: step.Integer, Example: 500,
			Description: "Longest answer in tokens (Anthropic requires one: default 4096)."},
		{Name: "stop", Type: step.Array, Items: &step.Field{Type: step.String, Description: "A stop sequence."}, Description: "Stop sequences."},
		{Name: "seed", Type: step.Integer, Description: "Sampling seed (OpenAI, Gemini and most compatible servers)."},
		{Name: "cache", Type: step.String, Default: "auto", Enum: []string{"auto", "on", "off"},
			Description: "Reuse the answer of an identical earlier call (same provider, model, messages, tools, schema and parameters) for an hour. `auto` caches calls with `temperature: 0` only. A hit makes no call, costs nothing and says `cache_hit: true`."},
		{Name: "stream", Type: step.Boolean, Default: true,
			Description: "Stream the answer, publishing token deltas on the execution's event stream (`step.progress`, kind `delta`)."},
	}
}

const chatOutput = "`{text, json, finish_reason, usage: {input_tokens, output_tokens, cached_tokens}, cost_usd, model, provider, " +
	"latency_ms, cache_hit, calls, fallbacks}`. `json` is the parsed answer when `output_schema` is set (validated " +
	"against it), else null. `usage` and `cost_usd` add up every call the step made (a repair attempt included); " +
	"`cost_usd` comes from the price table and is 0 on a cache hit. `fallbacks` lists failed tries of other models."

func chatSpec() step.Spec {
	fields := append(modelFields(), promptFields()...)
	fields = append(fields, step.Field{Name: "output_schema", Type: step.Object,
		Example: map[string]any{"type": "object", "required": []any{"sentiment"}, "properties": map[string]any{
			"sentiment": map[string]any{"type": "string", "enum": []any{"positive", "neutral", "negative"}}}},
		Description: "JSON Schema of the answer. Weft uses the provider's structured output (OpenAI json_schema, Gemini responseJsonSchema, Anthropic forced tool; instructions plus JSON mode for compatible servers), validates the answer, asks once for a repair if it does not match, then fails with the schema error and the raw text."})
	return step.Spec{
		Type: TypeChat, Title: "AI chat", Category: step.CategoryAI,
		Description: "Asks a model (OpenAI, Anthropic, Gemini or any OpenAI-compatible server) and returns its answer, " +
			"optionally as JSON validated against `output_schema` so later steps can branch on its fields. " +
			"Calls are cached, fall back to other models on retryable errors, respect budgets and record " +
			"tokens and cost. Retryable errors of the last model are retried under the step's retry policy.",
		Fields: fields, Output: chatOutput, Auth: []string{"api_key"},
		Example: `- id: analyse
  uses: ai.chat
  with:
    provider: openai
    model: gpt-4o-mini
    credential: openai
    temperature: 0
    system: You triage support tickets.
    prompt: "{{ trigger.body.message }}"
    output_schema:
      type: object
      required: [sentiment, category, summary]
      properties:
        sentiment: { type: string, enum: [positive, neutral, negative] }
        category: { type: string, enum: [billing, bug, question, other] }
        summary: { type: string }
    fallback:
      - { provider: anthropic, model: claude-haiku-4-5, credential: anthropic }
`,
	}
}

func classifySpec() step.Spec {
	fields := append(modelFields(),
		step.Field{Name: "text", Type: step.String, Required: true, Example: "{{ trigger.body.message }}", Description: "Text to classify."},
		step.Field{Name: "labels", Type: step.Array, Required: true, Items: &step.Field{Type: step.String, Description: "One label to choose."}, Example: []any{"billing", "bug", "question"},
			Description: "The labels to choose from."},
		step.Field{Name: "instructions", Type: step.String, Description: "Extra guidance for the choice (what each label means)."},
		step.Field{Name: "temperature", Type: step.Number, Default: 0, Description: "Sampling temperature."},
		step.Field{Name: "cache", Type: step.String, Default: "auto", Enum: []string{"auto", "on", "off"}, Description: "As for ai.chat."},
	)
	return step.Spec{
		Type: TypeClassify, Title: "AI classify", Category: step.CategoryAI,
		Description: "Puts a text into exactly one of the given labels, with the model's confidence. Built on ai.chat's structured output.",
		Fields:      fields, Auth: []string{"api_key"},
		Output: "`{label, confidence, usage, cost_usd, model, provider, cache_hit, fallbacks}`: `label` is one of `labels`; `confidence` is between 0 and 1.",
		Example: `- id: route
  uses: ai.classify
  with:
    model: gpt-4o-mini
    credential: openai
    text: "{{ trigger.body.message }}"
    labels: [billing, bug, question, other]
`,
	}
}

func extractSpec() step.Spec {
	fields := append(modelFields(),
		step.Field{Name: "text", Type: step.String, Required: true, Example: "{{ trigger.body.email }}", Description: "Text to extract from."},
		step.Field{Name: "schema", Type: step.Object, Required: true,
			Example:     map[string]any{"type": "object", "properties": map[string]any{"invoice_number": map[string]any{"type": "string"}, "total": map[string]any{"type": "number"}}},
			Description: "JSON Schema of the fields to extract."},
		step.Field{Name: "instructions", Type: step.String, Description: "Extra guidance (formats, what to do with missing fields)."},
		step.Field{Name: "images", Type: step.Array, Items: &step.Field{Type: step.String, Description: "An image URL or data: URL."}, Description: "Images to extract from (URLs or data: URLs)."},
		step.Field{Name: "temperature", Type: step.Number, Default: 0, Description: "Sampling temperature."},
		step.Field{Name: "cache", Type: step.String, Default: "auto", Enum: []string{"auto", "on", "off"}, Description: "As for ai.chat."},
	)
	return step.Spec{
		Type: TypeExtract, Title: "AI extract", Category: step.CategoryAI,
		Description: "Extracts the fields described by a JSON Schema from a text (or images). Built on ai.chat's structured output: validated, repaired once, else a clear error.",
		Fields:      fields, Auth: []string{"api_key"},
		Output: "`{json, usage, cost_usd, model, provider, cache_hit, fallbacks}`: `json` holds the extracted fields, valid against `schema`.",
		Example: `- id: invoice
  uses: ai.extract
  with:
    model: gemini-2.5-flash
    provider: gemini
    credential: gemini
    text: "{{ trigger.body.email }}"
    schema:
      type: object
      required: [invoice_number, total]
      properties:
        invoice_number: { type: string }
        total: { type: number }
`,
	}
}

func embedSpec() step.Spec {
	fields := append(modelFields(),
		step.Field{Name: "input", Type: step.Any, Required: true, Example: "{{ trigger.body.text }}", Description: "A string or a list of strings."},
		step.Field{Name: "dimensions", Type: step.Integer, Description: "Vector size, where the model supports shortening (OpenAI text-embedding-3, Gemini)."},
	)
	return step.Spec{
		Type: TypeEmbed, Title: "AI embed", Category: step.CategoryAI,
		Description: "Computes embedding vectors (OpenAI, Gemini and OpenAI-compatible servers; Anthropic has no embeddings API).",
		Fields:      fields, Auth: []string{"api_key"},
		Output: "`{embedding, embeddings, usage, cost_usd, model, provider}`: `embedding` is the vector of a string input; `embeddings` lists one vector per input.",
		Example: `- id: vectors
  uses: ai.embed
  with:
    model: text-embedding-3-small
    credential: openai
    input: ["{{ trigger.body.title }}", "{{ trigger.body.text }}"]
`,
	}
}

func agentSpec() step.Spec {
	fields := append(modelFields(), promptFields()...)
	fields = append(fields,
		step.Field{Name: "tools", Type: step.Array, Required: true,
			Items: &step.Field{Type: step.Object, Description: "One tool the model may call.", Fields: []step.Field{
				{Name: "name", Type: step.String, Description: "Tool name the model calls (letters, digits, _ and -); required unless `mcp` is given."},
				{Name: "description", Type: step.String, Description: "What the tool does and when to use it."},
				{Name: "parameters", Type: step.Object, Description: "JSON Schema of the arguments (default: an object without properties)."},
				{Name: "uses", Type: step.String, Description: "Step type that runs the tool: http.request, workflow.call, transform, …; required unless `mcp` is given."},
				{Name: "mcp", Type: step.String, Description: "Instead of one tool: every tool of the MCP server of this mcp connection, named `CONNECTION__TOOL` so tools of different servers never collide, each call run as mcp.call."},
				{Name: "include", Type: step.Array, Items: &step.Field{Type: step.String, Description: "A tool name as the server lists it."}, Description: "With `mcp`: only these tools of the server (their names as the server lists them)."},
				{Name: "exclude", Type: step.Array, Items: &step.Field{Type: step.String, Description: "A tool name as the server lists it."}, Description: "With `mcp`: every tool of the server but these."},
				{Name: "with", Type: step.Object, Description: "The tool step's inputs. Strings may hold `${args.NAME}` placeholders, filled from the model's arguments (a placeholder alone keeps the argument's type)."},
				{Name: "args_into", Type: step.String, Description: "Input that receives the whole argument object (default: `query` for GET http.request, `json` for other http.request, `input` for workflow.call; none when `with` uses placeholders)."},
			}},
			Description: "Tools the model may call, each run as a step of the given type."},
		step.Field{Name: "max_iterations", Type: step.Integer, Default: 10,
			Description: "Most model turns; the step fails with code max_iterations when the model still wants tools after that."},
		step.Field{Name: "output_schema", Type: step.Object, Description: "JSON Schema of the final answer, validated as in ai.chat."},
	)
	return step.Spec{
		Type: TypeAgent, Title: "AI agent", Category: step.CategoryAI,
		Description: "Lets a model use tools in a loop until it answers or reaches `max_iterations`. Every model turn " +
			"and every tool call is recorded on the step run as soon as it finishes (its `state` while running, " +
			"`turns` in the output), and the loop resumes from that record after a crash or restart, so a " +
			"finished turn is never sent to the model again and a finished tool call never runs again. A `workflow.call` " +
			"tool waits for its child without holding a worker, and the child's end wakes the agent at once.",
		Fields: fields, Auth: []string{"api_key"},
		// A workflow.call tool's child wakes the agent as it wakes a
		// workflow.call step; Run keeps every other wait's time itself.
		RunOnWake: true,
		Output: "`{text, json, finish_reason, turns, iterations, usage, cost_usd, model, provider}`: `turns` lists each model turn " +
			"(text, tool calls with arguments, results or errors, usage, cost).",
		Example: `- id: assistant
  uses: ai.agent
  with:
    model: gpt-4o-mini
    credential: openai
    system: You answer customer questions using the CRM.
    prompt: "{{ trigger.body.question }}"
    tools:
      - name: find_customer
        description: Look a customer up by email.
        parameters: { type: object, required: [email], properties: { email: { type: string } } }
        uses: http.request
        with: { url: "https://crm.example.com/customers", headers: { Authorization: "Bearer {{ env.CRM_TOKEN }}" } }
      - name: open_ticket
        description: Open a support ticket.
        parameters: { type: object, properties: { subject: { type: string } } }
        uses: workflow.call
        with: { workflow: open-ticket }
      - mcp: crm-mcp
        include: [search_accounts]
`,
	}
}
