package e2e

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mcpModules returns the node_modules directory of the MCP peers
// (installed by testdata/mcp/install.sh), or skips the test with how to
// install them when node or the modules are missing.
func mcpModules(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the MCP end-to-end tests need Node.js 20+ and internal/e2e/testdata/mcp/install.sh")
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "mcp", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "@modelcontextprotocol", "sdk", "package.json")); err != nil {
		t.Skip("the MCP peers are not installed: run internal/e2e/testdata/mcp/install.sh (npm ci of @modelcontextprotocol/sdk, server-everything, conformance)")
	}
	return dir
}

// everythingJS is the entry point of the reference server.
func everythingJS(modules string) string {
	return filepath.Join(modules, "@modelcontextprotocol", "server-everything", "dist", "index.js")
}

// startEverythingHTTP runs the reference server in Streamable HTTP mode on a
// free loopback port and returns its /mcp URL.
func startEverythingHTTP(t *testing.T, modules string) string {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command("node", everythingJS(modules), "streamableHttp")
	cmd.Env = append(os.Environ(), "PORT="+port)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
		}
	}()
	url := "http://127.0.0.1:" + port + "/mcp"
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			return url
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("server-everything (streamableHttp) did not start")
	return ""
}
