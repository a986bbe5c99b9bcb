package cli

import (
	"flag"
	"fmt"
	"strings"
)

// flagSet builds a FlagSet whose flags can also come from environment
// variables: envFlag registers both and the help text names the variable.
type flagSet struct {
	*flag.FlagSet
	env  *Env
	vars map[string]string // flag name → env var
}

func newFlagSet(env *Env, name, usage string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	f := &flagSet{FlagSet: fs, env: env, vars: map[string]string{}}
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: weft %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return f
}

// stringVar registers a string flag defaulting to $envVar, then def.
func (f *flagSet) stringVar(p *string, name, envVar, def, usage string) {
	if v := f.env.Getenv(envVar); v != "" {
		def = v
	}
	f.StringVar(p, name, def, usage+" (env "+envVar+")")
	f.vars[name] = envVar
}

// intVar registers an int flag defaulting to $envVar, then def.
func (f *flagSet) intVar(p *int, name, envVar string, def int, usage string) {
	if v := f.env.Getenv(envVar); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &def); err != nil {
			fmt.Fprintf(f.env.Stderr, "weft: ignoring %s=%q: not a whole number\n", envVar, v)
		}
	}
	f.IntVar(p, name, def, usage+" (env "+envVar+")")
	f.vars[name] = envVar
}

// parse parses args, allowing flags after positional arguments
// (`weft validate a.yaml --strict`).
func (f *flagSet) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, ExitError{Code: 0}
			}
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
