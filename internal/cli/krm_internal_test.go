package cli

import (
	"bytes"
	"io"
	"math"
	"testing"
)

// TestFunctionMemory: the KRM byte path runs under pipe mode's collector settings (it holds what
// pipe mode holds); when kyaml's framework runs instead, which holds every item as an RNode, the
// limit is lifted and the collector's pace is the default again, not 5x growth.
func TestFunctionMemory(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "")
	head := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
	for name, tc := range map[string]struct {
		input string
		pipe  bool // pipe mode's settings, else the framework's
	}{
		"byte path": {head + "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n", true},
		"framework": {head + "items: [{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}]\n", false},
	} {
		wantLimit, wantPercent := int64(math.MaxInt64), 100
		if tc.pipe {
			wantLimit, wantPercent = pipeHeadroom+4*int64(len(tc.input)), 400
		}
		var out bytes.Buffer
		limit, percent := memorySettings(t, func() {
			if code := Run(nil, Env{Stdin: bytes.NewReader([]byte(tc.input)), Stdout: &out, Stderr: io.Discard}); code != ExitOK {
				t.Fatalf("%s: exit %d", name, code)
			}
		})
		if limit != wantLimit || percent != wantPercent {
			t.Errorf("%s: limit %d, GC percent %d; want %d and %d", name, limit, percent, wantLimit, wantPercent)
		}
		if !bytes.Contains(out.Bytes(), []byte("name: a")) {
			t.Errorf("%s: item missing:\n%s", name, out.String())
		}
	}
}
