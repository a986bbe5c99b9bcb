package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at release builds with
// -ldflags "-X github.com/weftworks/weft/internal/cli.version=v1.2.3";
// otherwise the module version from the build info is used.
var version = ""

// buildInfo is what `weft version` prints.
type buildInfo struct {
	Version  string
	Commit   string
	Time     string
	Modified bool
	Go       string
}

func readBuildInfo() buildInfo {
	bi := buildInfo{Version: version, Go: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if ok {
		if bi.Version == "" {
			bi.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				bi.Commit = s.Value
			case "vcs.time":
				bi.Time = s.Value
			case "vcs.modified":
				bi.Modified = s.Value == "true"
			}
		}
	}
	if bi.Version == "" {
		bi.Version = "(devel)"
	}
	return bi
}

func runVersion(_ context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "version", "version")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fs.Usage()
		return ExitError{Code: 2}
	}
	bi := readBuildInfo()
	fmt.Fprintf(env.Stdout, "weft %s\n", bi.Version)
	commit := bi.Commit
	if commit == "" {
		commit = "unknown (built without VCS information)"
	} else {
		if bi.Time != "" {
			commit += " " + bi.Time
		}
		if bi.Modified {
			commit += " (modified)"
		}
	}
	fmt.Fprintf(env.Stdout, "commit %s\n", commit)
	fmt.Fprintf(env.Stdout, "go %s\n", bi.Go)
	return nil
}
