package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagSet builds a FlagSet whose flags can also come from environment
// variables: envFlag registers both and the help text names the variable.
// Help spells flags --name, as the docs do, and goes to stdout when asked
// for (-h, --help) and to stderr after a mistake.
type flagSet struct {
	*flag.FlagSet
	env   *Env
	usage string
	vars  map[string]string // flag name → env var
}

func newFlagSet(env *Env, name, usage string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// parse prints the flag package's errors itself, spelling flags --name.
	fs.SetOutput(io.Discard)
	f := &flagSet{FlagSet: fs, env: env, usage: usage, vars: map[string]string{}}
	fs.Usage = func() { f.printUsage(env.Stderr) }
	return f
}

// printUsage writes the usage line(s), the text after them, and the flags
// as --name; no Flags heading for a command without flags. A synopsis that
// does not name every flag ends with [flags].
func (f *flagSet) printUsage(w io.Writer) {
	synopsis, rest, _ := strings.Cut(f.usage, "\n\n")
	var names []string
	f.VisitAll(func(fl *flag.Flag) { names = append(names, fl.Name) })
	if !strings.Contains(synopsis, "[flags]") {
		for _, n := range names {
			if !mentionsFlag(synopsis, n) {
				first, more, multi := strings.Cut(synopsis, "\n")
				synopsis = first + " [flags]"
				if multi {
					synopsis += "\n" + more
				}
				break
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: weft %s\n", synopsis)
	if rest != "" {
		fmt.Fprintf(&b, "\n%s\n", rest)
	}
	if len(names) > 0 {
		b.WriteString("\nFlags:\n")
		f.VisitAll(func(fl *flag.Flag) {
			arg, usage := flag.UnquoteUsage(fl)
			fmt.Fprintf(&b, "  --%s", fl.Name)
			if arg != "" {
				fmt.Fprintf(&b, " %s", arg)
			}
			fmt.Fprintf(&b, "\n    \t%s", strings.ReplaceAll(usage, "\n", "\n    \t"))
			switch fl.DefValue {
			case "", "0", "false":
			default:
				if arg == "string" {
					fmt.Fprintf(&b, " (default %q)", fl.DefValue)
				} else {
					fmt.Fprintf(&b, " (default %s)", fl.DefValue)
				}
			}
			b.WriteString("\n")
		})
	}
	fmt.Fprint(w, b.String())
}

// mentionsFlag reports whether text names --name as a whole flag.
func mentionsFlag(text, name string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], "--"+name)
		if j < 0 {
			return false
		}
		end := i + j + 2 + len(name)
		if end == len(text) || !isFlagChar(text[end]) {
			return true
		}
		i = end
	}
}

func isFlagChar(c byte) bool {
	return c == '-' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// stringVar registers a string flag defaulting to $envVar, then def.
func (f *flagSet) stringVar(p *string, name, envVar, def, usage string) {
	if v := f.env.Getenv(envVar); v != "" {
		def = v
	}
	f.StringVar(p, name, def, usage+envNote(envVar))
	f.vars[name] = envVar
}

// intVar registers an int flag defaulting to $envVar, then def.
func (f *flagSet) intVar(p *int, name, envVar string, def int, usage string) {
	if v := f.env.Getenv(envVar); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &def); err != nil {
			fmt.Fprintf(f.env.Stderr, "weft: ignoring %s=%q: not a whole number\n", envVar, v)
		}
	}
	f.IntVar(p, name, def, usage+envNote(envVar))
	f.vars[name] = envVar
}

// parse parses args, allowing flags after positional arguments
// (`weft validate a.yaml --strict`).
func (f *flagSet) parse(args []string) ([]string, error) {
	// The flag package prints the usage itself, to stderr, before it
	// returns ErrHelp; help that was asked for belongs on stdout.
	usage := f.Usage
	f.Usage = func() {}
	defer func() { f.Usage = usage }()
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if err == flag.ErrHelp {
				f.printUsage(f.env.Stdout)
				return nil, ExitError{Code: 0}
			}
			fmt.Fprintf(f.env.Stderr, "weft %s: %s\n\n", f.Name(), dashDash(err.Error()))
			f.printUsage(f.env.Stderr)
			return nil, ExitError{Code: 2}
		}
		args = f.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
		if len(args) == 0 {
			return pos, nil
		}
	}
}

func trimSlash(s string) string { return strings.TrimRight(s, "/") }

// envNote is the help text's mention of a flag's environment variable.
func envNote(envVar string) string {
	if envVar == "" {
		return ""
	}
	return " (env " + envVar + ")"
}

// dashDash respells the flag package's "-name" in its messages as
// "--name", the spelling of the docs and the help.
func dashDash(msg string) string {
	return strings.NewReplacer(": -", ": --", "flag -", "flag --").Replace(msg)
}
