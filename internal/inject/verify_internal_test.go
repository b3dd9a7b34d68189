package inject

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/argocorpus"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/benchgen"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// verdicts splices src as document does, with corrupt (when not nil) applied to every splice's
// probe text, and returns the windowed position proof's verdict, the whole probe document's and
// whether the output itself reads as the edited tree. edited is false when src has no spliced
// edit to prove (no change, a flow edit, a layout the splicer declines).
func verdicts(in *Injector, src []byte, corrupt func(string) string) (windows, probe, out, edited bool) {
	doc, err := ParseDocument(src)
	if err != nil || doc == nil {
		return
	}
	edits, _, err := in.plan(doc)
	if err != nil || len(edits) == 0 {
		return
	}
	s := newSource(src, doc.Content[0])
	r, ok := s.applyText(edits)
	if !ok || r.full {
		return
	}
	if corrupt != nil {
		r2 := &spliced{src: src, inserted: map[*yaml.Node]bool{}}
		var all []splice
		for _, e := range edits {
			sps, _ := s.spliceFor(e, r2)
			for i := range sps {
				sps[i].probe = corrupt(sps[i].probe)
			}
			w, ok := s.window(e, sps)
			if ok && (r2.windows != nil || len(all) == 0) {
				r2.windows = append(r2.windows, w)
			} else {
				r2.windows = nil
			}
			all = append(all, sps...)
		}
		r.windows = r2.windows
		for i := range r.splices {
			r.splices[i].probe = corrupt(r.splices[i].probe)
		}
	}
	applyTree(edits)
	return positionsByWindows(r), positionsByProbe(r, doc), sameAs(r.out, doc), true
}

// corpus is every document the differential tests run on: golden and hostile inputs, the
// examples, Argo's example corpus and the benchmark stream.
func corpus(t testing.TB) map[string][]byte {
	files, _ := filepath.Glob("testdata/*/input.yaml")
	hostile, _ := filepath.Glob("../../cmd/argo-metrics-gen/testdata/hostile/*.yaml")
	files = append(files, hostile...)
	examples, err := argocorpus.Examples()
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, examples...)
	filepath.WalkDir("../../examples", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	docs := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[f] = data
	}
	var b bytes.Buffer
	if err := benchgen.Write(&b, 200, 40); err != nil {
		t.Fatal(err)
	}
	docs["benchmark stream"] = b.Bytes()
	return docs
}

// TestWindowsAgreeWithProbe: the windowed position proof accepts a splice only where parsing
// the whole probe document and the output itself accept it, including when the probe is
// corrupted the ways a wrong splice would be (indented one column off, joined to the next line,
// a stray line), and it is the path taken on the benchmark stream and the golden inputs.
func TestWindowsAgreeWithProbe(t *testing.T) {
	in := &Injector{Config: config.Default()}
	corruptions := map[string]func(string) string{
		"none":        nil,
		"indent +1":   func(p string) string { return strings.ReplaceAll(" "+p, "\n", "\n ") },
		"indent -1":   func(p string) string { return strings.ReplaceAll(strings.TrimPrefix(p, " "), "\n ", "\n") },
		"no break":    func(p string) string { return strings.TrimSuffix(p, "\n") },
		"stray line":  func(p string) string { return p + "x\n" },
		"stray key":   func(p string) string { return p + "  y: 1\n" },
		"dash line":   func(p string) string { return p + "- z\n" },
		"open quote":  func(p string) string { return p + "  \"q\n" },
		"tilde value": func(p string) string { return strings.ReplaceAll(p, "~", "0") },
	}
	proved, rejected := 0, 0
	for name, data := range corpus(t) {
		for _, c := range Split(data) {
			text := bytes.TrimPrefix(c.Text, bom)
			for cname, corrupt := range corruptions {
				windows, probe, out, edited := verdicts(in, text, corrupt)
				if !edited {
					continue
				}
				if windows && !probe {
					t.Errorf("%s line %d, corruption %s: windows accept what the whole probe document refuses", name, c.Line, cname)
				}
				if corrupt == nil {
					if windows && !out {
						t.Errorf("%s line %d: windows accept an output that does not read as the edited tree", name, c.Line)
					}
					if !windows && (name == "benchmark stream" || strings.HasPrefix(name, "testdata/")) {
						t.Logf("%s line %d: no windowed proof (whole probe: %v)", name, c.Line, probe)
						if name == "benchmark stream" {
							t.Errorf("benchmark stream line %d: windows decline", c.Line)
						}
					}
					if windows {
						proved++
					}
				} else if !probe {
					rejected++
				}
			}
		}
	}
	if proved < 200 || rejected < 200 {
		t.Fatalf("only %d documents proved by windows and %d corrupted probes refused", proved, rejected)
	}
	t.Logf("%d documents proved by windows; %d corrupted probes refused by both", proved, rejected)
}

// FuzzWindows: on any document, the windowed position proof accepts only what the whole probe
// document and the output accept.
func FuzzWindows(f *testing.F) {
	for _, data := range corpus(f) {
		if len(data) < 64<<10 {
			f.Add(data)
		}
	}
	in := &Injector{Config: config.Default()}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range Split(data) {
			windows, probe, out, _ := verdicts(in, bytes.TrimPrefix(c.Text, bom), nil)
			if windows && (!probe || !out) {
				t.Fatalf("line %d: windows accept, whole probe %v, output %v:\n%s", c.Line, probe, out, c.Text)
			}
		}
	})
}
