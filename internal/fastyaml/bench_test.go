package fastyaml_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/benchgen"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/fastyaml"
)

// documents is the benchmark stream of 1,000 CronWorkflows and 200 other documents, cut into
// documents as pipe mode parses them.
func documents(b *testing.B) ([][]byte, int64) {
	var buf bytes.Buffer
	if err := benchgen.Write(&buf, 1000, 200); err != nil {
		b.Fatal(err)
	}
	return bytes.SplitAfter(buf.Bytes(), []byte("\n---\n")), int64(buf.Len())
}

// BenchmarkParse is fastyaml on each document of the benchmark stream, read to its end as
// inject.ParseDocument reads it.
func BenchmarkParse(b *testing.B) {
	docs, size := documents(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			p := fastyaml.NewParser(d)
			for {
				if _, err := p.Next(); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// BenchmarkGoYAML is go-yaml's Decoder on the same documents: the parse floor of make bench.
func BenchmarkGoYAML(b *testing.B) {
	docs, size := documents(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			var n yaml.Node
			if err := yaml.NewDecoder(bytes.NewReader(d)).Decode(&n); err != nil {
				b.Fatal(err)
			}
		}
	}
}
