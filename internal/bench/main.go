// Command bench measures argo-metrics-gen against floors measured in the same run, each mode
// its own process: the parse floor (a bare yaml.v3 decode of every document into a Node), pipe
// mode at 1k and 10k, the KRM function alone on a 10k ResourceList, and `kustomize build` at
// 1k without a function, with an exec function that only echoes (`cat`) and with ours. Runs
// are interleaved round by round, so load from other processes spreads over every mode; it
// prints medians and the ratios to the floors, which are what travels between machines. Run
// it with `make bench`.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/benchgen"
)

func main() {
	binary := flag.String("binary", "bin/argo-metrics-gen", "argo-metrics-gen binary to measure")
	kustomize := flag.String("kustomize", "", "kustomize binary for the build rows (none: rows skipped)")
	runs := flag.Int("runs", 5, "runs per mode (interleaved); medians are reported")
	kRuns := flag.Int("kustomize-runs", 3, "runs per kustomize build mode")
	floor := flag.String("parse-floor", "", "internal: decode every document of FILE into a yaml.v3 Node, then exit")
	wrap := flag.String("resource-list", "", "internal: write the stream FILE to stdout as a ResourceList, then exit")
	before := flag.String("before", "", "another argo-metrics-gen binary (the code before a change) measured in the same run")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up on a run after this long")
	timeExec := flag.String("time-exec", "", "internal: run the command in the remaining arguments on this process's stdin and stdout, then append its wall and CPU seconds to FILE")
	flag.Parse()
	var err error
	switch {
	case *timeExec != "":
		err = timeCommand(*timeExec, flag.Args())
	case *floor != "":
		err = parseFloor(*floor)
	case *wrap != "":
		err = resourceList(*wrap, os.Stdout)
	default:
		err = run(*binary, *before, *kustomize, *runs, *kRuns, *timeout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// timeCommand runs a function inside a Kustomize build and records what that function alone
// costs there: a build's wall time varies by more than the function takes, so its share is
// measured, not inferred from the difference of two builds.
func timeCommand(record string, command []string) error {
	if len(command) == 0 {
		return errors.New("-time-exec: no command")
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return err
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	f, err := os.OpenFile(record, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "%d %d\n", wall.Nanoseconds(), ru.Utime.Nano()+ru.Stime.Nano()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// timedMedians reads what timeCommand recorded: the median wall and CPU time of the runs.
func timedMedians(record string) (wall, cpu time.Duration, runs int, err error) {
	b, err := os.ReadFile(record)
	if err != nil {
		return 0, 0, 0, err
	}
	var walls, cpus []time.Duration
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var w, c int64
		if _, err := fmt.Sscan(line, &w, &c); err != nil {
			return 0, 0, 0, fmt.Errorf("%s: %q: %w", record, line, err)
		}
		walls, cpus = append(walls, time.Duration(w)), append(cpus, time.Duration(c))
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	return walls[len(walls)/2], cpus[len(cpus)/2], len(walls), nil
}

// parseFloor is the least any YAML-reading tool pays: one yaml.v3 parse of each document,
// single-threaded, nothing written.
func parseFloor(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := yaml.NewDecoder(bufio.NewReaderSize(f, 1<<16))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

type mode struct {
	name  string
	exe   string
	args  []string
	stdin string
	dir   string
	runs  int
	got   []measurement
}

type measurement struct {
	wall, cpu time.Duration
	rss       int64 // KiB
}

func (m *mode) median() measurement {
	var med measurement
	if len(m.got) == 0 {
		return med
	}
	walls, cpus := make([]time.Duration, len(m.got)), make([]time.Duration, len(m.got))
	for i, g := range m.got {
		walls[i], cpus[i] = g.wall, g.cpu
		med.rss = max(med.rss, g.rss)
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	med.wall, med.cpu = walls[len(walls)/2], cpus[len(cpus)/2]
	return med
}

// run measures every mode. Peak RSS is the child's high-water mark, which Linux starts at the
// parent's (the child is forked from it): this process stays small, and writes the
// ResourceList from a child of its own.
func run(binary, before, kustomize string, runs, kRuns int, timeout time.Duration) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(binary)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "argo-metrics-gen-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	stream := map[int]string{}
	for _, crons := range []int{1000, 10000} {
		stream[crons] = filepath.Join(dir, fmt.Sprintf("stream-%d.yaml", crons))
		if err := writeFile(stream[crons], func(w io.Writer) error { return benchgen.Write(w, crons, crons/5) }); err != nil {
			return err
		}
	}
	rl := filepath.Join(dir, "resourcelist-10000.yaml")
	if err := writeFile(rl, func(w io.Writer) error {
		cmd := exec.Command(self, "-resource-list", stream[10000])
		cmd.Stdout, cmd.Stderr = w, os.Stderr
		return cmd.Run()
	}); err != nil {
		return err
	}

	floor10 := &mode{name: "parse floor: yaml.v3 decode of every document", exe: self, args: []string{"-parse-floor", stream[10000]}, runs: runs}
	floor1 := &mode{name: "parse floor: yaml.v3 decode of every document", exe: self, args: []string{"-parse-floor", stream[1000]}, runs: runs}
	pipe1 := &mode{name: "argo-metrics-gen inject (pipe)", exe: abs, args: []string{"inject"}, stdin: stream[1000], runs: runs}
	pipe10 := &mode{name: "argo-metrics-gen inject (pipe)", exe: abs, args: []string{"inject"}, stdin: stream[10000], runs: runs}
	krm10 := &mode{name: "argo-metrics-gen KRM function alone, 10k-item ResourceList", exe: abs, stdin: rl, runs: runs}
	modes := []*mode{floor1, pipe1, floor10, pipe10, krm10}
	var old []*mode
	if before != "" {
		if before, err = filepath.Abs(before); err != nil {
			return err
		}
		for _, m := range []*mode{pipe1, pipe10, krm10} {
			o := *m
			o.name, o.exe = "before: "+m.name, before
			old = append(old, &o)
		}
		modes = append(modes, old...)
	}
	var plain, echo, echoOut, replayed, ours, prev, patch *mode
	var oursTimes, replayTimes string
	if kustomize != "" {
		// The fair floor for ours: echo of an input already the size of our output (the stream
		// after injection), since Kustomize parses what a function returns.
		injected := filepath.Join(dir, "stream-1000-injected.yaml")
		if err := writeFile(injected, func(w io.Writer) error {
			in, err := os.Open(stream[1000])
			if err != nil {
				return err
			}
			defer in.Close()
			cmd := exec.Command(abs, "inject")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = in, w, os.Stderr
			return cmd.Run()
		}); err != nil {
			return err
		}
		// The floor of any function that returns what ours returns: a script that drains its
		// input and writes our function's output, recorded inside the same build beforehand.
		recorded := filepath.Join(dir, "recorded.yaml")
		record, replay := filepath.Join(dir, "record.sh"), filepath.Join(dir, "replay.sh")
		// Ours and the replay run under this program's -time-exec inside their builds, so the
		// share of each build that is the function itself is measured (a Go start, ~5 ms, added
		// to both).
		self, err := os.Executable()
		if err != nil {
			return err
		}
		timedOurs, timedReplay := filepath.Join(dir, "timed-ours.sh"), filepath.Join(dir, "timed-replay.sh")
		oursTimes, replayTimes = filepath.Join(dir, "ours.times"), filepath.Join(dir, "replay.times")
		for _, f := range []struct{ path, script string }{
			{record, fmt.Sprintf("#!/bin/sh\nset -e\n'%s' | tee '%s'\n", abs, recorded)},
			{replay, fmt.Sprintf("#!/bin/sh\ncat >/dev/null\nexec cat '%s'\n", recorded)},
			{timedOurs, fmt.Sprintf("#!/bin/sh\nexec '%s' -time-exec '%s' '%s'\n", self, oursTimes, abs)},
			{timedReplay, fmt.Sprintf("#!/bin/sh\nexec '%s' -time-exec '%s' '%s'\n", self, replayTimes, replay)},
		} {
			if err := os.WriteFile(f.path, []byte(f.script), 0o755); err != nil {
				return err
			}
		}
		build := func(name, kustomization string) (*mode, error) {
			d := filepath.Join(dir, fmt.Sprintf("k-%d", len(modes)))
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, err
			}
			src := stream[1000]
			if strings.Contains(name, "injected") {
				src = injected
			}
			if err := os.Link(src, filepath.Join(d, "stream.yaml")); err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(d, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
				return nil, err
			}
			fn := "apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nmetadata:\n  name: metrics\n" +
				"  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: %s\nspec: {}\n"
			for _, f := range []struct{ name, path string }{{"echo.yaml", "/bin/cat"}, {"ours.yaml", timedOurs}, {"before.yaml", before},
				{"record.yaml", record}, {"replay.yaml", timedReplay}} {
				if err := os.WriteFile(filepath.Join(d, f.name), fmt.Appendf(nil, fn, f.path), 0o644); err != nil {
					return nil, err
				}
			}
			return &mode{name: "kustomize build: " + name, exe: kustomize, args: []string{"build", "--enable-alpha-plugins", "--enable-exec", d}, runs: kRuns}, nil
		}
		for _, b := range []struct {
			m                **mode
			name, kustomized string
		}{
			{&plain, "plain (no function)", "resources: [stream.yaml]\n"},
			{&echo, "echo exec function (cat)", "resources: [stream.yaml]\ntransformers: [echo.yaml]\n"},
			{&echoOut, "echo exec function (cat), input already injected", "resources: [stream.yaml]\ntransformers: [echo.yaml]\n"},
			{&replayed, "replay exec function (drains its input, writes our recorded output)", "resources: [stream.yaml]\ntransformers: [replay.yaml]\n"},
			{&ours, "argo-metrics-gen exec function", "resources: [stream.yaml]\ntransformers: [ours.yaml]\n"},
			{&prev, "before: argo-metrics-gen exec function", "resources: [stream.yaml]\ntransformers: [before.yaml]\n"},
			{&patch, "JSON6902 patch on kind: CronWorkflow", "resources: [stream.yaml]\npatches:\n- target: {kind: CronWorkflow}\n  patch: |\n" +
				"    - {op: add, path: /spec/workflowSpec/metrics, value: {prometheus: [{name: duration, help: Duration, gauge: {value: \"{{workflow.duration}}\"}}]}}\n"},
		} {
			if b.m == &prev && before == "" {
				continue
			}
			if *b.m, err = build(b.name, b.kustomized); err != nil {
				return err
			}
			modes = append(modes, *b.m)
			if b.m == &replayed {
				rec := *replayed
				rec.args = slices.Clone(rec.args)
				if err := os.WriteFile(filepath.Join(rec.args[len(rec.args)-1], "kustomization.yaml"), []byte("resources: [stream.yaml]\ntransformers: [record.yaml]\n"), 0o644); err != nil {
					return err
				}
				if _, err := measure(&rec, timeout); err != nil {
					return fmt.Errorf("recording our function's output: %w", err)
				}
				if err := os.WriteFile(filepath.Join(rec.args[len(rec.args)-1], "kustomization.yaml"), []byte("resources: [stream.yaml]\ntransformers: [replay.yaml]\n"), 0o644); err != nil {
					return err
				}
			}
		}
	}

	fmt.Printf("load average before: %s\n", loadavg())
	rounds := 0
	for _, m := range modes {
		rounds = max(rounds, m.runs)
	}
	for r := 0; r < rounds; r++ {
		for _, m := range modes {
			if r >= m.runs {
				continue
			}
			got, err := measure(m, timeout)
			if err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			m.got = append(m.got, got)
			fmt.Fprintf(os.Stderr, "round %d/%d: %s: %.2f s wall, %.2f s CPU\n", r+1, rounds, m.name, got.wall.Seconds(), got.cpu.Seconds())
		}
	}
	fmt.Printf("load average after:  %s\n\n", loadavg())

	fmt.Println("| mode | input | wall s (median) | CPU s | peak RSS MB | wall / floor | CPU / floor |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|")
	row := func(m *mode, input string, ref *mode) {
		g := m.median()
		wr, cr := "", ""
		if ref != nil {
			f := ref.median()
			wr, cr = fmt.Sprintf("%.2fx", g.wall.Seconds()/f.wall.Seconds()), fmt.Sprintf("%.2fx", g.cpu.Seconds()/f.cpu.Seconds())
		}
		fmt.Printf("| %s | %s | %.2f | %.2f | %.0f | %s | %s |\n", m.name, input, g.wall.Seconds(), g.cpu.Seconds(), float64(g.rss)/1024, wr, cr)
	}
	in1, in10 := describe(stream[1000], 1000), describe(stream[10000], 10000)
	row(floor1, in1, nil)
	row(pipe1, in1, floor1)
	row(floor10, in10, nil)
	row(pipe10, in10, floor10)
	row(krm10, "ResourceList of the 10k stream", pipe10)
	if kustomize != "" {
		row(plain, in1, nil)
		row(echo, in1, plain)
		row(echoOut, "the same, after injection", plain)
		row(ours, in1, echo)
		row(ours, in1+"; to the echo of the injected input", echoOut)
		row(replayed, in1, echo)
		row(ours, in1+"; to the replay of our output", replayed)
		row(patch, in1, plain)
		if prev != nil {
			row(prev, in1, echo)
		}
	}
	if before != "" {
		row(old[0], in1, floor1)
		row(old[1], in10, floor10)
		row(old[2], "ResourceList of the 10k stream", old[1])
	}
	if kustomize != "" {
		fmt.Println()
		for _, f := range []struct {
			name, record string
			build        *mode
		}{{"argo-metrics-gen", oursTimes, ours}, {"the replay", replayTimes, replayed}} {
			wall, cpu, n, err := timedMedians(f.record)
			if err != nil {
				return err
			}
			b := f.build.median()
			fmt.Printf("Inside its kustomize build, %s as a process of its own (median of %d): %.3f s wall, %.3f s CPU: %.1f %% of the build's wall, %.1f %% of its CPU.\n",
				f.name, n, wall.Seconds(), cpu.Seconds(), 100*wall.Seconds()/b.wall.Seconds(), 100*cpu.Seconds()/b.cpu.Seconds())
		}
	}
	fmt.Println()
	fmt.Printf("Pipe mode, 10x the input: %.1fx the wall time (linear is 10x).\n", pipe10.median().wall.Seconds()/pipe1.median().wall.Seconds())
	fmt.Println("Ratios: pipe rows to the parse floor of the same stream; the KRM function to pipe mode at 10k;")
	fmt.Println("the echo functions and the JSON6902 patch to the plain build; ours to the echo function, and to the")
	fmt.Println("echo of the already-injected stream (Kustomize parses our output, ~3x the input), and to the replay")
	fmt.Println("of our recorded output (the same build with a function that costs nothing: the floor for our output).")
	return nil
}

func describe(path string, crons int) string {
	st, _ := os.Stat(path)
	return fmt.Sprintf("%dk CronWorkflows + %d others, %.1f MB", crons/1000, crons/5, float64(st.Size())/1e6)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// resourceList wraps the stream's documents in a ResourceList the way Kustomize hands it to a
// function: each item annotated with its file and index, our ArgoMetricsConfig as functionConfig.
func resourceList(stream string, w io.Writer) error {
	f, err := os.Open(stream)
	if err != nil {
		return err
	}
	defer f.Close()
	nodes, err := (&kio.ByteReader{Reader: f, OmitReaderAnnotations: true}).Read()
	if err != nil {
		return err
	}
	for i, n := range nodes {
		for k, v := range map[string]string{
			kioutil.PathAnnotation: "stream.yaml", kioutil.LegacyPathAnnotation: "stream.yaml",
			kioutil.IndexAnnotation: fmt.Sprint(i), kioutil.LegacyIndexAnnotation: fmt.Sprint(i),
			kioutil.IdAnnotation: fmt.Sprint(i), kioutil.LegacyIdAnnotation: fmt.Sprint(i),
		} {
			if err := n.PipeE(kyaml.SetAnnotation(k, v)); err != nil {
				return err
			}
		}
	}
	fnConfig, err := kyaml.Parse("apiVersion: argo-metrics-gen.io/v1alpha1\nkind: ArgoMetricsConfig\nmetadata:\n  name: metrics\n" +
		"  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: argo-metrics-gen\nspec: {}\n")
	if err != nil {
		return err
	}
	return (&kio.ByteWriter{Writer: w, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion, FunctionConfig: fnConfig}).Write(nodes)
}

var errTimeout = errors.New("timed out")

// measure runs a mode once, its output discarded. CPU is user + system time of the process and
// the children it waited for; peak RSS the largest of them.
func measure(m *mode, timeout time.Duration) (measurement, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.exe, m.args...)
	if m.stdin != "" {
		in, err := os.Open(m.stdin)
		if err != nil {
			return measurement{}, err
		}
		defer in.Close()
		cmd.Stdin = in
	}
	cmd.Stdout = io.Discard
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if ctx.Err() != nil {
		return measurement{}, errTimeout
	}
	if err != nil {
		return measurement{}, fmt.Errorf("%v: %s", err, stderr.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return measurement{wall: wall, cpu: cpu, rss: ru.Maxrss}, nil
}
