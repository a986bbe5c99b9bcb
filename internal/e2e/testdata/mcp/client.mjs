// A Model Context Protocol client built on the official TypeScript SDK. It
// connects to a Streamable HTTP server with a bearer token, lists the tools,
// calls one, and reads the resource of the execution it started.
// Usage: node client.mjs URL TOKEN TOOL ARGS_JSON
// Prints one JSON object: {tools, result, bad, resource}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, token, tool, argsJSON] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: "weft-e2e", version: "1.0.0" });
await client.connect(transport);
const tools = await client.listTools();
const progress = [];
const result = await client.callTool({ name: tool, arguments: JSON.parse(argsJSON) }, undefined, {
  onprogress: (p) => progress.push(p),
  timeout: 60000,
});
const bad = await client.callTool({ name: tool, arguments: {} });
let resource = null;
const id = result.structuredContent?.execution_id;
if (id) {
  resource = await client.readResource({ uri: `weft://executions/${id}` });
}
console.log(JSON.stringify({ tools: tools.tools, result, bad, progress, resource }));
await client.close();
