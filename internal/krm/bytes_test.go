package krm_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/frameworktestutil"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/benchgen"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/krm"
)

// viaFramework is the function as kyaml's framework runs it, reader annotations kept (as the
// binary does).
func viaFramework(data []byte) ([]byte, error) {
	var out bytes.Buffer
	err := framework.Execute(krm.Processor(), &kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: &out, KeepReaderAnnotations: true})
	return out.Bytes(), err
}

// normalized is data read and written back by kyaml, as the framework's test checker does:
// what a Kustomize build sees of a function's output.
func normalized(t *testing.T, data []byte) string {
	t.Helper()
	var out bytes.Buffer
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: &out}
	nodes, err := rw.Read()
	if err != nil {
		t.Fatalf("output does not read back: %v\n%s", err, data)
	}
	if err := rw.Write(nodes); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestBytesCases runs TestFunction's cases through the byte path: a case that succeeds must give
// what kyaml's framework gives (its expected.yaml, compared as kyaml reads both); a failing one
// must be left to the framework, which reports it.
func TestBytesCases(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/*")
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			pieces, ok := krm.Bytes(bytes.Clone(input))
			expected, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
			if err != nil {
				if ok {
					t.Fatalf("byte path succeeded on a failing case:\n%s", bytes.Join(pieces, nil))
				}
				return
			}
			if !ok {
				t.Fatal("byte path declined a ResourceList as Kustomize writes it")
			}
			frameworktestutil.RequireStrippedStringsEqual(t, string(expected), normalized(t, bytes.Join(pieces, nil)))
		})
	}
}

// TestBytesBenchStream: on the benchmark stream as a ResourceList, every item, annotation and
// result is what kyaml's framework returns, and the input is left as it was.
func TestBytesBenchStream(t *testing.T) {
	var stream bytes.Buffer
	if err := benchgen.Write(&stream, 90, 18); err != nil {
		t.Fatal(err)
	}
	nodes, err := (&kio.ByteReader{Reader: &stream}).Read()
	if err != nil {
		t.Fatal(err)
	}
	var rl bytes.Buffer
	if err := (&kio.ByteWriter{Writer: &rl, KeepReaderAnnotations: true, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion}).Write(nodes); err != nil {
		t.Fatal(err)
	}
	input := rl.Bytes()
	want, err := viaFramework(input)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Clone(input)
	pieces, ok := krm.Bytes(data)
	if !ok {
		t.Fatal("byte path declined")
	}
	if !bytes.Equal(data, input) {
		t.Error("the input was changed")
	}
	got := bytes.Join(pieces, nil)
	if n, w := normalized(t, got), normalized(t, want); n != w {
		t.Errorf("byte path and framework differ:\n%s", lineDiff(n, w))
	}
	items, err := (&kio.ByteReadWriter{Reader: bytes.NewReader(got)}).Read()
	if err != nil {
		t.Fatal(err)
	}
	var next bytes.Buffer // the output's items in a fresh ResourceList, as the next build sends them
	if err := (&kio.ByteWriter{Writer: &next, KeepReaderAnnotations: true, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion}).Write(items); err != nil {
		t.Fatal(err)
	}
	again, ok := krm.Bytes(next.Bytes())
	if !ok || !bytes.Contains(bytes.Join(again, nil), []byte("0 injected, 0 updated, 90 unchanged")) {
		t.Errorf("second run not idempotent")
	}
}

func lineDiff(a, b string) string {
	al, bl := bytes.Split([]byte(a), []byte("\n")), bytes.Split([]byte(b), []byte("\n"))
	for i := range min(len(al), len(bl)) {
		if !bytes.Equal(al[i], bl[i]) {
			return fmt.Sprintf("line %d: got %s\nwant %s", i+1, al[i], bl[i])
		}
	}
	return "different lengths"
}

// BenchmarkBytes is the function's core on the benchmark stream as a ResourceList (1,000
// CronWorkflows and 200 other items).
func BenchmarkBytes(b *testing.B) {
	var stream bytes.Buffer
	if err := benchgen.Write(&stream, 1000, 200); err != nil {
		b.Fatal(err)
	}
	nodes, err := (&kio.ByteReader{Reader: &stream}).Read()
	if err != nil {
		b.Fatal(err)
	}
	var rl bytes.Buffer
	if err := (&kio.ByteWriter{Writer: &rl, KeepReaderAnnotations: true, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion}).Write(nodes); err != nil {
		b.Fatal(err)
	}
	data := rl.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := krm.Bytes(data); !ok {
			b.Fatal("declined")
		}
	}
}
