package inject_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// FuzzStream checks, on any input, the properties users rely on: no panic; on success the output
// parses, a second run changes nothing, documents without an Argo change are byte-identical and
// every CronWorkflow carries our metrics.
func FuzzStream(f *testing.F) {
	for _, glob := range []string{"testdata/*/input.yaml", "../../cmd/argo-metrics-gen/testdata/hostile/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	in := &inject.Injector{Config: config.Default()}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := in.Stream(data)
		if err != nil {
			var e *inject.Error
			if !errors.As(err, &e) {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		out := res.Bytes()
		chunksIn, chunksOut := inject.Split(data), inject.Split(out)
		if len(chunksIn) != len(chunksOut) {
			t.Fatalf("%d documents in, %d out", len(chunksIn), len(chunksOut))
		}
		for i, c := range chunksOut {
			if _, err := inject.ParseDocument(bytes.TrimPrefix(c.Text, []byte("\xef\xbb\xbf"))); err != nil {
				t.Fatalf("output document %d does not parse: %v\n%s", i, err, c.Text)
			}
			single, err := in.Stream(chunksIn[i].Text)
			if err == nil && !single.Changed && !bytes.Equal(chunksIn[i].Text, c.Text) {
				t.Fatalf("untouched document %d changed", i)
			}
		}
		again, err := in.Stream(out)
		if err != nil {
			t.Fatalf("second run failed: %v\n%s", err, out)
		}
		if again.Changed || !bytes.Equal(again.Bytes(), out) {
			t.Fatalf("second run changed the output:\n%s", out)
		}
		for _, r := range again.Reports {
			if r.Action != inject.Unchanged && r.Action != inject.Skipped {
				t.Fatalf("%s: %s after injection", r.Resource(), r.Action)
			}
		}
		assertDecodes(t, data, out)
	})
}

// assertDecodes decodes the output documents as Kubernetes tooling would, chunk by chunk. An
// output document may fail only where its input document fails too: decoding into Go values
// refuses some of what the node parser accepts (alias expansion limits).
func assertDecodes(t *testing.T, in, out []byte) {
	t.Helper()
	chunksIn := inject.Split(in)
	for i, c := range inject.Split(out) {
		if err := decodeAll(c.Text); err != nil {
			if i < len(chunksIn) && decodeAll(chunksIn[i].Text) != nil {
				continue
			}
			t.Fatalf("output document %d does not decode, its input does: %v\n%s", i, err, c.Text)
		}
	}
}

func decodeAll(text []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))))
	for {
		var v any
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}
