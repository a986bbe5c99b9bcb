package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// workflowFiles expands files and directories (recursively) into the
// workflow files they hold: *.yaml, *.yml and *.json, sorted.
func workflowFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
	}
	sort.Strings(out)
	return out, nil
}

// workflowFile is a workflow file read from a directory.
type workflowFile struct {
	path string // dir joined with the file's name inside it
	src  []byte
}

// readWorkflowDir reads the workflow files below dir (as workflowFiles
// finds them) through an os.Root: a file, or a symlink, that leads outside
// dir is an error, so --workflows cannot be made to load (and, through
// prompt_file, serve) a file elsewhere on the machine. Relative symlinks
// that stay inside dir work (Kubernetes ConfigMap mounts use them).
func readWorkflowDir(dir string) ([]workflowFile, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening the workflow directory (--workflows): %w", err)
	}
	defer root.Close()
	var out []workflowFile
	err = fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name != "." && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		src, err := root.ReadFile(name)
		if err != nil {
			return fmt.Errorf("%s: %w (workflow files, and symlinks to them, must stay inside --workflows %s; symlinks must be relative)",
				filepath.Join(dir, name), err, dir)
		}
		out = append(out, workflowFile{path: filepath.Join(dir, name), src: src})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}
