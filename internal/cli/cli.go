// Package cli is the weft command line and Weft's composition root: the only
// package that wires concrete stores, queues, connectors and servers
// together. One file per subcommand.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// Env is what a command may touch: its streams and the process environment.
// Tests build their own.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader
	Getenv func(string) string
}

// ExitError carries a process exit code without printing anything more.
type ExitError struct{ Code int }

func (e ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

func commands() []command {
	cmds := []command{
		{"serve", "run the server: API, webhooks, UI and workers", runServe},
		{"run", "execute one workflow file locally and print the execution as JSON", runRun},
		{"validate", "check workflow files; print problems as file:line:col: message", runValidate},
		{"apply", "create or update workflows on a running server", runApply},
		{"executions", "list, show, retry or cancel executions on a server", runExecutions},
		{"credentials", "set, list, delete credentials on a server; rotate the master key", runCredentials},
		{"users", "create the first owner (or any user) and list users, on the database", runUsers},
		{"audit", "verify the audit trail's hash chain, or export it as JSON lines", runAudit},
		{"connectors", "import an OpenAPI document as an app connector", runConnectors},
		{"version", "print the version", runVersion},
		{"schema", "print the JSON Schema of workflow files (for editor autocompletion)", runSchema},
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string) int {
	env := &Env{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, Getenv: os.Getenv}
	return Run(ctx, env, args)
}

// Run is Main with explicit streams (used by tests).
func Run(ctx context.Context, env *Env, args []string) int {
	if len(args) >= 2 && args[0] == "help" {
		// weft help serve = weft serve --help
		args = []string{args[1], "--help"}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, env, args[1:])
			if err == nil {
				return 0
			}
			if ee, ok := err.(ExitError); ok {
				return ee.Code
			}
			fmt.Fprintf(env.Stderr, "weft %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "weft: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Weft wires AI models into the tools a business runs: webhooks in, durable workflows, APIs out.\n\nUsage: weft <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-11s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'weft help <command>' (or 'weft <command> --help') for a command's flags.\n")
	fmt.Fprint(w, b.String())
}
