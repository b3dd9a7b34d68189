package routes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"k8s.io/client-go/util/jsonpath"
)

// block is one fenced code block of a Markdown file, with the HTML comment right above it.
type block struct {
	file, lang, marker, text string
	line                     int
}

var commentRE = regexp.MustCompile(`^<!--\s*(.*?)\s*-->$`)

// blocks returns the fenced blocks of data between the line startHeading (or the start) and the
// next heading of the same level (or the end). Indented fences (in list items) are un-indented.
func blocks(file string, data []byte, startHeading string) []block {
	lines := strings.Split(string(data), "\n")
	from, level := 0, ""
	if startHeading != "" {
		from = -1
		for i, l := range lines {
			if l == startHeading {
				from, level = i+1, strings.SplitAfter(startHeading, " ")[0]
				break
			}
		}
		if from < 0 {
			return nil
		}
	}
	var out []block
	marker := ""
	for i := from; i < len(lines); i++ {
		l := lines[i]
		if level != "" && strings.HasPrefix(l, level) {
			break
		}
		trimmed := strings.TrimSpace(l)
		if m := commentRE.FindStringSubmatch(trimmed); m != nil {
			marker = m[1]
			continue
		}
		if !strings.HasPrefix(trimmed, "```") {
			if trimmed != "" {
				marker = ""
			}
			continue
		}
		indent := len(l) - len(strings.TrimLeft(l, " "))
		b := block{file: file, lang: strings.TrimPrefix(trimmed, "```"), marker: marker, line: i + 1}
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, strings.TrimPrefix(lines[i], strings.Repeat(" ", indent)))
		}
		b.text = strings.Join(body, "\n") + "\n"
		out = append(out, b)
		marker = ""
	}
	return out
}

// docFiles are the documents whose sh blocks the tests run: docs/*.md, the README's
// troubleshooting section (its cluster commands), and the READMEs of the examples and
// integrations.
func docFiles(t *testing.T) map[string][]block {
	t.Helper()
	all := map[string][]block{}
	readme := blocks("README.md", readFile(t, rootPath("README.md")), "## Troubleshooting: the metrics do not show up")
	if len(readme) == 0 {
		t.Fatal(`README.md has no "## Troubleshooting: the metrics do not show up" section with code blocks`)
	}
	all["README.md"] = readme
	for _, pattern := range []string{"docs/*.md", "examples/*/README.md", "integrations/*/README.md"} {
		files, _ := filepath.Glob(rootPath(pattern))
		for _, f := range files {
			rel, _ := filepath.Rel(root, f)
			if strings.HasPrefix(rel, "examples/quickstart/") {
				continue
			}
			all[filepath.ToSlash(rel)] = blocks(rel, readFile(t, f), "")
		}
	}
	for _, dir := range []string{"examples/plain", "examples/kustomize-seed002", "examples/helm-postrenderer", "examples/helm-values", "examples/argocd", "examples/ci", "integrations/helm-plugin", "integrations/argocd-cmp"} {
		if _, ok := all[dir+"/README.md"]; !ok {
			t.Errorf("%s has no README.md", dir)
		}
	}
	return all
}

// TestDocsCommands runs every sh block of the docs, in order per document, from the root of a
// copy of the repository, with bash -euo pipefail: each must succeed. Blocks marked
// <!-- helm 4 --> get helm v4 on PATH, the others helm v3; blocks marked <!-- cluster --> need a
// cluster and are checked by TestDocsClusterCommands.
func TestDocsCommands(t *testing.T) {
	need(t)
	for file, bs := range docFiles(t) {
		t.Run(file, func(t *testing.T) {
			repo := repoCopy(t)
			helmHome := t.TempDir()
			env := []string{
				"HELM_DATA_HOME=" + filepath.Join(helmHome, "data"),
				"HELM_CONFIG_HOME=" + filepath.Join(helmHome, "config"),
				"HELM_CACHE_HOME=" + filepath.Join(helmHome, "cache"),
			}
			ran := 0
			for _, b := range bs {
				if b.lang != "sh" {
					continue
				}
				path := tools.pathHelm3
				switch b.marker {
				case "cluster":
					continue
				case "helm 4":
					path = tools.pathHelm4
				case "":
				default:
					t.Errorf("%s:%d: unknown marker %q", file, b.line, b.marker)
					continue
				}
				r := run(t, cmd{dir: repo, env: env, path: []string{path}}, "bash", "-euo", "pipefail", "-c", b.text)
				if r.code != 0 {
					t.Errorf("%s:%d:\n%s\n%s", file, b.line, b.text, r)
				}
				ran++
			}
			if want := minBlocks(file); ran < want {
				t.Errorf("%s: %d sh blocks ran, want at least %d", file, ran, want)
			}
		})
	}
	// The CI snippets shown in the docs are the files the tests run.
	for _, b := range docFiles(t)["docs/routes.md"] {
		for prefix, file := range map[string]string{"#!/usr/bin/env bash\n": "examples/ci/ci.sh", "# .github/workflows/": "examples/ci/github-actions.yaml"} {
			if strings.HasPrefix(b.text, prefix) && b.text != string(readFile(t, rootPath(file))) {
				t.Errorf("docs/routes.md:%d differs from %s", b.line, file)
			}
		}
	}
}

// minBlocks is how many sh blocks a document must have run: the routes page holds the commands
// of every route; an example's or integration's README at least one; the README and the other
// docs may hold none (the README's troubleshooting commands need a cluster).
func minBlocks(file string) int {
	switch {
	case file == "docs/routes.md":
		return 12
	case strings.HasPrefix(file, "examples/"), strings.HasPrefix(file, "integrations/"):
		return 1
	}
	return 0
}

// commands splits a block into commands, joining backslash continuations and dropping comments.
func commands(text string) []string {
	var out []string
	cur := ""
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if cur == "" && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if strings.HasSuffix(t, "\\") {
			cur += strings.TrimSuffix(t, "\\")
			continue
		}
		out = append(out, cur+t)
		cur = ""
	}
	return out
}

// chartCheck renders charts/batch-monitoring (upstream flavour) and returns the endpoints check
// annotation of its Service: check name -> instance settings.
func chartCheck(t *testing.T) (annotation string, checks map[string]struct {
	Instances []map[string]any `json:"instances"`
}) {
	t.Helper()
	out := ok(t, cmd{}, tools.helm3, "template", "bm", rootPath("charts/batch-monitoring"), "--namespace", "argo", "--set", "controller.flavour=upstream")
	for _, svc := range ofKind(docs(t, []byte(out)), "Service") {
		for k, v := range get(svc, "metadata", "annotations").(map[string]any) {
			if strings.HasPrefix(k, "ad.datadoghq.com/") {
				if err := json.Unmarshal([]byte(v.(string)), &checks); err != nil {
					t.Fatal(err)
				}
				return k, checks
			}
		}
	}
	t.Fatal("charts/batch-monitoring renders no Service with a Datadog check")
	return "", nil
}

// grepE runs grep -E pattern over input and returns the matching lines.
func grepE(t *testing.T, pattern, input string) []string {
	t.Helper()
	r := run(t, cmd{stdin: []byte(input)}, "grep", "-E", pattern)
	if r.code > 1 {
		t.Fatalf("grep -E %q: %s", pattern, r)
	}
	if r.stdout == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
}

// argoMetricErrors returns the messages the workflow-controller of the Argo version this project
// builds against logs when it refuses a metric (reportMetricEmissionError in operator.go), with
// their %s verbs filled in.
func argoMetricErrors(t *testing.T) []string {
	t.Helper()
	dir := strings.TrimSpace(ok(t, cmd{dir: root}, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/argoproj/argo-workflows/v3"))
	src := string(readFile(t, filepath.Join(dir, "workflow", "controller", "operator.go")))
	re := regexp.MustCompile(`reportMetricEmissionError\((?:fmt\.Sprintf\()?"((?:[^"\\]|\\.)*)"`)
	var msgs []string
	for _, m := range re.FindAllStringSubmatch(src, -1) {
		msgs = append(msgs, strings.ReplaceAll(m[1], "%s", "x"))
	}
	if len(msgs) < 8 {
		t.Fatalf("found only %d metric error messages in %s", len(msgs), dir)
	}
	return msgs
}

// TestDocsClusterCommands checks every line of the docs' <!-- cluster --> blocks against what
// can be known offline; a line no check understands fails the test.
func TestDocsClusterCommands(t *testing.T) {
	need(t)
	annotation, checks := chartCheck(t)
	var endpoint *url.URL
	for _, c := range checks {
		u, err := url.Parse(strings.ReplaceAll(fmt.Sprint(c.Instances[0]["openmetrics_endpoint"]), "%%host%%", "localhost"))
		if err != nil {
			t.Fatal(err)
		}
		endpoint = u
	}
	preview := ok(t, cmd{}, amg, "preview", "--status", "Succeeded", rootPath(seed002+"/golden/prd.yaml"))

	portForward := regexp.MustCompile(`^kubectl -n \S+ port-forward deploy/\S+ (\d+):(\d+) &$`)
	curl := regexp.MustCompile(`^curl -sk (https?://localhost:\d+/\S*) \| grep -E '(.+)'$`)
	logs := regexp.MustCompile(`^kubectl -n \S+ logs deploy/workflow-controller \| grep -E "(.+)"$`)
	conditions := regexp.MustCompile(`^kubectl get workflows -A -o jsonpath='(.+)' \| grep -v ': \$'$`)
	clusterChecks := regexp.MustCompile(`^kubectl -n datadog exec deploy/datadog-cluster-agent -- datadog-cluster-agent clusterchecks$`)
	agent := regexp.MustCompile(`^kubectl -n datadog exec <agent-pod> -c agent -- agent (status|check (\S+))$`)

	checked := 0
	for _, b := range docFiles(t)["README.md"] {
		if b.marker != "cluster" {
			continue
		}
		for _, c := range commands(b.text) {
			checked++
			switch {
			case portForward.MatchString(c):
				m := portForward.FindStringSubmatch(c)
				if m[2] != endpoint.Port() {
					t.Errorf("%q forwards to port %s, the controller's metrics port is %s", c, m[2], endpoint.Port())
				}
			case curl.MatchString(c):
				m := curl.FindStringSubmatch(c)
				u, _ := url.Parse(m[1])
				if u.Scheme != endpoint.Scheme || u.Port() != endpoint.Port() || u.Path != endpoint.Path {
					t.Errorf("%q: the chart scrapes %s", c, endpoint)
				}
				var want []string
				for _, l := range strings.Split(preview, "\n") {
					if strings.HasPrefix(l, "argo_workflows_") {
						want = append(want, l)
					}
				}
				if got := grepE(t, m[2], preview); len(want) != 8 || strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("the /metrics grep selects %q, want the 8 metric lines of preview %q", got, want)
				}
			case logs.MatchString(c):
				pattern := logs.FindStringSubmatch(c)[1]
				for _, msg := range argoMetricErrors(t) {
					if len(grepE(t, pattern, msg+"\n")) != 1 {
						t.Errorf("the log grep misses the controller's message %q", msg)
					}
				}
				if len(grepE(t, pattern, "level=info msg=\"Processing workflow\" namespace=argo workflow=x\n")) != 0 {
					t.Error("the log grep matches ordinary lines")
				}
			case conditions.MatchString(c):
				j := jsonpath.New("docs").AllowMissingKeys(true)
				if err := j.Parse(conditions.FindStringSubmatch(c)[1]); err != nil {
					t.Fatalf("%q: %v", c, err)
				}
				list := map[string]any{"items": []any{
					map[string]any{"metadata": map[string]any{"namespace": "data", "name": "nightly-report-1"},
						"status": map[string]any{"conditions": []any{
							map[string]any{"type": "PodRunning", "status": "False"},
							map[string]any{"type": "MetricsError", "status": "True", "message": "unable to substitute parameters for metric 'exit_code': failed to resolve {{exitCode}}"},
						}}},
					map[string]any{"metadata": map[string]any{"namespace": "data", "name": "nightly-report-2"},
						"status": map[string]any{"conditions": []any{map[string]any{"type": "PodRunning", "status": "False"}}}},
				}}
				var buf bytes.Buffer
				if err := j.Execute(&buf, list); err != nil {
					t.Fatal(err)
				}
				r := run(t, cmd{stdin: buf.Bytes()}, "grep", "-v", ": $")
				if want := "data/nightly-report-1: unable to substitute parameters for metric 'exit_code': failed to resolve {{exitCode}}\n"; r.stdout != want {
					t.Errorf("the MetricsError query prints %q, want %q", r.stdout, want)
				}
			case clusterChecks.MatchString(c):
				if annotation != "ad.datadoghq.com/endpoints.checks" {
					t.Errorf("%q is for endpoints checks; the chart renders %s", c, annotation)
				}
			case agent.MatchString(c):
				name := agent.FindStringSubmatch(c)[2]
				if _, ok := checks["argo_workflows"]; !ok || (name != "" && name != "argo_workflows") {
					t.Errorf("%q: the chart's check is %v", c, checks)
				}
			default:
				t.Errorf("README.md:%d: no offline check for the cluster command %q", b.line, c)
			}
		}
	}
	if checked < 7 {
		t.Errorf("only %d cluster commands found", checked)
	}
}
