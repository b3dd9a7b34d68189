package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNoNetworkNoExecNoStrayWrites traces every mode with strace: the tool opens no socket,
// runs no program, and opens for writing only files inside the tree it was given.
func TestNoNetworkNoExecNoStrayWrites(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("strace is missing: .ci/run installs it")
		}
		t.Skip("strace not installed")
	}
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	os.MkdirAll(tree, 0o755)
	input := read(t, golden+"basic/input.yaml")
	os.WriteFile(filepath.Join(tree, "job.yaml"), input, 0o644)
	rl := read(t, "../../internal/krm/testdata/kustomize-items/input.yaml")
	for name, tc := range map[string]struct {
		stdin []byte
		args  []string
	}{
		"inject pipe":     {input, []string{"inject"}},
		"inject in place": {nil, []string{"inject", "--in-place", tree}},
		"inject check":    {nil, []string{"inject", "--check", tree}},
		"krm function":    {rl, nil},
		"lint":            {nil, []string{"lint", tree}},
		"preview":         {nil, []string{"preview", tree}},
		"schedule":        {nil, []string{"schedule", tree}},
	} {
		t.Run(name, func(t *testing.T) {
			trace := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".trace")
			args := append([]string{"-f", "-qq", "-o", trace, "-e", "trace=socket,connect,execve,openat,rename,renameat,renameat2", binary}, tc.args...)
			cmd := exec.Command("strace", args...)
			cmd.Stdin = bytes.NewReader(tc.stdin)
			if out, err := cmd.CombinedOutput(); err != nil {
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
					t.Fatalf("%v: %s", err, out)
				}
			}
			lines := strings.Split(string(read(t, trace)), "\n")
			execs, writesInTree := 0, 0
			writeOpen := regexp.MustCompile(`openat\([^,]+, "([^"]+)", [^)]*(O_WRONLY|O_RDWR|O_CREAT)`)
			renamed := regexp.MustCompile(`rename(at2?)?\(.*"([^"]+)".*"([^"]+)"`)
			for _, l := range lines {
				switch {
				case strings.Contains(l, "socket(") || strings.Contains(l, "connect("):
					t.Errorf("network: %s", l)
				case strings.Contains(l, "execve("):
					execs++
				}
				if m := writeOpen.FindStringSubmatch(l); m != nil {
					if strings.HasPrefix(m[1], tree) {
						writesInTree++
					} else if !strings.HasPrefix(m[1], "/dev/") {
						t.Errorf("write outside the tree: %s", l)
					}
				}
				if m := renamed.FindStringSubmatch(l); m != nil && (!strings.HasPrefix(m[2], tree) || !strings.HasPrefix(m[3], tree)) {
					t.Errorf("rename outside the tree: %s", l)
				}
			}
			if name == "inject in place" && writesInTree == 0 {
				t.Error("the trace shows no write of the rewritten file: the trace patterns no longer match")
			}
			if execs != 1 {
				t.Errorf("%d execve calls, want only the tool's own start", execs)
			}
		})
	}
}
