package cli

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// helpCommands are every command and subcommand line that has its own
// flags, keyed by the docs/operations.md heading that documents them.
var helpCommands = map[string][][]string{
	"serve":       {{"serve"}},
	"run":         {{"run"}},
	"validate":    {{"validate"}},
	"apply":       {{"apply"}},
	"executions":  {{"executions", "list"}, {"executions", "show"}, {"executions", "retry"}, {"executions", "cancel"}},
	"credentials": {{"credentials", "set"}, {"credentials", "list"}, {"credentials", "delete"}, {"credentials", "rotate-key"}},
	"connectors":  {{"connectors", "import"}},
	"version":     {{"version"}},
	"schema":      {{"schema"}},
	"users":       {{"users", "create"}, {"users", "list"}},
	"audit":       {{"audit", "verify"}, {"audit", "export"}},
}

var helpFlag = regexp.MustCompile(`(?m)^  --([a-z0-9-]+)`)

// commandFlags runs `weft <args> --help` and returns the flags it lists,
// checking the help's form on the way: on stdout, --name spelling, no
// empty Flags heading, a synopsis that names every flag or says [flags].
func commandFlags(t *testing.T, args []string) []string {
	t.Helper()
	res := runCLI(t, nil, append(args, "--help")...)
	name := strings.Join(args, " ")
	if res.code != 0 || res.stderr != "" || !strings.HasPrefix(res.stdout, "Usage: weft ") || !strings.Contains(res.stdout, "weft "+name) {
		t.Fatalf("weft %s --help: exit %d, want 0 with the usage on stdout and nothing on stderr\nstdout %q\nstderr %q", name, res.code, res.stdout, res.stderr)
	}
	if regexp.MustCompile(`(?m)^\s+-[a-z]`).MatchString(res.stdout) {
		t.Errorf("weft %s --help spells a flag with one dash:\n%s", name, res.stdout)
	}
	if strings.HasSuffix(strings.TrimSpace(res.stdout), "Flags:") {
		t.Errorf("weft %s --help ends with an empty Flags heading:\n%s", name, res.stdout)
	}
	var flags []string
	for _, m := range helpFlag.FindAllStringSubmatch(res.stdout, -1) {
		flags = append(flags, m[1])
	}
	synopsis, _, _ := strings.Cut(res.stdout, "\n\n")
	if !strings.Contains(synopsis, "[flags]") {
		for _, f := range flags {
			if !mentionsFlag(synopsis, f) {
				t.Errorf("weft %s: the usage line names neither --%s nor [flags]:\n%s", name, f, synopsis)
			}
		}
	}
	return flags
}

// TestHelpForm: help is on stdout when asked for, in every form.
func TestHelpForm(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"help", "serve"}, {"serve", "-h"}, {"executions", "--help"}, {"credentials", "-h"}} {
		res := runCLI(t, nil, args...)
		if res.code != 0 || res.stderr != "" || !strings.HasPrefix(res.stdout, "Usage: weft") && !strings.Contains(res.stdout, "Usage: weft <command>") {
			t.Errorf("weft %s: exit %d, want 0 with help on stdout\nstdout %q\nstderr %q", strings.Join(args, " "), res.code, res.stdout, res.stderr)
		}
	}
	// A mistake prints the usage on stderr, spelling the flag as typed.
	res := runCLI(t, nil, "serve", "--no-such-flag")
	if res.code != 2 || res.stdout != "" || !strings.Contains(res.stderr, "--no-such-flag") || !strings.Contains(res.stderr, "Usage: weft serve") {
		t.Errorf("unknown flag: exit %d\nstdout %q\nstderr %q", res.code, res.stdout, res.stderr)
	}
}

// TestFlagsDocumented: every flag of every command is in docs/operations.md
// under that command's heading, and every --flag written there exists.
func TestFlagsDocumented(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := commandSections(string(src))
	docFlag := regexp.MustCompile("--([a-z][a-z0-9-]*)")
	for cmd, forms := range helpCommands {
		have := map[string]bool{}
		for _, args := range forms {
			for _, f := range commandFlags(t, args) {
				have[f] = true
			}
		}
		text, ok := sections[cmd]
		if len(have) > 0 && !ok {
			t.Errorf("docs/operations.md has no section headed `weft %s` for its flags %v", cmd, keys(have))
			continue
		}
		for f := range have {
			if !strings.Contains(text, "`--"+f+"`") {
				t.Errorf("docs/operations.md, section `weft %s`: --%s is not documented (write it as `--%s`)", cmd, f, f)
			}
		}
		for _, m := range docFlag.FindAllStringSubmatch(text, -1) {
			if !have[m[1]] {
				t.Errorf("docs/operations.md, section `weft %s`: --%s is not a flag of weft %s", cmd, m[1], cmd)
			}
		}
	}
}

// commandSections maps "serve" to the text under a heading that names
// `weft serve`, up to the next heading.
func commandSections(md string) map[string]string {
	out := map[string]string{}
	heading := regexp.MustCompile("^#{2,4} `weft ([a-z-]+)")
	cur := ""
	inCode := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if !inCode && strings.HasPrefix(line, "#") {
			cur = ""
			if m := heading.FindStringSubmatch(line); m != nil {
				cur = m[1]
			}
			continue
		}
		if cur != "" {
			out[cur] += line + "\n"
		}
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestRunTakesServesStepFlags: weft run is wired like weft serve, so every
// serve flag that changes how a step behaves is also a run flag.
func TestRunTakesServesStepFlags(t *testing.T) {
	t.Parallel()
	run := map[string]bool{}
	for _, f := range commandFlags(t, []string{"run"}) {
		run[f] = true
	}
	serve := map[string]bool{}
	for _, f := range commandFlags(t, []string{"serve"}) {
		serve[f] = true
	}
	for _, f := range []string{"allow-private-net", "env-allow", "max-call-depth", "max-for-each-items", "quarantine-after", "sql-sqlite-dir", "sql-max-rows", "ai-config"} {
		if !serve[f] {
			t.Errorf("serve has no --%s; update this list", f)
		}
		if !run[f] {
			t.Errorf("weft run lacks serve's --%s: a workflow would behave differently under run", f)
		}
	}
}
