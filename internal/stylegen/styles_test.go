package stylegen_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/cli"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/stylegen"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// variants is how many manifests TestStyles generates (a few seconds on a 2-core machine).
const variants = 3000

// TestStyles runs generated manifests, valid and in every style stylegen writes, through every
// way in: the pipe (inject on stdin), inject --in-place on a file, and the KRM function on a
// ResourceList holding the documents (the byte path, or kyaml's framework where it declines).
// For each: no panic, exit 0, the output decodes as the input plus our metrics only, the
// metrics are those of a plain manifest of the same job, every input line is kept in order (see
// keptLines), a second run changes nothing, and two runs give the same bytes. It fails unless
// every class of style was generated at least 10 times.
func TestStyles(t *testing.T) {
	r := rand.New(rand.NewPCG(24, 2026))
	counts := map[string]int{}
	c := newChecker(t)
	for i := 0; i < variants; i++ {
		m := stylegen.Generate(r)
		for _, class := range m.Classes {
			counts[class]++
		}
		if !c.check(fmt.Sprintf("variant %d", i), m, i%3 == 0) {
			return
		}
	}
	var names []string
	for k, n := range counts {
		names = append(names, k)
		if n < 10 {
			t.Errorf("class %q generated %d times, want at least 10", k, n)
		}
	}
	sort.Strings(names)
	t.Logf("%d variants, %d classes of style, %d ResourceLists:", variants, len(names), c.krmRuns)
	for _, k := range names {
		t.Logf("  %5d  %s", counts[k], k)
	}
}

// FuzzStyles is TestStyles' check on manifests whose every choice the fuzzer makes.
func FuzzStyles(f *testing.F) {
	for _, seed := range []string{"", "\x00\x01\x02", "\x07\x05\x09\x0b\x01", "\xff\xfe\xfd\x10\x20\x30\x40"} {
		f.Add([]byte(seed))
	}
	c := newChecker(f)
	f.Fuzz(func(t *testing.T, choices []byte) {
		c.t = t
		m := stylegen.Generate(&stylegen.Bytes{Data: choices})
		c.check("fuzzed", m, true)
	})
}

type checker struct {
	t       testing.TB
	in      *inject.Injector
	dir     string
	refs    map[string]jobMetrics
	krmRuns int
}

// jobMetrics is what a plain manifest of a job gets: its metric entries and managed annotation.
type jobMetrics struct {
	entries []any
	managed string
}

func newChecker(t testing.TB) *checker {
	return &checker{t: t, in: &inject.Injector{Config: config.Default()}, dir: t.TempDir(), refs: map[string]jobMetrics{}}
}

// check runs one manifest through the ways in; all adds a second first run, --in-place and the
// KRM function. It reports false after a failure.
func (c *checker) check(name string, m stylegen.Manifest, all bool) bool {
	t := c.t
	t.Helper()
	fail := func(format string, args ...any) bool {
		if file := os.Getenv("STYLES_FAILED"); file != "" {
			os.WriteFile(file, m.Text, 0o644) // the failing input, byte for byte, to run again
		}
		t.Errorf("%s (classes %s): %s\ninput:\n%s", name, strings.Join(m.Classes, "; "), fmt.Sprintf(format, args...), m.Text)
		return false
	}
	inDocs, err := decodeStream(m.Text)
	if err != nil {
		return fail("the generator wrote invalid YAML: %v", err)
	}
	code, out, stderr := c.run(m.Text, "inject")
	if code != 0 {
		return fail("pipe: exit %d: %s", code, stderr)
	}
	if err := c.sameBut(inDocs, out, m.Jobs); err != nil {
		return fail("%v\noutput:\n%s", err, out)
	}
	if err := keptLines(m.Text, out, editableLines(m.Text)); err != nil {
		return fail("%v\noutput:\n%s", err, out)
	}
	if code, second, stderr := c.run(out, "inject"); code != 0 || !bytes.Equal(second, out) {
		return fail("a second run changed the output (exit %d, %s):\n%s", code, stderr, second)
	}
	if !all {
		return true
	}
	if _, again, _ := c.run(m.Text, "inject"); !bytes.Equal(again, out) {
		return fail("two runs differ")
	}
	file := filepath.Join(c.dir, "in.yaml")
	if err := os.WriteFile(file, m.Text, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := c.run(nil, "inject", "--in-place", file); code != 0 {
		return fail("--in-place: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(file); !bytes.Equal(got, out) {
		return fail("--in-place wrote other bytes than the pipe:\n%s", got)
	}
	if err := c.krm(m); err != nil {
		return fail("KRM: %v", err)
	}
	return true
}

// run runs the command line in-process on stdin.
func (c *checker) run(stdin []byte, args ...string) (int, []byte, string) {
	var out, errb bytes.Buffer
	code := cli.Run(args, cli.Env{Stdin: bytes.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return code, out.Bytes(), errb.String()
}

// sameBut checks that out decodes as the documents of the input plus our metrics only: with our
// metric entries and managed annotation taken out, and the collections that then stand empty
// or null taken out on both sides, every document equals its input; and our entries are those
// a plain manifest of the same job gets.
func (c *checker) sameBut(inDocs []any, out []byte, jobs []stylegen.Job) error {
	outDocs, err := decodeStream(out)
	if err != nil {
		return fmt.Errorf("the output does not parse: %v", err)
	}
	if len(outDocs) != len(inDocs) {
		return fmt.Errorf("%d documents in, %d out", len(inDocs), len(outDocs))
	}
	j := 0
	for i := range inDocs {
		ours := strip(outDocs[i])
		normalize(inDocs[i])
		if !reflect.DeepEqual(outDocs[i], inDocs[i]) {
			return fmt.Errorf("document %d, our metrics taken out, is\n%v\nwant\n%v", i, outDocs[i], inDocs[i])
		}
		for _, got := range ours {
			if j >= len(jobs) {
				return fmt.Errorf("metrics on more CronWorkflows than the input has")
			}
			want, err := c.reference(jobs[j])
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				return fmt.Errorf("job %s got metrics\n%v\nwant\n%v", jobs[j].Name, got, want)
			}
			j++
		}
	}
	if j != len(jobs) {
		return fmt.Errorf("%d CronWorkflows got metrics, want %d", j, len(jobs))
	}
	return nil
}

// reference injects into a plain block manifest of job.
func (c *checker) reference(job stylegen.Job) (jobMetrics, error) {
	key := fmt.Sprint(job)
	if r, ok := c.refs[key]; ok {
		return r, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: %s\n", job.Name)
	if job.Namespace != "" {
		fmt.Fprintf(&b, "  namespace: %s\n", job.Namespace)
	}
	fmt.Fprintf(&b, "spec:\n  schedules: [%q", job.Schedules[0])
	for _, s := range job.Schedules[1:] {
		fmt.Fprintf(&b, ", %q", s)
	}
	b.WriteString("]\n")
	if job.Timezone != "" {
		fmt.Fprintf(&b, "  timezone: %s\n", job.Timezone)
	}
	b.WriteString("  workflowSpec:\n    entrypoint: main\n    templates:\n      - name: main\n        container: {image: alpine}\n")
	res, err := c.in.Stream([]byte(b.String()))
	if err != nil {
		return jobMetrics{}, err
	}
	docs, err := decodeStream(res.Bytes())
	if err != nil {
		return jobMetrics{}, err
	}
	ours := strip(docs[0])
	if len(ours) != 1 {
		return jobMetrics{}, fmt.Errorf("reference of %s: no metrics", job.Name)
	}
	c.refs[key] = ours[0]
	return ours[0], nil
}

func decodeStream(text []byte) ([]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var docs []any
	for {
		var v any
		if err := dec.Decode(&v); errors.Is(err, io.EOF) {
			return docs, nil
		} else if err != nil {
			return nil, err
		}
		docs = append(docs, v)
	}
}

const managed = "argo-metrics-gen.io/managed-metrics"

// strip takes our metrics and managed annotation out of every CronWorkflow of doc (a root one or
// a List's items) and returns them, then normalizes doc.
func strip(doc any) []jobMetrics {
	var out []jobMetrics
	for _, r := range resources(doc) {
		md, _ := r["metadata"].(map[string]any)
		ann, _ := md["annotations"].(map[string]any)
		names, _ := ann[managed].(string)
		if names == "" {
			continue
		}
		ours := map[string]bool{}
		for _, n := range strings.Split(names, ",") {
			ours[n] = true
		}
		delete(ann, managed)
		jm := jobMetrics{managed: names}
		if wf := workflowSpec(r); wf != nil {
			metrics, _ := wf["metrics"].(map[string]any)
			prom, _ := metrics["prometheus"].([]any)
			var kept []any
			for _, e := range prom {
				if m, _ := e.(map[string]any); ours[fmt.Sprint(m["name"])] {
					jm.entries = append(jm.entries, e)
				} else {
					kept = append(kept, e)
				}
			}
			if metrics != nil {
				metrics["prometheus"] = kept
			}
		}
		out = append(out, jm)
	}
	normalize(doc)
	return out
}

// normalize takes out the collections injection fills when they are empty or null: metadata's
// annotations, workflowSpec's metrics and its prometheus list.
func normalize(doc any) {
	for _, r := range resources(doc) {
		if md, _ := r["metadata"].(map[string]any); md != nil {
			dropEmpty(md, "annotations")
		}
		if wf := workflowSpec(r); wf != nil {
			if metrics, _ := wf["metrics"].(map[string]any); metrics != nil {
				dropEmpty(metrics, "prometheus")
			}
			dropEmpty(wf, "metrics")
		}
	}
}

func dropEmpty(m map[string]any, key string) {
	v, ok := m[key]
	if !ok {
		return
	}
	if v == nil || reflect.ValueOf(v).Len() == 0 {
		delete(m, key)
	}
}

func resources(doc any) []map[string]any {
	m, _ := doc.(map[string]any)
	if m == nil {
		return nil
	}
	if m["kind"] == "List" {
		var out []map[string]any
		items, _ := m["items"].([]any)
		for _, it := range items {
			if r, _ := it.(map[string]any); r != nil && r["kind"] == "CronWorkflow" {
				out = append(out, r)
			}
		}
		return out
	}
	if m["kind"] == "CronWorkflow" {
		return []map[string]any{m}
	}
	return nil
}

func workflowSpec(r map[string]any) map[string]any {
	spec, _ := r["spec"].(map[string]any)
	wf, _ := spec["workflowSpec"].(map[string]any)
	return wf
}

// lineRE cuts a text into lines where go-yaml does, each with its line break.
var lineRE = regexp.MustCompile("[^\r\n\u0085\u2028\u2029]*(\r\n|\r|\n|\u0085|\u2028|\u2029|$)")

func lines(text []byte) []string {
	var out []string
	for _, l := range lineRE.FindAllString(string(text), -1) {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// keptLines checks that every line of in is in out, in order, unchanged, except where an edit
// must touch a line of the input (lines are cut where go-yaml cuts them, their breaks included;
// a last line without a break may gain one, when lines are added after it).
// Those are the lines of the collections injection fills (metadata, its annotations,
// workflowSpec, its metrics, their prometheus list) when written in flow style or null:
// editableLines, from the entry's key to the line before the next node. On them:
//   - a line holding a flow collection we add to may gain characters: our entries, a comma
//     after its last entry, spaces;
//   - a line holding a null we replace may lose characters: the null and its tag (the key and
//     any anchor or comment stay), and in flow style have our value written in their place; a
//     line that held nothing else but the null goes.
//
// So: in a longest common subsequence of the two line lists, every line of in left out is
// editable and has, in the same gap of out, a line that it is a subsequence of (characters
// added), that is a subsequence of it (characters removed) or that it is a subsequence of once
// its null tokens are taken out (a null replaced), or it holds nothing but a null.
func keptLines(in, out []byte, editable map[int]bool) error {
	a, b := lines(in), lines(out)
	n, m := len(a), len(b)
	if n > 0 && lineRE.FindStringSubmatch(a[n-1])[1] == "" {
		// The last line has no line break: lines added after it give it one.
		for j := m - 1; j >= 0; j-- {
			if content(b[j]) == a[n-1] {
				b[j] = a[n-1]
				break
			}
		}
	}
	l := make([][]int, n+1)
	for i := range l {
		l[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var gapA, gapB []string
	var gapLines []int
	check := func() error {
		for k, x := range gapA {
			if !editable[gapLines[k]] {
				return fmt.Errorf("input line %d %q is changed or gone", gapLines[k], x)
			}
			ok := nullOnly(x)
			x = content(x)
			for _, y := range gapB {
				y = content(y)
				ok = ok || subsequence(x, y) || subsequence(y, x) || subsequence(nullTokenRE.ReplaceAllString(x, ""), y)
			}
			if !ok {
				return fmt.Errorf("input line %q is changed or gone", x)
			}
		}
		gapA, gapB, gapLines = nil, nil, nil
		return nil
	}
	for i, j := 0, 0; i < n || j < m; {
		switch {
		case i < n && j < m && a[i] == b[j]:
			if err := check(); err != nil {
				return err
			}
			i, j = i+1, j+1
		case j < m && (i == n || l[i][j+1] >= l[i+1][j]):
			gapB = append(gapB, b[j])
			j++
		default:
			gapA, gapLines = append(gapA, a[i]), append(gapLines, i+1)
			i++
		}
	}
	return check()
}

// editableLines returns the lines (1-based, in the stream) of the collections injection may
// have to write into: see keptLines.
func editableLines(text []byte) map[int]bool {
	out := map[int]bool{}
	for _, c := range inject.Split(text) {
		var doc yaml.Node
		if yaml.Unmarshal(bytes.TrimPrefix(c.Text, []byte("\ufeff")), &doc) != nil || len(doc.Content) == 0 {
			continue
		}
		var order []*yaml.Node // every node, in document order
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			order = append(order, n)
			for _, k := range n.Content {
				walk(k)
			}
		}
		walk(doc.Content[0])
		last := c.Line + len(lines(c.Text)) - 1
		span := func(key, value *yaml.Node) {
			if key == nil || value == nil || value.Style&yaml.FlowStyle == 0 && value.Tag != "!!null" {
				return
			}
			end := last
			skip := map[*yaml.Node]bool{}
			var mark func(n *yaml.Node)
			mark = func(n *yaml.Node) {
				skip[n] = true
				for _, k := range n.Content {
					mark(k)
				}
			}
			mark(value)
			for i, n := range order {
				if n == value {
					for _, next := range order[i+1:] {
						if !skip[next] {
							end = c.Line - 1 + next.Line - 1
							break
						}
					}
				}
			}
			if value.Tag == "!!null" {
				end = c.Line - 1 + value.Line
			}
			for l := c.Line - 1 + key.Line; l <= max(end, c.Line-1+key.Line); l++ {
				out[l] = true
			}
		}
		roots := []*yaml.Node{doc.Content[0]}
		if items := entryOf(doc.Content[0], "items"); items != nil {
			roots = append(roots, items.Content...)
		}
		for _, r := range roots {
			k, md := keyOf(r, "metadata")
			span(k, md)
			span(keyOf(md, "annotations"))
			_, spec := keyOf(r, "spec")
			k, wf := keyOf(spec, "workflowSpec")
			span(k, wf)
			k, metrics := keyOf(wf, "metrics")
			span(k, metrics)
			span(keyOf(metrics, "prometheus"))
		}
	}
	return out
}

func keyOf(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func entryOf(m *yaml.Node, key string) *yaml.Node {
	_, v := keyOf(m, key)
	return v
}

var nullRE = regexp.MustCompile(`^\s*(null|~|Null|NULL)\s*(#.*)?(\r\n|\r|\n|\x{85}|\x{2028}|\x{2029})?$`)

var nullTokenRE = regexp.MustCompile(`!!null|!<tag:yaml.org,2002:null>|\bnull\b|\bNull\b|\bNULL\b|~|''`)

// content is a line without its line break.
func content(line string) string { return strings.TrimRight(line, "\r\n\u0085\u2028\u2029") }

func nullOnly(line string) bool { return nullRE.MatchString(line) }

// subsequence reports whether every character of x is in y, in order.
func subsequence(x, y string) bool {
	j := 0
	for i := 0; i < len(y) && j < len(x); i++ {
		if x[j] == y[i] {
			j++
		}
	}
	return j == len(x)
}

var breaksRE = regexp.MustCompile("\r\n|\r|\u0085|\u2028|\u2029")

// krm runs the manifest's documents as the items of a ResourceList, written the way Kustomize
// writes one (line feeds, no markers, each item a "- " entry), through the function's default
// mode; the items must come back as the documents plus our metrics only.
func (c *checker) krm(m stylegen.Manifest) error {
	text := breaksRE.ReplaceAll(bytes.TrimPrefix(m.Text, []byte("\ufeff")), []byte("\n"))
	var list bytes.Buffer
	list.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	var docs []any
	for _, chunk := range inject.Split(text) {
		var item []string
		for _, line := range strings.SplitAfter(string(chunk.Text), "\n") {
			t := strings.TrimRight(line, "\n")
			if line == "" || strings.HasPrefix(t, "%") || t == "---" || t == "..." || strings.HasPrefix(t, "--- ") || strings.HasPrefix(t, "... ") {
				continue
			}
			item = append(item, strings.TrimSuffix(line, "\n"))
		}
		doc, err := decodeStream([]byte(strings.Join(item, "\n") + "\n"))
		if err != nil || len(doc) != 1 || doc[0] == nil {
			continue // comments only
		}
		if _, ok := doc[0].(map[string]any); !ok {
			continue
		}
		docs = append(docs, doc[0])
		for k, line := range item {
			switch {
			case k == 0:
				list.WriteString("- " + line + "\n")
			default:
				list.WriteString("  " + line + "\n")
			}
		}
	}
	if len(docs) == 0 {
		return nil
	}
	c.krmRuns++
	code, out, stderr := c.run(list.Bytes())
	if code != 0 {
		return fmt.Errorf("exit %d: %s\n%s", code, stderr, list.Bytes())
	}
	var rl struct {
		Items []any `yaml:"items"`
	}
	if err := yaml.Unmarshal(out, &rl); err != nil {
		return fmt.Errorf("the output does not parse: %v\n%s", err, out)
	}
	if len(rl.Items) != len(docs) {
		return fmt.Errorf("%d items in, %d out:\n%s", len(docs), len(rl.Items), out)
	}
	for i, item := range rl.Items {
		if md, _ := item.(map[string]any)["metadata"].(map[string]any); md != nil {
			if ann, _ := md["annotations"].(map[string]any); ann != nil {
				for k := range ann {
					if strings.HasPrefix(k, "config.kubernetes.io/") || strings.HasPrefix(k, "internal.config.kubernetes.io/") {
						delete(ann, k)
					}
				}
			}
		}
		strip(item)
		normalize(docs[i])
		if !reflect.DeepEqual(item, docs[i]) {
			return fmt.Errorf("item %d, our metrics taken out, is\n%v\nwant\n%v\nfrom:\n%s", i, item, docs[i], list.Bytes())
		}
	}
	return nil
}

// TestStylesSurvey runs the variants through another build of the binary (STYLES_BINARY, pipe
// mode; skipped without it) and reports, rather than stops at, what fails: how many variants
// by kind of failure, and the classes of style most failing variants hold. It measures an
// older version against TestStyles' properties (STYLES_VARIANTS, default 1000).
func TestStylesSurvey(t *testing.T) {
	bin := os.Getenv("STYLES_BINARY")
	if bin == "" {
		t.Skip("STYLES_BINARY is not set")
	}
	n := 1000
	fmt.Sscan(os.Getenv("STYLES_VARIANTS"), &n)
	r := rand.New(rand.NewPCG(24, 2026))
	c := newChecker(t)
	kinds := map[string]int{}
	total, failed := map[string]int{}, map[string]int{}
	bad := 0
	for i := 0; i < n; i++ {
		m := stylegen.Generate(r)
		inDocs, err := decodeStream(m.Text)
		if err != nil {
			t.Fatalf("the generator wrote invalid YAML: %v", err)
		}
		kind := ""
		cmd := exec.Command(bin, "inject")
		cmd.Stdin = bytes.NewReader(m.Text)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		runErr := cmd.Run()
		switch {
		case strings.Contains(errb.String(), "panic"):
			kind = "panic"
		case runErr != nil:
			kind = "refused (exit non-zero)"
		case out.Len() == 0:
			kind = "exit 0, empty output"
		default:
			if _, err := decodeStream(out.Bytes()); err != nil {
				kind = "exit 0, output not YAML"
			} else if err := c.sameBut(inDocs, out.Bytes(), m.Jobs); err != nil {
				kind = "exit 0, output not the input plus the metrics"
			} else if err := keptLines(m.Text, out.Bytes(), editableLines(m.Text)); err != nil {
				kind = "exit 0, lines not ours changed"
			} else {
				again := exec.Command(bin, "inject")
				again.Stdin = bytes.NewReader(out.Bytes())
				if second, err := again.Output(); err != nil || !bytes.Equal(second, out.Bytes()) {
					kind = "exit 0, a second run changes it"
				}
			}
		}
		for _, class := range m.Classes {
			total[class]++
		}
		if kind != "" {
			kinds[kind]++
			bad++
			for _, class := range m.Classes {
				failed[class]++
			}
		}
	}
	t.Logf("%s: %d of %d variants fail", bin, bad, n)
	for k, v := range kinds {
		t.Logf("  %5d  %s", v, k)
	}
	var classes []string
	for k := range total {
		classes = append(classes, k)
	}
	sort.Slice(classes, func(i, j int) bool {
		return failed[classes[i]]*total[classes[j]] > failed[classes[j]]*total[classes[i]]
	})
	for _, k := range classes {
		if failed[k] > 0 {
			t.Logf("  %3d%% of %4d  %s", 100*failed[k]/total[k], total[k], k)
		}
	}
}
