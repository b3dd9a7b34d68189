package inject_test

import (
	"bytes"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/benchgen"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

func benchStream(b *testing.B, crons int) []byte {
	b.Helper()
	var buf bytes.Buffer
	if err := benchgen.Write(&buf, crons, crons/5); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkStream is pipe mode's core on the benchmark stream (1,000 CronWorkflows and 200
// other documents, ~1.27 MB).
func BenchmarkStream(b *testing.B) {
	data := benchStream(b, 1000)
	in := &inject.Injector{Config: config.Default()}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Stream(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKyamlRoundTrip is the baseline: a bare kyaml read and write of the same stream,
// which is what a naive kio.Filter pipeline costs before doing any work.
func BenchmarkKyamlRoundTrip(b *testing.B) {
	data := benchStream(b, 1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var out bytes.Buffer
		err := kio.Pipeline{
			Inputs:  []kio.Reader{&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}},
			Outputs: []kio.Writer{&kio.ByteWriter{Writer: &out}},
		}.Execute()
		if err != nil {
			b.Fatal(err)
		}
	}
}
