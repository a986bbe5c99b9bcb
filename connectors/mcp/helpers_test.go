package mcp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/weftworks/weft/step"
)

// TestMain lets the test binary be a stdio MCP server (the Go SDK's) when
// started with WEFT_MCP_TEST_SERVER=1, so the stdio transport is tested
// against a real child process.
func TestMain(m *testing.M) {
	if os.Getenv("WEFT_MCP_TEST_SERVER") == "1" {
		if err := testServer(0).Run(context.Background(), &mcp.StdioTransport{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type echoIn struct {
	Message string `json:"message" jsonschema:"the text to echo"`
}

type sumIn struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

type sumOut struct {
	Sum float64 `json:"sum"`
}

// testServer is a Go SDK server with an echo tool, a structured add tool,
// a failing tool, a tool with a huge answer and extra filler tools.
func testServer(filler int) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "echo", Description: "Echoes a message."}, func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Echo: " + in.Message}}}, nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "add", Description: "Adds two numbers."}, func(_ context.Context, _ *mcp.CallToolRequest, in sumIn) (*mcp.CallToolResult, sumOut, error) {
		return nil, sumOut{Sum: in.A + in.B}, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "fail", Description: "Always fails."}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return nil, nil, errors.New("the disk is full")
	})
	mcp.AddTool(s, &mcp.Tool{Name: "huge", Description: "Answers 2 MiB."}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strings.Repeat("x", 2<<20)}}}, nil, nil
	})
	for i := range filler {
		mcp.AddTool(s, &mcp.Tool{Name: fmt.Sprintf("filler_%d", i), Description: strings.Repeat("d", 100)},
			func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
				return nil, nil, nil
			})
	}
	return s
}

// httpServer serves testServer over Streamable HTTP and checks the bearer
// token.
func httpServer(t *testing.T, filler int, token string) *httptest.Server {
	t.Helper()
	s := testServer(filler)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// creds lends mcp connections and authorizes with their token, as the vault
// does.
type creds map[string]map[string]string

var _ step.Credentials = creds{}

func (c creds) Get(_ context.Context, _, name string) (step.Credential, error) {
	d, ok := c[name]
	if !ok {
		return step.Credential{}, fmt.Errorf("credential %q not found", name)
	}
	return step.Credential{Name: name, Type: "mcp", Data: d}, nil
}

func (c creds) Authorize(_ context.Context, _, name string, req *http.Request) error {
	if tok := c[name]["token"]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return nil
}
