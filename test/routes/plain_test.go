package routes

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const plain = "examples/plain"

// TestPlainInPlaceAndCheck runs the plain-directory example as its README does: --check lists
// the files that need the metrics (exit 1), --in-place writes exactly the golden files, a second
// --check is clean; the seed-000 file is refused until --take-over.
func TestPlainInPlaceAndCheck(t *testing.T) {
	need(t)
	dir := filepath.Join(t.TempDir(), "plain")
	copyTree(t, rootPath(plain), dir)
	c := cmd{dir: dir}

	r := run(t, c, amg, "inject", "--check", "manifests")
	if want := "manifests/jobs/export.json\nmanifests/jobs/hourly-sync.yml\nmanifests/jobs/nightly-report.yaml\n"; r.code != 1 || r.stdout != want {
		t.Fatalf("--check: %s", r)
	}
	if r := run(t, c, amg, "lint", "manifests"); r.code != 1 || strings.Count(r.stdout, "[coverage]") != 3 {
		t.Errorf("lint before: %s", r)
	}
	if r := run(t, c, amg, "inject", "--in-place", "manifests"); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("--in-place: %s", r)
	}
	if r := run(t, c, amg, "inject", "--check", "manifests"); r.code != 0 || r.stdout != "" {
		t.Fatalf("--check after --in-place: %s", r)
	}

	legacy := readFile(t, filepath.Join(dir, "legacy", "seed-000.yaml"))
	r = run(t, c, amg, "inject", "--in-place", "legacy")
	if r.code != 2 || !strings.Contains(r.stderr, `legacy/seed-000.yaml:15: CronWorkflow my-workflow/my-workflow: metric "exit_code" is already defined`) {
		t.Fatalf("the hand-written seed-000 metrics must be refused: %s", r)
	}
	if !bytes.Equal(readFile(t, filepath.Join(dir, "legacy", "seed-000.yaml")), legacy) {
		t.Fatal("a refused file was written")
	}
	ok(t, c, amg, "inject", "--in-place", "--take-over", "legacy")

	// The result is the golden tree; files that needed nothing are untouched.
	for _, sub := range []string{"manifests", "legacy"} {
		compareTree(t, filepath.Join(dir, sub), plain+"/golden/"+sub)
	}
	for _, p := range []string{"manifests/jobs/sandbox.yaml", "manifests/other/settings.yaml"} {
		if !bytes.Equal(readFile(t, filepath.Join(dir, p)), readFile(t, rootPath(plain+"/"+p))) {
			t.Errorf("%s changed", p)
		}
	}
	var all []byte
	for _, f := range []string{"manifests/jobs/nightly-report.yaml", "manifests/jobs/hourly-sync.yml", "manifests/jobs/export.json", "manifests/jobs/sandbox.yaml", "legacy/seed-000.yaml"} {
		all = append(append(all, readFile(t, rootPath(plain+"/golden/"+f))...), "\n---\n"...)
	}
	validArgo(t, all, 5)
}

// compareTree checks every file under dir against the golden tree rel, and that the golden tree
// has no file more.
func compareTree(t *testing.T, dir, rel string) {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		r, _ := filepath.Rel(dir, path)
		seen[filepath.ToSlash(r)] = true
		golden(t, rel+"/"+filepath.ToSlash(r), readFile(t, path))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(rootPath(rel), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		r, _ := filepath.Rel(rootPath(rel), path)
		if !seen[filepath.ToSlash(r)] {
			t.Errorf("%s/%s is not produced any more", rel, filepath.ToSlash(r))
			if os.Getenv("UPDATE_GOLDEN") == "1" {
				return os.Remove(path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
