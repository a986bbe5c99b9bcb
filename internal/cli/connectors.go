package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/api"
	"github.com/weftworks/weft/connectors/apps"
	"github.com/weftworks/weft/connectors/apps/openapi"
	"github.com/weftworks/weft/step"
)

// connectorsDir is --connectors, or <data>/connectors.
func connectorsDir(flag, data string) string {
	if flag != "" || data == "" {
		return flag
	}
	return filepath.Join(data, "connectors")
}

// importedApps holds the connectors directory's apps: loaded at start
// (validated like the bundled ones) and extended by the import API.
type importedApps struct {
	dir     string
	reg     *step.Registry
	logger  *slog.Logger
	mu      sync.Mutex
	loaded  map[string]bool // names whose steps are registered
	bundled []string
}

var _ api.ConnectorImporter = (*importedApps)(nil)

// loadImportedApps registers every <dir>/<app>/app.yaml. A missing
// directory holds none; a spec that does not validate stops the start with
// its file and the problem, like a bad bundled one.
func loadImportedApps(reg *step.Registry, dir string, logger *slog.Logger) (*importedApps, error) {
	bundled, err := apps.Bundled()
	if err != nil {
		return nil, fmt.Errorf("loading bundled app connectors: %w", err)
	}
	ia := &importedApps{dir: dir, reg: reg, logger: logger, loaded: map[string]bool{}}
	for _, a := range bundled {
		ia.bundled = append(ia.bundled, a.Name)
	}
	if dir == "" {
		return ia, nil
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return ia, nil
	}
	list, err := apps.LoadFS(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("loading connectors from %s: %w", dir, err)
	}
	for _, a := range list {
		if slices.Contains(ia.bundled, a.Name) {
			return nil, fmt.Errorf("loading connectors from %s: %s/app.yaml: %q is a bundled connector; rename the folder and its name", dir, a.Name, a.Name)
		}
	}
	if _, err := apps.RegisterApps(reg, list); err != nil {
		return nil, fmt.Errorf("loading connectors from %s: %w", dir, err)
	}
	for _, a := range list {
		ia.loaded[a.Name] = true
		logger.Info("connector loaded", "app", a.Name, "operations", len(a.Operations), "dir", dir)
	}
	return ia, nil
}

// ImportConnector converts the document; with Save it writes
// <dir>/<name>/app.yaml and registers the steps on this process.
func (ia *importedApps) ImportConnector(ctx context.Context, req api.ConnectorImport) (*api.ConnectorImported, error) {
	if slices.Contains(ia.bundled, req.Name) {
		return nil, fmt.Errorf("name %q is a bundled connector; pick another name: %w", req.Name, weft.ErrInvalid)
	}
	res, err := openapi.Import(ctx, req.Document, openapi.Options{Name: req.Name, Title: req.Title, BaseURL: req.BaseURL})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("importing the OpenAPI document: %w: %w", err, weft.ErrInvalid)
	}
	raw, err := openapi.Marshal(&res.App, "an OpenAPI document")
	if err != nil {
		return nil, err
	}
	out := importedView(&res.App, res.Warnings, raw)
	if !req.Save {
		return out, nil
	}
	if ia.dir == "" {
		return nil, fmt.Errorf("this server has no connectors directory (--connectors); save the spec with weft connectors import instead: %w", weft.ErrInvalid)
	}
	ia.mu.Lock()
	defer ia.mu.Unlock()
	if err := writeApp(ia.dir, req.Name, raw); err != nil {
		return nil, err
	}
	out.Saved = true
	if ia.loaded[req.Name] {
		out.Note = "saved; this process already has an app of this name, so the new operations take effect when the server restarts"
		return out, nil
	}
	if _, err := apps.RegisterApps(ia.reg, []apps.App{res.App}); err != nil {
		out.Note = "saved, but its steps could not be registered until a restart: " + err.Error()
		return out, nil
	}
	ia.loaded[req.Name] = true
	out.Registered = true
	out.Note = "saved and registered on this process; other processes load it from their --connectors directory when they start"
	ia.logger.Info("connector imported", "app", req.Name, "operations", len(res.App.Operations))
	return out, nil
}

func importedView(a *apps.App, warnings []string, raw []byte) *api.ConnectorImported {
	out := &api.ConnectorImported{Name: a.Name, Title: a.Title, BaseURL: a.BaseURL, Warnings: warnings, YAML: string(raw),
		Auth: []string{}, Operations: make([]api.ImportedOperation, 0, len(a.Operations))}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, au := range a.Auth {
		out.Auth = append(out.Auth, au.Kind)
	}
	for _, op := range a.Operations {
		out.Operations = append(out.Operations, api.ImportedOperation{Type: a.Name + "." + op.ID, Title: op.Title, Method: op.Method, Path: op.Path})
	}
	return out
}

// writeApp writes <dir>/<name>/app.yaml through a temporary file, so a
// crash never leaves half a spec that stops the next start.
func writeApp(dir, name string, raw []byte) error {
	folder := filepath.Join(dir, name)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", folder, err)
	}
	tmp, err := os.CreateTemp(folder, ".app.yaml-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", folder, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	dst := filepath.Join(folder, "app.yaml")
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}

const connectorsUsage = "connectors import FILE --name NAME [--out DIR | --out -] [flags]\n\n" +
	"import turns an OpenAPI 3.x document (YAML or JSON) into an app connector: it writes\n" +
	"DIR/NAME/app.yaml (DIR: --out, else --connectors, else <data>/connectors), which weft serve\n" +
	"loads at start; its operations become the step types NAME.<operation>. --out - prints the\n" +
	"spec instead. What the import left out is listed on stderr."

func runConnectors(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		w := env.Stderr
		if len(args) > 0 {
			w = env.Stdout
		}
		fmt.Fprintf(w, "Usage: weft %s\n", connectorsUsage)
		if len(args) == 0 {
			return ExitError{Code: 2}
		}
		return nil
	}
	sub, args := args[0], args[1:]
	if sub != "import" {
		return fmt.Errorf("unknown subcommand %q: use import (weft connectors -h)", sub)
	}
	fs := newFlagSet(env, "connectors import", connectorsUsage)
	var name, out, baseURL, title, dir, data string
	fs.stringVar(&name, "name", "", "", "app name: the prefix of its step types, e.g. acme for acme.list_orders")
	fs.stringVar(&out, "out", "", "", "directory to write NAME/app.yaml in, or - for stdout")
	fs.stringVar(&baseURL, "base-url", "", "", "the API's base URL, when the document's first server is relative or missing")
	fs.stringVar(&title, "title", "", "", "title shown in the palette (default: the document's info.title)")
	fs.stringVar(&dir, "connectors", "WEFT_CONNECTORS", "", "connectors directory of weft serve (default <data>/connectors)")
	fs.stringVar(&data, "data", "WEFT_DATA", "./weft-data", "data directory of weft serve")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("give one OpenAPI document: weft %s", strings.SplitN(connectorsUsage, "\n", 2)[0])
	}
	if name == "" {
		return errors.New("--name is required: the app's name, e.g. --name acme")
	}
	doc, err := os.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("reading the OpenAPI document: %w", err)
	}
	ia, err := loadImportedApps(step.NewRegistry(), "", slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	if slices.Contains(ia.bundled, name) {
		return fmt.Errorf("--name %q is a bundled connector; pick another name", name)
	}
	res, err := openapi.Import(ctx, doc, openapi.Options{Name: name, Title: title, BaseURL: baseURL})
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	raw, err := openapi.Marshal(&res.App, filepath.Base(pos[0]))
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(env.Stderr, "%s: warning: %s\n", pos[0], w)
	}
	if out == "-" {
		_, err := env.Stdout.Write(raw)
		return err
	}
	if out == "" {
		out = connectorsDir(dir, data)
	}
	if err := writeApp(out, name, raw); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s: %d operations (%s.%s, …), auth %s; weft serve loads it at start\n",
		filepath.Join(out, name, "app.yaml"), len(res.App.Operations), name, res.App.Operations[0].ID, authKinds(&res.App))
	return nil
}

func authKinds(a *apps.App) string {
	kinds := make([]string, 0, len(a.Auth))
	for _, au := range a.Auth {
		kinds = append(kinds, au.Kind)
	}
	return strings.Join(kinds, ", ")
}
