// The client side of the MCP conformance suite, played by Weft's MCP
// client. The suite starts a scenario's server and runs this with the
// server's URL as the last argument (and the scenario's name in
// MCP_CONFORMANCE_SCENARIO); this points the Weft connection "conformance"
// at it and runs the workflow conformance-<scenario>, whose mcp.call step
// calls the scenario's tool, through Weft's API (WEFT_URL, WEFT_TOKEN).
// It prints the finished execution as JSON.
const url = process.argv[process.argv.length - 1];
const { WEFT_URL: weft, WEFT_TOKEN: token, MCP_CONFORMANCE_SCENARIO: scenario } = process.env;

async function api(method, path, body) {
  const res = await fetch(weft + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

await api("PUT", "/api/v1/credentials/conformance", { type: "mcp", data: { url } });
const workflow = "conformance-" + scenario.replaceAll("_", "-");
const ex = await api("POST", `/api/v1/workflows/${workflow}/executions?wait=25s`, {});
console.log(JSON.stringify(ex));
