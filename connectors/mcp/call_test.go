package mcp_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/connectors/mcp"
	"github.com/weftworks/weft/step"
	"github.com/weftworks/weft/step/steptest"
)

type bundle struct {
	reg *step.Registry
	env *steptest.Env
	svc *mcp.Service
}

func setup(t *testing.T, cfg mcp.Config, c creds) bundle {
	t.Helper()
	svc, err := mcp.NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reg := step.NewRegistry()
	if err := svc.Register(reg); err != nil {
		t.Fatal(err)
	}
	env := steptest.NewEnv()
	env.Connections = step.CredentialsOnly(c)
	return bundle{reg: reg, env: env, svc: svc}
}

func (b bundle) call(t *testing.T, with map[string]any) (any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := steptest.NewRequestIn(b.env, with)
	res, err := b.reg.Lookup(mcp.TypeCall)
	if !err {
		t.Fatal("mcp.call is not registered")
	}
	req.Type = mcp.TypeCall
	out, rerr := res.Handler.Run(ctx, req)
	return out.Output, rerr
}

func code(err error) string { return step.ErrorInfo(err).Code }

func TestCallOverStreamableHTTP(t *testing.T) {
	t.Parallel()
	srv := httpServer(t, 0, "s3cret")
	b := setup(t, mcp.Config{}, creds{"tools": {"url": srv.URL, "token": "s3cret"}, "wrongtoken": {"url": srv.URL, "token": "nope"}})

	out, err := b.call(t, map[string]any{"connection": "tools", "tool": "echo", "arguments": map[string]any{"message": "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := out.(map[string]any)
	if m["text"] != "Echo: hi" {
		t.Fatalf("echo output = %#v", out)
	}
	out, err = b.call(t, map[string]any{"connection": "tools", "tool": "add", "arguments": map[string]any{"a": 2, "b": 3}})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := out.(map[string]any); m["sum"] != float64(5) {
		t.Fatalf("add output (structuredContent) = %#v", out)
	}

	_, err = b.call(t, map[string]any{"connection": "tools", "tool": "fail"})
	if code(err) != "mcp_tool_error" || !strings.Contains(err.Error(), "the disk is full") {
		t.Fatalf("isError: %v (code %s)", err, code(err))
	}
	_, err = b.call(t, map[string]any{"connection": "tools", "tool": "add", "arguments": map[string]any{"a": "two"}})
	if code(err) != "validation" || !strings.Contains(err.Error(), "/a") {
		t.Fatalf("bad arguments: %v (code %s)", err, code(err))
	}
	_, err = b.call(t, map[string]any{"connection": "tools", "tool": "nosuch"})
	if code(err) != "validation" || !strings.Contains(err.Error(), "echo") {
		t.Fatalf("unknown tool: %v", err)
	}
	_, err = b.call(t, map[string]any{"connection": "wrongtoken", "tool": "echo"})
	if err == nil || !strings.Contains(err.Error(), "wrongtoken") {
		t.Fatalf("wrong token: %v", err)
	}
	_, err = b.call(t, map[string]any{"connection": "missing", "tool": "echo"})
	if code(err) != "credential" {
		t.Fatalf("missing connection: %v", err)
	}
}

func TestToolsAreCachedAndBounded(t *testing.T) {
	t.Parallel()
	srv := httpServer(t, 600, "t")
	b := setup(t, mcp.Config{MaxOutput: 1 << 20}, creds{"big": {"url": srv.URL, "token": "t"}})
	req := steptest.NewRequestIn(b.env, nil)
	_, err := b.svc.Tools(context.Background(), req, "big")
	if code(err) != "mcp_limit" || !strings.Contains(err.Error(), "more than 500 tools") {
		t.Fatalf("huge tools/list: %v", err)
	}

	small := httpServer(t, 0, "t")
	b = setup(t, mcp.Config{MaxOutput: 1 << 20}, creds{"s": {"url": small.URL, "token": "t"}})
	tools, err := b.svc.Tools(context.Background(), steptest.NewRequestIn(b.env, nil), "s")
	if err != nil || len(tools) != 4 {
		t.Fatalf("tools = %v, %v", tools, err)
	}
	var add mcp.ToolInfo
	for _, x := range tools {
		if x.Name == "add" {
			add = x
		}
	}
	if props, _ := add.InputSchema["properties"].(map[string]any); props["a"] == nil {
		t.Fatalf("add's input schema = %v", add.InputSchema)
	}
	start := time.Now()
	_, err = b.call(t, map[string]any{"connection": "s", "tool": "huge"})
	if code(err) != "mcp_limit" || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("huge output: %v", err)
	}
	t.Logf("huge output refused in %s", time.Since(start))

	tiny := setup(t, mcp.Config{MaxMessage: 64 << 10}, creds{"s": {"url": small.URL, "token": "t"}})
	_, err = tiny.call(t, map[string]any{"connection": "s", "tool": "huge"})
	if err == nil {
		t.Fatal("a message over MaxMessage was accepted")
	}
}

func TestCallOverStdio(t *testing.T) {
	t.Parallel()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b := setup(t, mcp.Config{Stdio: map[string][]string{"selftest": {self}}, StdioEnv: []string{"WEFT_MCP_TEST_SERVER=1"}},
		creds{"local": {"stdio": "selftest"}, "other": {"stdio": "rm-rf"}})
	out, err := b.call(t, map[string]any{"connection": "local", "tool": "echo", "arguments": map[string]any{"message": "over stdio"}})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := out.(map[string]any); m["text"] != "Echo: over stdio" {
		t.Fatalf("stdio echo = %#v", out)
	}
	_, err = b.call(t, map[string]any{"connection": "other", "tool": "echo"})
	if err == nil || !strings.Contains(err.Error(), "is not allowlisted") {
		t.Fatalf("not allowlisted: %v", err)
	}
}

func TestParseStdioAllow(t *testing.T) {
	t.Parallel()
	m, err := mcp.ParseStdioAllow([]string{"everything=npx -y @modelcontextprotocol/server-everything"})
	if err != nil || len(m["everything"]) != 3 {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range [][]string{{"noequals"}, {"=cmd"}, {"x="}, {"a=b", "a=c"}} {
		if _, err := mcp.ParseStdioAllow(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
