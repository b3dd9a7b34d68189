package cli

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// input is one file (or stdin) to process.
type input struct {
	name string // as shown in messages: the path, or "<stdin>"
	path string // real file to rewrite; empty for stdin
	root string // the argument the file was found under; writes must stay inside it
	data []byte
	mode fs.FileMode
}

const stdinName = "<stdin>"

// manifestExt are the extensions picked up when walking a directory.
var manifestExt = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// readInputs resolves PATH arguments: files, directories (recursive, lexical order, hidden
// directories skipped) and "-" for stdin. No argument means stdin.
func readInputs(args []string, stdin io.Reader) ([]*input, error) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	var out []*input
	stdinUsed := false
	for _, arg := range args {
		if arg == "-" {
			if stdinUsed {
				return nil, fmt.Errorf("stdin (-) given twice")
			}
			stdinUsed = true
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("reading stdin: %w", err)
			}
			out = append(out, &input{name: stdinName, data: data})
			continue
		}
		info, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			in, err := readFile(arg, filepath.Dir(arg))
			if err != nil {
				return nil, err
			}
			out = append(out, in)
			continue
		}
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != arg && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !manifestExt[strings.ToLower(filepath.Ext(p))] {
				return nil
			}
			in, err := readFile(p, arg)
			if err != nil {
				return err
			}
			out = append(out, in)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readFile(p, root string) (*input, error) {
	info, err := os.Stat(p) // follows a symlink: its target's mode is what we keep
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return &input{name: p, path: p, root: root, data: data, mode: info.Mode().Perm()}, nil
}

// writeTarget returns the file to replace for p: p itself, or the target of a symlink when it
// stays inside root. A link leading out of the tree is refused rather than followed.
func writeTarget(p, root string) (string, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return p, nil
	}
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(realRoot, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s: refusing to rewrite a symlink that leads outside %s (to %s)", p, root, target)
	}
	return target, nil
}

// writeAtomic replaces path with data: a temporary file in the same directory, the original
// mode, then a rename, so readers never see a half-written file.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	cleanup := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return cleanup(err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return cleanup(err)
	}
	if err := tmp.Sync(); err != nil {
		return cleanup(err)
	}
	if err := tmp.Close(); err != nil {
		return cleanup(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
