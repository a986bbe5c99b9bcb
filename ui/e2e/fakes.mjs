// Small fakes of the services the ticket-triage example calls, on one
// loopback port, speaking their wire formats (the same shapes as the Go
// fakes in internal/fakes and internal/fakes/aifake):
//   /crm/customers/{id} (GET), /crm/tickets/{id} (PATCH)      a CRM with a bearer token
//   /openai/v1/chat/completions (POST)                         OpenAI chat completions
//   /slack/api/chat.postMessage (POST)                         Slack Web API
//   /agent/v1/chat/completions (POST)                          OpenAI chat completions with tool calls:
//       the n-th answer (n = tool results in the conversation) is agent.script[n],
//       {tool, args} for a tool call or {text} for the final answer
// The model's answer waits for releaseModel(), so a test can watch a run in flight.
import { createServer } from "node:http";

export const CRM_TOKEN = "crm-e2e-token";
export const SLACK_TOKEN = "xoxb-e2e-token";

export async function startFakes(port = 0) {
  const aiKey = "sk-e2e-fake";
  const summary = "The customer was charged twice and is upset.";
  const tickets = new Map();
  const slack = [];
  const crmAuth = [];
  const customers = { c42: { id: "c42", name: "Ada Lovelace", plan: "pro", email: "ada@example.com" } };
  const agent = { script: [], calls: [] };
  let release;
  const released = new Promise((r) => (release = r));

  const json = (res, status, body) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = raw ? JSON.parse(raw) : {};
    const auth = req.headers.authorization ?? "";
    const path = new URL(req.url, "http://x").pathname;

    if (path.startsWith("/crm/")) {
      crmAuth.push(auth);
      if (auth !== `Bearer ${CRM_TOKEN}`) return json(res, 401, { error: "invalid token" });
      const m = path.match(/^\/crm\/(customers|tickets)\/([^/]+)$/);
      if (req.method === "GET" && m?.[1] === "customers") return customers[m[2]] ? json(res, 200, customers[m[2]]) : json(res, 404, { error: "no such customer" });
      if (req.method === "PATCH" && m?.[1] === "tickets") {
        const t = { ...(tickets.get(m[2]) ?? { id: m[2] }), ...body };
        tickets.set(m[2], t);
        return json(res, 200, t);
      }
      return json(res, 404, { error: "no route" });
    }

    if (path === "/openai/v1/chat/completions" && req.method === "POST") {
      if (auth !== `Bearer ${aiKey}`) return json(res, 401, { error: { message: "Incorrect API key provided.", type: "invalid_request_error", param: null, code: "invalid_api_key" } });
      const schema = body.response_format?.json_schema?.schema;
      if (body.response_format?.type !== "json_schema" || !schema?.properties?.sentiment)
        return json(res, 400, { error: { message: "expected response_format json_schema", type: "invalid_request_error", param: "response_format", code: null } });
      await released;
      const content = JSON.stringify({ sentiment: "negative", category: "billing", summary });
      const base = { id: "chatcmpl-e2e1", created: Math.floor(Date.now() / 1000), model: "gpt-4o-mini-2024-07-18", system_fingerprint: "fp_fake" };
      const usage = { prompt_tokens: 182, completion_tokens: 31, total_tokens: 213, prompt_tokens_details: { cached_tokens: 0 } };
      if (!body.stream)
        return json(res, 200, { ...base, object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: "stop" }], usage });
      // Server-sent chunks, as the API streams them: role, content in pieces, finish, then usage (stream_options.include_usage).
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      const chunk = (choices, extra = {}) => res.write(`data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices, ...extra })}\n\n`);
      chunk([{ index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }]);
      for (const piece of content.match(/.{1,24}/gs)) chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]);
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]);
      if (body.stream_options?.include_usage) chunk([], { usage });
      res.end("data: [DONE]\n\n");
      return;
    }

    if (path === "/agent/v1/chat/completions" && req.method === "POST") {
      agent.calls.push(body);
      const n = (body.messages ?? []).filter((m) => m.role === "tool").length;
      const step = agent.script[n];
      if (!step) return json(res, 400, { error: { message: `no scripted answer after ${n} tool results`, type: "invalid_request_error", param: null, code: null } });
      const message = step.tool
        ? { role: "assistant", content: null, refusal: null, tool_calls: [{ id: `call_${n + 1}`, type: "function", function: { name: step.tool, arguments: JSON.stringify(step.args ?? {}) } }] }
        : { role: "assistant", content: step.text, refusal: null };
      return json(res, 200, {
        id: `chatcmpl-agent${agent.calls.length}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: step.tool ? "tool_calls" : "stop" }],
        usage: { prompt_tokens: 120 + 40 * n, completion_tokens: 18, total_tokens: 138 + 40 * n },
      });
    }

    if (path === "/slack/api/chat.postMessage") {
      if (auth !== `Bearer ${SLACK_TOKEN}`) return json(res, 200, { ok: false, error: "invalid_auth" });
      if (!body.channel) return json(res, 200, { ok: false, error: "channel_not_found" });
      slack.push(body);
      return json(res, 200, { ok: true, channel: "C0E2E", ts: `${Date.now() / 1000}`, message: { type: "message", text: body.text, user: "U0BOT" } });
    }
    json(res, 404, { error: "unknown route" });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    aiKey,
    crmToken: CRM_TOKEN,
    summary,
    tickets,
    slack,
    crmAuth,
    agent,
    releaseModel: () => release(),
    close: () => {
      release();
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}
