// Command bench measures argo-metrics-gen's pipe mode against a bare kyaml round trip on the
// benchmark stream (internal/benchgen) and prints a Markdown table: wall time and peak RSS of
// each mode as its own process, best of -runs. Run it with `make bench`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/benchgen"
)

func main() {
	binary := flag.String("binary", "bin/argo-metrics-gen", "argo-metrics-gen binary to measure")
	runs := flag.Int("runs", 3, "runs per measurement; the best is reported")
	roundTrip := flag.String("kyaml-round-trip", "", "internal: read and write FILE with kyaml, then exit")
	flag.Parse()
	if *roundTrip != "" {
		if err := kyamlRoundTrip(*roundTrip); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if err := run(*binary, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
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

func run(binary string, runs int) error {
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
		path := filepath.Join(dir, fmt.Sprintf("stream-%d.yaml", crons))
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := benchgen.Write(f, crons, others); err != nil {
			return err
		}
		f.Close()
		st, _ := os.Stat(path)
		mb := float64(st.Size()) / 1e6
		modes := []struct {
			name string
			args []string
			exe  string
		}{
			{"argo-metrics-gen inject (pipe)", []string{"inject"}, binary},
			{"bare kyaml read/write round trip", []string{"-kyaml-round-trip", path}, self},
		}
		for _, m := range modes {
			best, err := measure(m.exe, m.args, path, runs)
			if err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if m.exe == binary {
				pipe[crons] = best
			}
			fmt.Printf("| %s | %d + %d | %.1f | %.2f | %.0f |\n", m.name, crons, others, mb, best.wall.Seconds(), float64(best.rss)/1024)
		}
	}
	ratio := pipe[10000].wall.Seconds() / pipe[1000].wall.Seconds()
	fmt.Printf("\nPipe mode, 10x the input: %.1fx the time (linear is 10x).\n", ratio)
	return nil
}

// measure runs exe with stdin from input and stdout discarded; it returns the fastest run and
// the largest peak RSS seen.
func measure(exe string, args []string, input string, runs int) (measurement, error) {
	var best measurement
	for i := 0; i < runs; i++ {
		in, err := os.Open(input)
		if err != nil {
			return best, err
		}
		cmd := exec.Command(exe, args...)
		cmd.Stdin = in
		cmd.Stdout = io.Discard
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		err = cmd.Run()
		wall := time.Since(start)
		in.Close()
		if err != nil {
			return best, fmt.Errorf("%v: %s", err, stderr.String())
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
		if i == 0 || wall < best.wall {
			best.wall = wall
		}
		best.rss = max(best.rss, rss)
	}
	return best, nil
}
