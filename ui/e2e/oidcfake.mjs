// A small OpenID Connect provider for the SSO sign-in test, speaking the
// real wire format like credential/oauthtest in Go: discovery, a JWKS, an
// authorization endpoint that approves at once (the consent page) and a
// token endpoint that checks the client, the code and its PKCE verifier and
// answers with an RS256-signed ID token carrying email and groups.
import { createServer } from "node:http";
import { createHash, createSign, generateKeyPairSync, randomBytes } from "node:crypto";

const b64 = (buf) => Buffer.from(buf).toString("base64url");

export async function startIdP({ clientId, clientSecret, identity }) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = randomBytes(4).toString("hex");
  const codes = new Map();
  let issuer = "";
  const json = (res, status, body) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const idToken = (nonce) => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64(JSON.stringify({ alg: "RS256", typ: "JWT", kid }));
    const claims = { iss: issuer, aud: clientId, sub: identity.sub, iat: now, exp: now + 600, nonce, email: identity.email, email_verified: true, name: identity.name, groups: identity.groups };
    const payload = b64(JSON.stringify(claims));
    const sig = createSign("RSA-SHA256").update(`${header}.${payload}`).sign(privateKey);
    return `${header}.${payload}.${b64(sig)}`;
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, issuer);
    let raw = "";
    for await (const chunk of req) raw += chunk;
    if (url.pathname === "/.well-known/openid-configuration") {
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
    }
    if (url.pathname === "/jwks") return json(res, 200, { keys: [{ ...publicKey.export({ format: "jwk" }), kid, use: "sig", alg: "RS256" }] });
    if (url.pathname === "/authorize") {
      const q = url.searchParams;
      if (q.get("client_id") !== clientId || q.get("code_challenge_method") !== "S256" || !q.get("scope")?.split(" ").includes("openid")) {
        res.writeHead(400);
        return res.end("bad authorization request");
      }
      const code = randomBytes(16).toString("hex");
      codes.set(code, { challenge: q.get("code_challenge"), nonce: q.get("nonce"), redirect: q.get("redirect_uri") });
      const back = new URL(q.get("redirect_uri"));
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state"));
      res.writeHead(302, { Location: back.toString() });
      return res.end();
    }
    if (url.pathname === "/token" && req.method === "POST") {
      const form = new URLSearchParams(raw);
      const basic = (req.headers.authorization ?? "").replace(/^Basic /, "");
      const [id, secret] = basic ? Buffer.from(basic, "base64").toString().split(":").map(decodeURIComponent) : [form.get("client_id"), form.get("client_secret")];
      if (id !== clientId || secret !== clientSecret) return json(res, 401, { error: "invalid_client" });
      const p = codes.get(form.get("code"));
      codes.delete(form.get("code"));
      const verifier = createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url");
      if (!p || p.challenge !== verifier || p.redirect !== form.get("redirect_uri")) return json(res, 400, { error: "invalid_grant" });
      return json(res, 200, { access_token: randomBytes(16).toString("hex"), token_type: "Bearer", expires_in: 600, id_token: idToken(p.nonce) });
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  issuer = `http://127.0.0.1:${server.address().port}`;
  return { issuer, close: () => new Promise((r) => server.close(r)) };
}
