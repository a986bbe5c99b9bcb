// The client side of the MCP conformance suite, played by Weft's MCP
// client. The suite starts a scenario's server and runs this with the
// server's URL as the last argument (and the scenario's name in
// MCP_CONFORMANCE_SCENARIO); this points the Weft connection "conformance"
// at it and runs the workflow conformance-<scenario>, whose mcp.call step
// calls the scenario's tool, through Weft's API (WEFT_URL, WEFT_TOKEN); an
// auth/* scenario first connects (OAuth) and runs conformance-auth.
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

let workflow = "conformance-" + scenario.replaceAll("_", "-");
if (scenario.startsWith("auth/")) {
  // An OAuth scenario: the connection discovers the scenario's
  // authorization server; Connect is pressed through the API and the
  // browser's part played here: the scenario's authorization endpoint
  // approves at once and redirects to Weft's callback, which is followed.
  const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || "{}");
  const data = { url, oauth: "true", redirect_url: weft + "/oauth/callback" };
  if (context.client_id) data.client_id = context.client_id;
  if (context.client_secret) data.client_secret = context.client_secret;
  await api("PUT", "/api/v1/credentials/conformance", { type: "mcp", data });
  const { authorize_url } = await api("GET", "/api/v1/credentials/conformance/oauth/start?format=json");
  const approve = await fetch(authorize_url, { redirect: "manual" });
  const callback = approve.headers.get("location");
  if (!callback) throw new Error(`the authorization endpoint answered ${approve.status} without a redirect`);
  const done = await fetch(callback);
  if (done.status !== 200) throw new Error(`Weft's callback answered ${done.status} ${await done.text()}`);
  workflow = "conformance-auth";
} else {
  await api("PUT", "/api/v1/credentials/conformance", { type: "mcp", data: { url } });
}
const ex = await api("POST", `/api/v1/workflows/${workflow}/executions?wait=25s`, {});
console.log(JSON.stringify(ex));
