// Command bench measures, on the benchmark stream (internal/benchgen), argo-metrics-gen's pipe
// mode, its KRM function inside an in-process Kustomize build, Kustomize's builtin JSON6902
// patch targeting kind: CronWorkflow (in-process), and a bare kyaml round trip, and prints a
// Markdown table: wall time and peak RSS of each mode as its own process, best of -runs. Run it
// with `make bench`.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/benchgen"
)

func main() {
	binary := flag.String("binary", "bin/argo-metrics-gen", "argo-metrics-gen binary to measure")
	runs := flag.Int("runs", 3, "runs per measurement; the best is reported")
	roundTrip := flag.String("kyaml-round-trip", "", "internal: read and write FILE with kyaml, then exit")
	build := flag.String("kustomize-build", "", "internal: build the kustomization in DIR in-process, then exit")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up on a mode after this long")
	flag.Parse()
	var err error
	switch {
	case *roundTrip != "":
		err = kyamlRoundTrip(*roundTrip)
	case *build != "":
		err = kustomizeBuild(*build)
	default:
		err = run(*binary, *runs, *timeout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// kustomizeBuild is `kustomize build --enable-alpha-plugins --enable-exec DIR` in-process.
func kustomizeBuild(dir string) error {
	opts := krusty.MakeDefaultOptions()
	opts.PluginConfig = types.EnabledPluginConfig(types.BploUseStaticallyLinked)
	opts.PluginConfig.FnpLoadingOptions.EnableExec = true
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return err
	}
	_, err = m.AsYaml()
	return err
}

// kustomizations writes, next to the stream, one kustomization running our function as an exec
// transformer and one applying a JSON6902 patch that adds a fixed metrics block to every
// CronWorkflow (what a team would write by hand; it cannot bake in each job's name).
func kustomizations(dir, stream, binary string) (fn, patch string, err error) {
	fn, patch = filepath.Join(dir, "fn"), filepath.Join(dir, "patch")
	for _, d := range []string{fn, patch} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", "", err
		}
		if err := os.Link(stream, filepath.Join(d, "stream.yaml")); err != nil {
			return "", "", err
		}
	}
	abs, err := filepath.Abs(binary)
	if err != nil {
		return "", "", err
	}
	files := map[string]string{
		filepath.Join(fn, "kustomization.yaml"): "resources: [stream.yaml]\ntransformers: [metrics.yaml]\n",
		filepath.Join(fn, "metrics.yaml"): "apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nmetadata:\n  name: metrics\n" +
			"  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: " + abs + "\nspec: {}\n",
		filepath.Join(patch, "kustomization.yaml"): `resources: [stream.yaml]
patches:
- target: {kind: CronWorkflow}
  patch: |
    - op: add
      path: /spec/workflowSpec/metrics
      value:
        prometheus:
        - {name: exit_code, help: "Exit code", labels: [{key: namespace, value: "{{workflow.namespace}}"}], when: "{{status}} == Succeeded", gauge: {value: "0"}}
        - {name: exit_code, help: "Exit code", labels: [{key: namespace, value: "{{workflow.namespace}}"}], when: "{{status}} != Succeeded", gauge: {value: "1"}}
        - {name: duration, help: "Duration", labels: [{key: namespace, value: "{{workflow.namespace}}"}], gauge: {value: "{{workflow.duration}}"}}
`,
	}
	for name, content := range files {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			return "", "", err
		}
	}
	return fn, patch, nil
}

// kyamlRoundTrip is what any kio-based tool pays before it does any work.
func kyamlRoundTrip(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return kio.Pipeline{
		Inputs:  []kio.Reader{&kio.ByteReader{Reader: f, OmitReaderAnnotations: true}},
		Outputs: []kio.Writer{&kio.ByteWriter{Writer: io.Discard}},
	}.Execute()
}

type measurement struct {
	wall time.Duration
	rss  int64 // KiB
}

func run(binary string, runs int, timeout time.Duration) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "argo-metrics-gen-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Println("| mode | CronWorkflows + other docs | input MB | wall s | peak RSS MB |")
	fmt.Println("|---|---|---:|---:|---:|")
	pipe := map[int]measurement{}
	for _, crons := range []int{1000, 10000} {
		others := crons / 5
		sub := filepath.Join(dir, fmt.Sprint(crons))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		path := filepath.Join(sub, "stream.yaml")
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := benchgen.Write(f, crons, others); err != nil {
			return err
		}
		f.Close()
		fnDir, patchDir, err := kustomizations(sub, path, binary)
		if err != nil {
			return err
		}
		st, _ := os.Stat(path)
		mb := float64(st.Size()) / 1e6
		modes := []struct {
			name string
			exe  string
			args []string
		}{
			{"argo-metrics-gen inject (pipe)", binary, []string{"inject"}},
			{"kustomize build + argo-metrics-gen KRM function (in-process krusty)", self, []string{"-kustomize-build", fnDir}},
			{"kustomize build + JSON6902 patch on kind: CronWorkflow (in-process krusty)", self, []string{"-kustomize-build", patchDir}},
			{"bare kyaml read/write round trip", self, []string{"-kyaml-round-trip", path}},
		}
		for _, m := range modes {
			best, err := measure(m.exe, m.args, path, runs, timeout)
			row := fmt.Sprintf("| %s | %d + %d | %.1f |", m.name, crons, others, mb)
			switch {
			case err == errTimeout:
				fmt.Printf("%s > %.0f | (stopped) |\n", row, timeout.Seconds())
				continue
			case err != nil:
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if m.exe == binary {
				pipe[crons] = best
			}
			fmt.Printf("%s %.2f | %.0f |\n", row, best.wall.Seconds(), float64(best.rss)/1024)
		}
	}
	ratio := pipe[10000].wall.Seconds() / pipe[1000].wall.Seconds()
	fmt.Printf("\nPipe mode, 10x the input: %.1fx the time (linear is 10x).\n", ratio)
	return nil
}

var errTimeout = errors.New("timed out")

// measure runs exe with stdin from input and stdout discarded; it returns the fastest run and
// the largest peak RSS seen. A run longer than timeout is stopped and reported as such.
func measure(exe string, args []string, input string, runs int, timeout time.Duration) (measurement, error) {
	var best measurement
	for i := 0; i < runs; i++ {
		in, err := os.Open(input)
		if err != nil {
			return best, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Stdin = in
		cmd.Stdout = io.Discard
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		err = cmd.Run()
		wall := time.Since(start)
		in.Close()
		timedOut := ctx.Err() != nil
		cancel()
		if timedOut {
			return best, errTimeout
		}
		if err != nil {
			return best, fmt.Errorf("%v: %s", err, stderr.String())
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
		if i == 0 || wall < best.wall {
			best.wall = wall
		}
		best.rss = max(best.rss, rss)
		if wall > timeout/3 {
			break // one run of a slow mode is enough
		}
	}
	return best, nil
}
