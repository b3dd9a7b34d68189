// Package stylegen writes valid Argo CronWorkflow manifests in the styles YAML allows, for the
// style property test and fuzz target (styles_test.go): flow and block at every level of the
// paths the injector edits and reads, empty and null collections in every spelling (tagged,
// anchored, on the next line, with comments and document markers around them), comments
// everywhere, quoting styles and indentation variants, "? key" entries, anchors and aliases,
// directives, a BOM, JSON documents, streams mixing kinds, and every line break go-yaml reads
// (LF, CR LF, CR, mixed, NEL, LS, PS).
//
// Every choice comes from a Chooser: a seeded random source for the property test, the fuzzer's
// bytes for the fuzz target. Each manifest names the classes of style it holds, so the test
// can count what it covered.
package stylegen

import (
	"fmt"
	"sort"
	"strings"
)

// Chooser picks one of n options (0 <= result < n).
type Chooser interface{ IntN(n int) int }

// Bytes is a Chooser reading its choices from a byte string (a fuzzer's input), then zeros.
type Bytes struct {
	Data []byte
	pos  int
}

// IntN returns the next byte modulo n.
func (b *Bytes) IntN(n int) int {
	if b.pos >= len(b.Data) {
		return 0
	}
	v := int(b.Data[b.pos])
	b.pos++
	return v % n
}

// Job is what a generated CronWorkflow is, whatever its style: the injector's output for it
// must carry the metrics of a plain manifest of the same job.
type Job struct {
	Name, Namespace string
	Schedules       []string
	Timezone        string
}

// Manifest is one generated stream.
type Manifest struct {
	Text    []byte
	Jobs    []Job
	Classes []string // the style classes it holds, sorted
}

// Generate writes one stream of one to three documents.
func Generate(c Chooser) Manifest {
	g := &gen{c: c, classes: map[string]bool{}}
	docs := 1 + c.IntN(3)
	var b strings.Builder
	if g.pick(6) == 0 {
		b.WriteString("\ufeff")
		g.class("bom")
	}
	ended := true // the document before ended with "..." (or there is none): directives may follow
	for i := 0; i < docs; i++ {
		var doc string
		switch k := c.IntN(10); {
		case k < 7 || i == 0:
			doc = g.cronWorkflow(len(g.jobs))
		case k == 7:
			doc = g.configMap(i)
		case k == 8:
			doc = g.list(len(g.jobs))
		default:
			doc = "# a document of comments only\n"
			g.class("stream: comment-only document")
		}
		if docs > 1 {
			g.class("stream: several documents")
		}
		start, end := g.markers(i == 0, ended, strings.HasPrefix(b.String(), "\ufeff") && i == 0)
		ended = strings.HasPrefix(end, "...")
		b.WriteString(start)
		b.WriteString(doc)
		b.WriteString(end)
		if i == docs-1 && end == "" && g.endsInScript && g.pick(2) == 0 {
			// The file ends in the block scalar, without a line break: lines added after it
			// would give its value one.
			g.class("block scalars: ending the file without a line break")
			text := strings.TrimSuffix(b.String(), "\n")
			b.Reset()
			b.WriteString(text)
		}
	}
	text := g.lineBreaks(b.String())
	m := Manifest{Text: []byte(text), Jobs: g.jobs}
	for k := range g.classes {
		m.Classes = append(m.Classes, k)
	}
	sort.Strings(m.Classes)
	return m
}

type gen struct {
	c            Chooser
	classes      map[string]bool
	jobs         []Job
	unit         int // indentation step of the document being written
	seq          int // a block sequence's indentation under its key: 0 or unit
	gap          int // spaces after a sequence item's "-"
	json         bool
	lblAnchor    bool // the document's labels carry the anchor &lbl
	script       bool // the templates written last end in a script's block scalar
	endsInScript bool // so does the document
}

func (g *gen) pick(n int) int { return g.c.IntN(n) }

func (g *gen) class(name string) { g.classes[name] = true }

func (g *gen) oneOf(options ...string) string { return options[g.pick(len(options))] }

func sp(n int) string { return strings.Repeat(" ", n) }

// markers returns what stands before and after a document: "---" with or without a comment,
// directives, "..." with or without a comment, comments. The first document of a stream may
// have no start marker; the others must have one (or the "..." of the one before them).
func (g *gen) markers(first, ended, bom bool) (string, string) {
	var start, end string
	k := g.pick(8)
	if (k == 1 || k == 2) && !ended {
		k = 4 // a directive only at the start of the stream or after "..."
	}
	switch {
	case k == 0 && !first:
		start = "--- # next document\n"
		g.class("markers: --- with a comment")
	case k == 1:
		start = "%YAML 1.1\n---\n"
		g.class("markers: %YAML 1.1 directive")
		if bom && first {
			g.class("markers: BOM then %YAML 1.1")
		}
	case k == 2:
		start = "%TAG !e! tag:example.com,2026:\n--- # with a TAG directive\n"
		g.class("markers: %TAG directive")
	case k == 3:
		start = "# a comment before the marker\n---\n"
		g.class("markers: comment before ---")
	case k < 6 || !first:
		start = "---\n"
		g.class("markers: ---")
	default:
		g.class("markers: none")
	}
	switch g.pick(6) {
	case 0:
		end = "...\n"
		g.class("markers: ...")
	case 1:
		end = "... # end of the document\n"
		g.class("markers: ... with a comment")
	case 2:
		end = "# a comment after the document\n"
		g.class("comments: after the document")
	}
	return start, end
}

// lineBreaks gives the stream its line breaks: LF, or CR LF, CR, a mix, or some LFs replaced
// by NEL, LS or PS (go-yaml reads each as a line break).
func (g *gen) lineBreaks(text string) string {
	switch g.pick(12) {
	case 0:
		g.class("line breaks: CR LF")
		return strings.ReplaceAll(text, "\n", "\r\n")
	case 1:
		g.class("line breaks: CR")
		return strings.ReplaceAll(text, "\n", "\r")
	case 2:
		g.class("line breaks: mixed LF, CR LF, CR")
		return g.replaceSome(text, "\r\n", "\r")
	case 3:
		g.class("line breaks: NEL U+0085")
		return g.replaceSome(text, "\u0085")
	case 4:
		g.class("line breaks: LS U+2028, PS U+2029")
		return g.replaceSome(text, "\u2028", "\u2029")
	case 5, 6:
		if strings.HasSuffix(text, "\n") {
			g.class("no final line break")
			return strings.TrimSuffix(text, "\n")
		}
	}
	return text
}

// replaceSome replaces about a third of the LFs with one of breaks.
func (g *gen) replaceSome(text string, breaks ...string) string {
	var b strings.Builder
	for _, r := range text {
		if r == '\n' && g.pick(3) == 0 {
			b.WriteString(breaks[g.pick(len(breaks))])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (g *gen) configMap(i int) string {
	g.class("stream: ConfigMap")
	return g.oneOf(
		fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: params-%d\ndata:\n  note: it's a plain\n    scalar on two lines\n  script: |\n    echo hi\n", i),
		fmt.Sprintf("{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"params-%d\"}, \"data\": {}}\n", i),
		fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: params-%d, annotations: {}}\ndata: {a: \"1\"}\n", i),
	)
}

// list writes a kind: List holding one CronWorkflow, in block style.
func (g *gen) list(n int) string {
	g.class("stream: kind List")
	g.startDoc(false)
	job := g.newJob(n)
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	item := g.blockCron(job)
	for i, line := range strings.SplitAfter(item, "\n") {
		switch {
		case line == "":
		case i == 0:
			b.WriteString("- " + line)
		default:
			b.WriteString("  " + line)
		}
	}
	return b.String()
}

func (g *gen) newJob(n int) Job {
	j := Job{Name: fmt.Sprintf("job-%d", n), Namespace: g.oneOf("", "batch", "data-team")}
	switch g.pick(4) {
	case 0:
		j.Schedules = []string{"0 3 * * *", "30 15 * * 1-5"}
	case 1:
		j.Schedules = []string{"*/15 * * * *"}
	default:
		j.Schedules = []string{"0 3 * * *"}
	}
	if g.pick(3) == 0 {
		j.Timezone = "Europe/Paris"
	}
	g.jobs = append(g.jobs, j)
	return j
}

func (g *gen) startDoc(json bool) {
	g.json, g.lblAnchor, g.endsInScript = json, false, false
	g.unit = 2 + g.pick(3)
	g.seq = g.unit * g.pick(2)
	g.gap = 1
	if g.pick(5) == 0 {
		g.gap = 3
		g.class("indentation: wide gap after -")
	}
	g.class(fmt.Sprintf("indentation: step %d", g.unit))
	if g.seq == 0 {
		g.class("indentation: compact sequences")
	}
}

func (g *gen) cronWorkflow(n int) string {
	if g.pick(8) == 0 {
		return g.jsonCron(g.newJob(n))
	}
	g.startDoc(false)
	job := g.newJob(n)
	return g.blockCron(job)
}

// scalar writes a string value in one of the styles that read as v.
func (g *gen) scalar(v string) string {
	k := g.pick(8)
	if strings.HasPrefix(v, "*") && k > 1 {
		k = 1 // a plain scalar cannot start with "*" (an alias)
	}
	switch k {
	case 0:
		g.class("scalars: single-quoted")
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case 1:
		g.class("scalars: double-quoted")
		return fmt.Sprintf("%q", v)
	case 2:
		g.class("scalars: tagged !!str")
		return "!!str " + v
	}
	return v
}

// comment returns a line comment (" # ...") some of the time.
func (g *gen) comment() string {
	if g.pick(4) == 0 {
		g.class("comments: end of line")
		return g.oneOf(" # why", "   # aligned", " #no space")
	}
	return ""
}

// headComment returns comment lines at indent some of the time.
func (g *gen) headComment(indent int) string {
	if g.pick(5) == 0 {
		g.class("comments: own line")
		return sp(indent) + g.oneOf("# a comment", "#", "# - not: a key") + "\n"
	}
	return ""
}

// blockCron writes a CronWorkflow whose root is a block mapping.
func (g *gen) blockCron(job Job) string {
	var b strings.Builder
	b.WriteString(g.headComment(0))
	meta := g.metadata(job)
	spec := g.spec(job)
	entries := []string{
		"apiVersion: argoproj.io/v1alpha1" + g.comment() + "\n",
		"kind: CronWorkflow\n",
		meta,
		spec,
	}
	if g.pick(4) == 0 && !g.lblAnchor {
		g.class("order: keys sorted (metadata after spec)")
		entries[2], entries[3] = entries[3], entries[2]
		g.endsInScript = false
	}
	for _, e := range entries {
		b.WriteString(e)
	}
	if g.pick(4) == 0 {
		g.endsInScript = false
		b.WriteString(g.oneOf("# trailing comment at column 0\n", "  # trailing comment, indented\n", "\n\n# after blank lines\n"))
		g.class("comments: after the last entry")
	}
	return b.String()
}

// metadata writes "metadata:" and its value.
func (g *gen) metadata(job Job) string {
	u := g.unit
	switch g.pick(6) {
	case 0:
		g.class("metadata: flow mapping")
		return "metadata: " + g.flowMetadata(job, false) + g.comment() + "\n"
	case 1:
		g.class("metadata: flow mapping on several lines")
		return "metadata: " + g.flowMetadata(job, true) + "\n"
	}
	var b strings.Builder
	key := "metadata:"
	switch g.pick(6) {
	case 0:
		key = "metadata: !!map"
		g.class("tags: !!map on an edited mapping")
	case 1:
		key = "metadata: &md"
		g.class("anchors: anchor without alias on an edited mapping")
	}
	b.WriteString(key + g.comment() + "\n")
	b.WriteString(g.headComment(u))
	name := "name: " + g.scalar(job.Name)
	switch g.pick(8) {
	case 0:
		name = "name:\n" + sp(2*u) + job.Name
		g.class("values: plain scalar on the next line")
	case 1:
		name = "? name\n" + sp(u) + ": " + job.Name
		g.class("keys: ? complex key")
	}
	entries := []string{sp(u) + name + g.comment() + "\n"}
	if job.Namespace != "" {
		entries = append(entries, sp(u)+"namespace: "+g.scalar(job.Namespace)+"\n")
	}
	entries = append(entries, g.labels(u)...)
	ann := g.annotations(u)
	entries = append(entries, ann...)
	if ann != nil && g.pick(3) == 0 {
		g.class("order: annotations first")
		last := entries[len(entries)-1]
		copy(entries[1:], entries[:len(entries)-1])
		entries[0] = last
	}
	for _, e := range entries {
		b.WriteString(e)
	}
	return b.String()
}

// labels writes metadata's labels entry at indent u, or nothing.
func (g *gen) labels(u int) []string {
	switch g.pick(5) {
	case 0:
		return nil
	case 1:
		g.class("empty: labels {}")
		return []string{sp(u) + "labels: {}\n"}
	case 2:
		g.lblAnchor = true
		return []string{sp(u) + "labels: &lbl {team: data, app: etl}\n"}
	}
	return []string{sp(u) + "labels:\n" + sp(2*u) + "team: data\n"}
}

// annotations writes metadata's annotations entry at indent u (block metadata), or nothing.
func (g *gen) annotations(u int) []string {
	k := sp(u) + "annotations:"
	in := sp(2 * u)
	v := g.pick(22)
	switch v {
	case 0, 1, 2:
		g.class("annotations: absent")
		return nil
	case 3:
		g.class("annotations: empty value")
		return []string{k + g.comment() + "\n"}
	case 4:
		g.class("annotations: empty value, comments below")
		return []string{k + "\n" + in + "# nothing yet\n"}
	case 5:
		g.class("annotations: ~")
		return []string{k + " ~\n"}
	case 6:
		g.class("annotations: null")
		return []string{k + " " + g.oneOf("null", "Null", "NULL") + g.comment() + "\n"}
	case 7:
		g.class("annotations: tagged null")
		return []string{k + " " + g.oneOf("!!null", "!!null null", "!!null ''", "!!null ~") + "\n"}
	case 8:
		g.class("annotations: null on the next line")
		return []string{k + "\n" + in + g.oneOf("null", "~", "null # none") + "\n"}
	case 9:
		g.class("annotations: anchored null, no alias")
		return []string{k + " &ann" + g.comment() + "\n"}
	case 10:
		g.class("annotations: anchor on the next line")
		return []string{k + "\n" + in + "&ann\n"}
	case 11:
		g.class("annotations: {}")
		return []string{k + " " + g.oneOf("{}", "{ }", "{}  # empty") + "\n"}
	case 12:
		g.class("annotations: {} on two lines")
		return []string{k + " {\n" + sp(u) + "}\n"}
	case 13:
		g.class("annotations: flow mapping, apostrophe in a plain scalar")
		return []string{k + " {note: it's ours, owner: data}" + g.comment() + "\n"}
	case 14:
		g.class("annotations: flow mapping on several lines, trailing comment")
		return []string{k + " {\n" + in + "owner: data, # who\n" + in + "note: \"x\"\n" + sp(u) + "}\n"}
	case 15:
		g.class("annotations: flow mapping with a trailing comma")
		return []string{k + " {owner: data, }\n"}
	case 16:
		g.class("keys: ? complex key")
		return []string{sp(u) + "? annotations\n" + sp(u) + ": " + g.oneOf("{owner: data}", "null", "") + "\n"}
	case 17:
		g.class("annotations: anchored mapping, no alias")
		return []string{k + " &ann\n" + in + "owner: data\n"}
	case 18:
		g.class("annotations: block scalar value")
		return []string{k + "\n" + in + "description: |\n" + in + sp(u) + "line one\n" + in + sp(u) + "  indented # not a comment\n"}
	case 19:
		g.class("annotations: multi-line plain value")
		return []string{k + "\n" + in + "note: a plain scalar\n" + in + sp(u) + "on two lines\n"}
	}
	return []string{k + g.comment() + "\n" + g.headComment(2*u) + in + "owner: " + g.scalar("data") + "\n"}
}

// flowMetadata writes metadata as a flow mapping, on one line or one entry per line.
func (g *gen) flowMetadata(job Job, lines bool) string {
	entries := []string{"name: " + g.scalar(job.Name)}
	if job.Namespace != "" {
		entries = append(entries, "namespace: "+job.Namespace)
	}
	switch g.pick(9) {
	case 0:
		entries = append(entries, "annotations: {}")
		g.class("annotations: {} in flow metadata")
	case 1:
		entries = append(entries, "annotations: "+g.oneOf("null", "~", "!!null ~"))
		g.class("annotations: null in flow metadata")
	case 2:
		entries = append(entries, g.oneOf("annotations: ", "annotations"))
		g.class("annotations: empty in flow metadata")
	case 3:
		entries = append(entries, "annotations: {note: it's here}")
		g.class("annotations: flow mapping, apostrophe in a plain scalar")
	case 4:
		entries = append(entries, "labels: {team: data}")
	case 5:
		entries = append(entries, "\"annotations\": {\"owner\": \"data\"}")
		g.class("annotations: JSON-style flow mapping")
	}
	if g.pick(2) == 0 {
		entries[0], entries[len(entries)-1] = entries[len(entries)-1], entries[0]
	}
	if !lines {
		return "{" + strings.Join(entries, ", ") + "}"
	}
	u := g.unit
	var b strings.Builder
	b.WriteString("{\n")
	for i, e := range entries {
		b.WriteString(sp(u) + e)
		if i < len(entries)-1 || g.pick(3) == 0 {
			b.WriteString(",")
		}
		if g.pick(3) == 0 {
			b.WriteString(" # about " + strings.SplitN(e, ":", 2)[0])
			g.class("comments: inside a flow mapping")
		}
		b.WriteString("\n")
	}
	b.WriteString(g.oneOf("}", "  }"))
	return b.String()
}

// spec writes "spec:" and its value.
func (g *gen) spec(job Job) string {
	u := g.unit
	var b strings.Builder
	b.WriteString("spec:" + g.comment() + "\n")
	if len(job.Schedules) > 1 || g.pick(4) == 0 {
		if g.pick(2) == 0 {
			b.WriteString(sp(u) + "schedules: [" + strings.Join(quoteAll(job.Schedules), ", ") + "]\n")
		} else {
			b.WriteString(sp(u) + "schedules:\n")
			for _, s := range job.Schedules {
				b.WriteString(sp(u+g.seq) + "-" + sp(g.gap) + g.scalar(s) + "\n")
			}
		}
	} else {
		b.WriteString(sp(u) + "schedule: " + g.scalar(job.Schedules[0]) + g.comment() + "\n")
	}
	if job.Timezone != "" {
		b.WriteString(sp(u) + "timezone: " + job.Timezone + "\n")
	}
	if g.pick(6) == 0 {
		g.class("workflowSpec: flow mapping")
		b.WriteString(sp(u) + "workflowSpec: " + g.flowWorkflowSpec() + "\n")
		return b.String()
	}
	b.WriteString(sp(u) + "workflowSpec:" + g.comment() + "\n")
	b.WriteString(g.headComment(2 * u))
	entries := []string{sp(2*u) + g.oneOf("entrypoint: main", "entrypoint:\n"+sp(3*u)+"main", "entrypoint: 'main'") + "\n"}
	if m := g.metrics(2 * u); m != "" {
		entries = append(entries, m)
	}
	if g.lblAnchor {
		g.class("anchors: labels anchored, aliased in podMetadata")
		entries = append(entries, sp(2*u)+"podMetadata:\n"+sp(3*u)+"labels: *lbl\n")
	}
	if g.pick(4) == 0 {
		entries = append(entries, sp(2*u)+"podGC: {strategy: OnWorkflowSuccess}"+g.comment()+"\n")
	}
	templates := g.templates(2 * u)
	if g.pick(2) == 0 {
		entries = append(entries, templates)
		g.endsInScript = g.script
	} else {
		entries = append([]string{templates}, entries...)
		g.class("order: templates before entrypoint and metrics")
	}
	for _, e := range entries {
		b.WriteString(e)
	}
	return b.String()
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// flowWorkflowSpec writes workflowSpec as a flow mapping, metrics in one of its flow spellings.
func (g *gen) flowWorkflowSpec() string {
	entries := []string{"entrypoint: main", "templates: [{name: main, container: {image: alpine, command: [sh, -c, 'echo it''s done']}}]"}
	switch g.pick(6) {
	case 0:
		entries = append(entries, "metrics: {}")
		g.class("metrics: {} in flow workflowSpec")
	case 1:
		entries = append(entries, "metrics: "+g.oneOf("null", "~", ""))
		g.class("metrics: null in flow workflowSpec")
	case 2:
		entries = append(entries, "metrics: {prometheus: []}")
		g.class("prometheus: [] in flow")
	case 3:
		entries = append(entries, "metrics: {prometheus: [{name: rows_loaded, help: 'Rows loaded', gauge: {value: '1'}}]}")
		g.class("prometheus: user metric in flow")
	}
	if g.pick(2) == 0 {
		entries[0], entries[len(entries)-1] = entries[len(entries)-1], entries[0]
	}
	return "{" + strings.Join(entries, ", ") + "}"
}

// userMetric is a metric of the user's own in block style, its dash at dash.
func (g *gen) userMetric(dash int) string {
	in := sp(dash + 1 + g.gap)
	return sp(dash) + "-" + sp(g.gap) + "name: rows_loaded\n" +
		in + "help: " + g.scalar("Rows loaded") + "\n" +
		in + "gauge:\n" + in + sp(g.unit) + "value: \"{{workflow.parameters.rows}}\"\n"
}

// metrics writes workflowSpec's metrics entry at indent i, or nothing.
func (g *gen) metrics(i int) string {
	u := g.unit
	k := sp(i) + "metrics:"
	in := sp(i + u)
	switch g.pick(24) {
	case 0, 1, 2, 3:
		g.class("metrics: absent")
		return ""
	case 4:
		g.class("metrics: empty value")
		return k + g.comment() + "\n"
	case 5:
		g.class("metrics: ~ or null")
		return k + " " + g.oneOf("~", "null", "Null") + g.comment() + "\n"
	case 6:
		g.class("metrics: tagged null")
		return k + " " + g.oneOf("!!null", "!!null null", "!<tag:yaml.org,2002:null> ~") + "\n"
	case 7:
		g.class("metrics: null on the next line")
		return k + "\n" + in + g.oneOf("null", "~") + "\n"
	case 8:
		g.class("metrics: anchored null, no alias")
		return k + " &m\n"
	case 9:
		g.class("metrics: {}")
		return k + " " + g.oneOf("{}", "{ }", "{}   # none yet") + "\n"
	case 10:
		g.class("metrics: {} on two lines")
		return k + " {\n" + in + "}\n"
	case 11:
		g.class("prometheus: empty value")
		return k + "\n" + in + "prometheus:" + g.comment() + "\n"
	case 12:
		g.class("prometheus: null")
		return k + "\n" + in + "prometheus: " + g.oneOf("null", "~", "!!null") + "\n"
	case 13:
		g.class("prometheus: []")
		return k + "\n" + in + "prometheus: " + g.oneOf("[]", "[ ]", "[]  # none") + "\n"
	case 14:
		g.class("prometheus: [] on two lines")
		return k + "\n" + in + "prometheus: [\n" + in + "]\n"
	case 15:
		g.class("prometheus: user metric in block")
		return k + "\n" + in + "prometheus:\n" + g.userMetric(i+u+g.seq)
	case 16:
		g.class("prometheus: user metric in flow on several lines, comments")
		return k + "\n" + in + "prometheus: [\n" + in + sp(u) + "# the user's\n" + in + sp(u) +
			"{name: rows_loaded, help: \"Rows loaded\", gauge: {value: '1'}} # theirs\n" + in + "]\n"
	case 17:
		g.class("metrics: flow mapping")
		return k + " {prometheus: [{name: rows_loaded, help: Rows, gauge: {value: '1'}}]}\n"
	case 18:
		g.class("keys: ? complex key")
		return sp(i) + "? metrics\n" + sp(i) + ": " + g.oneOf("null", "{}", "") + "\n"
	case 19:
		g.class("prometheus: null on the next line")
		return k + "\n" + in + "prometheus:\n" + in + sp(u) + "null\n"
	case 20:
		g.class("prometheus: user metric, help a block scalar")
		d := i + u + g.seq
		item := sp(d + 1 + g.gap)
		return k + "\n" + in + "prometheus:\n" + sp(d) + "-" + sp(g.gap) + "name: rows_loaded\n" +
			item + "help: >-\n" + item + sp(u) + "Rows loaded\n" + item + "gauge: {value: '1'}\n"
	}
	return k + g.comment() + "\n" + in + "# nothing here yet\n"
}

// templates writes workflowSpec's templates entry at indent i.
func (g *gen) templates(i int) string {
	u := g.unit
	d := i + g.seq
	item := sp(d + 1 + g.gap)
	g.script = false
	var b strings.Builder
	b.WriteString(sp(i) + "templates:\n")
	switch g.pick(5) {
	case 0:
		g.class("templates: dash alone on its line")
		b.WriteString(sp(d) + "-\n" + sp(d+u) + "name: main\n" + sp(d+u) + "container: {image: alpine, command: [\"true\"]}\n")
		return b.String()
	case 1:
		g.class("templates: container in block style")
		b.WriteString(sp(d) + "-" + sp(g.gap) + "name: main\n" + item + "container:\n" + item + sp(u) + "image: alpine\n" +
			item + sp(u) + "command:\n" + item + sp(u+g.seq) + "- echo\n")
		return b.String()
	}
	b.WriteString(sp(d) + "-" + sp(g.gap) + "name: main" + g.comment() + "\n")
	g.script = true
	chomp := g.oneOf("|", "|-", "|+", ">", "|2")
	g.class("block scalars: " + chomp)
	b.WriteString(item + "script:\n" + item + sp(u) + "image: python:3.12\n" + item + sp(u) + "source: " + chomp + "\n")
	body := item + sp(2*u)
	if chomp == "|2" {
		body = item + sp(u) + sp(2)
	}
	b.WriteString(body + "import sys   # not a comment\n")
	if g.pick(2) == 0 {
		b.WriteString("\n" + body + "  print('indented')\n")
	}
	b.WriteString(body + "print(\"done\")\n")
	if chomp == "|+" && g.pick(2) == 0 {
		b.WriteString("\n")
	}
	return b.String()
}

// jsonCron writes the job as a JSON document, pretty or on one line, its metadata and
// workflowSpec in one of the spellings of an empty or null collection.
func (g *gen) jsonCron(job Job) string {
	g.startDoc(true)
	g.class("json")
	md := []string{`"name": "` + job.Name + `"`}
	if job.Namespace != "" {
		md = append(md, `"namespace": "`+job.Namespace+`"`)
	}
	switch g.pick(4) {
	case 0:
		md = append(md, `"annotations": {}`)
		g.class("json: annotations {}")
	case 1:
		md = append(md, `"annotations": null`)
		g.class("json: annotations null")
	case 2:
		md = append(md, `"annotations": {"owner": "data"}`)
	}
	spec := []string{}
	if len(job.Schedules) > 1 {
		spec = append(spec, `"schedules": [`+strings.Join(quoteAll(job.Schedules), ", ")+`]`)
	} else {
		spec = append(spec, `"schedule": "`+job.Schedules[0]+`"`)
	}
	if job.Timezone != "" {
		spec = append(spec, `"timezone": "`+job.Timezone+`"`)
	}
	wf := []string{`"entrypoint": "main"`}
	switch g.pick(5) {
	case 0:
		wf = append(wf, `"metrics": {}`)
		g.class("json: metrics {}")
	case 1:
		wf = append(wf, `"metrics": null`)
		g.class("json: metrics null")
	case 2:
		wf = append(wf, `"metrics": {"prometheus": []}`)
		g.class("json: prometheus []")
	}
	wf = append(wf, `"templates": [{"name": "main", "container": {"image": "alpine", "command": ["true"]}}]`)
	if g.pick(2) == 0 {
		g.class("json: one line")
		return `{"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {` + strings.Join(md, ", ") +
			`}, "spec": {` + strings.Join(spec, ", ") + `, "workflowSpec": {` + strings.Join(wf, ", ") + "}}}\n"
	}
	g.class("json: pretty")
	in := func(n int) string { return sp(n * g.unit) }
	var b strings.Builder
	b.WriteString("{\n" + in(1) + `"apiVersion": "argoproj.io/v1alpha1",` + "\n" + in(1) + `"kind": "CronWorkflow",` + "\n")
	b.WriteString(in(1) + `"metadata": {` + "\n" + in(2) + strings.Join(md, ",\n"+in(2)) + "\n" + in(1) + "},\n")
	b.WriteString(in(1) + `"spec": {` + "\n" + in(2) + strings.Join(spec, ",\n"+in(2)) + ",\n")
	b.WriteString(in(2) + `"workflowSpec": {` + "\n" + in(3) + strings.Join(wf, ",\n"+in(3)) + "\n" + in(2) + "}\n" + in(1) + "}\n}\n")
	return b.String()
}
