// Package argocorpus finds Argo's own example manifests, the real-world corpus the injector's and
// lint's tests run on: examples/*.yaml of the argo-workflows module this project builds with.
package argocorpus

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
)

// Module is the argo-workflows module and version of go.mod whose examples make the corpus.
const Module = "github.com/argoproj/argo-workflows/v3@v3.7.18"

// Examples returns the paths of the module's examples/*.yaml, downloading it through the module
// proxy when the module cache does not have it.
func Examples() ([]string, error) {
	out, err := exec.Command("go", "mod", "download", "-json", Module).Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download %s: %v", Module, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil {
		return nil, err
	}
	return filepath.Glob(filepath.Join(mod.Dir, "examples", "*.yaml"))
}
