package krm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/krm"
)

// FuzzResourceList: the function never panics, and when it succeeds it returns as many items as
// it was given, and running it again on its own output changes no item.
func FuzzResourceList(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/input.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		rw := &kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: &out, KeepReaderAnnotations: true}
		reader := &kio.ByteReadWriter{Reader: bytes.NewReader(data)}
		items, readErr := reader.Read()
		if err := framework.Execute(krm.Processor(), rw); err != nil || readErr != nil {
			return
		}
		again := &kio.ByteReadWriter{Reader: bytes.NewReader(out.Bytes())}
		outItems, err := again.Read()
		if err != nil {
			t.Fatalf("output does not read back: %v\n%s", err, out.String())
		}
		if len(items) != len(outItems) {
			t.Fatalf("%d items in, %d out", len(items), len(outItems))
		}
		var second bytes.Buffer
		if err := framework.Execute(krm.Processor(), &kio.ByteReadWriter{Reader: bytes.NewReader(out.Bytes()), Writer: &second, KeepReaderAnnotations: true}); err != nil {
			t.Fatalf("second run failed: %v", err)
		}
		if bytes.Contains(second.Bytes(), []byte(": injected'")) || bytes.Contains(second.Bytes(), []byte(": updated'")) {
			t.Fatalf("second run changed items:\n%s", second.String())
		}
	})
}
