package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/krm"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

type injectFlags struct {
	commonFlags
	inPlace bool
	check   bool
	verbose bool
}

func runInject(args []string, env Env) int {
	var f injectFlags
	fs := pflag.NewFlagSet("inject", pflag.ContinueOnError)
	f.register(fs)
	fs.BoolVarP(&f.inPlace, "in-place", "i", false, "rewrite the files that change instead of writing the stream to stdout")
	fs.BoolVar(&f.check, "check", false, "write nothing; list the files that would change and exit 1 if any")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "report what happened to each resource on stderr")
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, "Usage: argo-metrics-gen inject [flags] [PATH...]\n\nFlags:\n"+fs.FlagUsages())
	}
	if done, code := parseFlags(fs, args, env); done {
		return code
	}
	if f.inPlace && f.check {
		return fail(env, errors.New("--in-place and --check are exclusive"))
	}
	cfg, err := f.load()
	if err != nil {
		return fail(env, err)
	}
	inputs, skips, err := readInputs(fs.Args(), env.Stdin)
	if err != nil {
		return fail(env, err)
	}
	// Flags and a ResourceList on stdin: a KRM function given its configuration as args
	// (`exec: {path: argo-metrics-gen, args: [--config, values.yaml]}`).
	if len(args) > 0 && fs.NArg() == 0 && !f.inPlace && !f.check && len(inputs) == 1 {
		pipeMemory(inputs)
		if code, ok := function(inputs[0].data, env, cfg); ok {
			return code
		}
	}
	reportSkips(env, skips)
	if f.inPlace {
		for _, in := range inputs {
			if in.path == "" {
				return fail(env, errors.New("--in-place needs file or directory paths, not stdin"))
			}
		}
	}
	injector := &inject.Injector{Config: cfg}
	pipeMemory(inputs)

	// Everything is computed before anything is written: an error in any file leaves every
	// file, and stdout, untouched. Every file is tried, so one run reports every problem.
	results := make([]*inject.StreamResult, len(inputs))
	var errs []error
	for i, in := range inputs {
		r, err := injector.Stream(in.data)
		if err != nil {
			errs = append(errs, inputError(err, in))
			continue
		}
		if r.Changed && in.path != "" && (f.inPlace || f.check) {
			if line, action := helmTemplate(in.data); line > 0 {
				errs = append(errs, fmt.Errorf("%s:%d: an unrendered Helm template (%s): injecting would add {{workflow.*}} actions that Helm reads as its own; render it first, or inject with the post-renderer", in.name, line, action))
				continue
			}
		}
		results[i] = r
	}
	if len(errs) > 0 {
		wrote := ""
		if f.inPlace {
			wrote = "; nothing written"
		}
		return reportFailures(env, errs, wrote)
	}
	for i, r := range results {
		for _, rep := range r.Reports {
			if rep.Warn && !f.verbose {
				fmt.Fprintf(env.Stderr, "%s:%d: warning: %s\n", inputs[i].name, rep.Line, rep.Reason)
			}
		}
	}
	if f.verbose {
		// After every file succeeded: nothing is reported as done that is not then written.
		fallbacks := 0
		for i, r := range results {
			for _, rep := range r.Reports {
				fmt.Fprintf(env.Stderr, "%s:%d: %s: %s%s\n", inputs[i].name, rep.Line, rep.Resource(), verb(rep.Action, f.check), reason(rep))
			}
			fallbacks += r.Fallbacks
		}
		fmt.Fprintf(env.Stderr, "argo-metrics-gen: %d file(s), %d document(s) re-encoded (fallback), the rest spliced\n", len(inputs), fallbacks)
	}

	switch {
	case f.check:
		changed := 0
		for i, r := range results {
			if r.Changed {
				fmt.Fprintln(env.Stdout, inputs[i].name)
				changed++
			}
		}
		if changed > 0 {
			return ExitChanges
		}
		return ExitOK
	case f.inPlace:
		type write struct {
			target string
			i      int
		}
		var writes []write
		for i, r := range results {
			if !r.Changed {
				continue
			}
			target, err := writeTarget(inputs[i].path, inputs[i].root)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			writes = append(writes, write{target, i})
		}
		if len(errs) > 0 {
			return reportFailures(env, errs, "; nothing written")
		}
		for _, w := range writes {
			if err := writeAtomic(w.target, results[w.i].Bytes(), inputs[w.i].mode); err != nil {
				return fail(env, err)
			}
		}
		return ExitOK
	}
	out := bufio.NewWriterSize(env.Stdout, 1<<16)
	endsInNewline := true
	for i, r := range results {
		if i > 0 && len(r.Pieces) > 0 {
			if !endsInNewline {
				out.WriteString("\n")
			}
			if !bytes.HasPrefix(r.Pieces[0], []byte("---")) {
				out.WriteString("---\n") // keep documents of consecutive files apart
			}
		}
		r.WriteTo(out)
		if n := len(r.Pieces); n > 0 && len(r.Pieces[n-1]) > 0 {
			last := r.Pieces[n-1]
			endsInNewline = last[len(last)-1] == '\n'
		}
	}
	if err := out.Flush(); err != nil {
		return fail(env, err)
	}
	return ExitOK
}

// pipeHeadroom is the memory limit over 4x the input in pipe mode. It was 64 MiB until the
// parser's scalars came to share their document's text, which left the same CPU at 56 MiB and
// peak RSS on the 10k stream 145 -> 137 MB.
const pipeHeadroom = 56 << 20

// pipeMemory sets the collector for pipe mode and the KRM byte path, whose live heap is little
// more than the input and its output: the limit has pipeHeadroom over 4x the input, and the
// collector runs when the heap has grown 5x (GOGC=400) instead of 2x, so it starts late and then
// works as the limit nears. Against GOGC=100 and 48 MiB over: on the 12.7 MB benchmark stream
// about 15 % less CPU, peak RSS 124 -> 137 MB; on its 15.5 MB ResourceList about 6 % less CPU,
// 136 -> 155 MB. GOGC and GOMEMLIMIT, when set, win.
func pipeMemory(inputs []*input) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(pipeHeadroom + 4*inputSize(inputs))
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

func inputSize(inputs []*input) int64 {
	var n int64
	for _, in := range inputs {
		n += int64(len(in.data))
	}
	return n
}

// verb is an action as -v reports it: what --check would do is not done.
func verb(a inject.Action, check bool) string {
	if check && (a == inject.Injected || a == inject.Updated) {
		return "would be " + string(a)
	}
	return string(a)
}

func reason(r inject.Report) string {
	if r.Reason == "" {
		return ""
	}
	return " (" + r.Reason + ")"
}

func withFile(err error, name string) error {
	var e *inject.Error
	if errors.As(err, &e) {
		c := *e
		c.File = name
		return &c
	}
	return fmt.Errorf("%s: %w", name, err)
}

// runDefault is the no-argument mode: a KRM function when stdin is a ResourceList, otherwise a
// filter from stdin to stdout (Helm v3 calls post-renderers this way).
func runDefault(env Env) int {
	data, err := readAll(env.Stdin)
	if err != nil {
		return fail(env, fmt.Errorf("reading stdin: %w", err))
	}
	pipeMemory([]*input{{data: data}})
	if code, ok := function(data, env, nil); ok {
		return code
	}
	return runInject(nil, Env{Stdin: bytes.NewReader(data), Stdout: env.Stdout, Stderr: env.Stderr})
}

// function runs as a KRM function when data is a ResourceList (ok), with --config's
// configuration (cfg; nil: functionConfig's).
func function(data []byte, env Env, cfg *config.Config) (code int, ok bool) {
	if pieces, ok := krm.BytesWith(data, cfg); ok {
		out := bufio.NewWriterSize(env.Stdout, 1<<16) // one write per piece would be one per item
		for _, p := range pieces {
			out.Write(p)
		}
		if err := out.Flush(); err != nil {
			return fail(env, fmt.Errorf("writing stdout: %w", err)), true
		}
		return ExitOK, true
	}
	if root, offset := resourceList(data); root != nil {
		if os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(math.MaxInt64) // kyaml's framework holds every item as an RNode
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(100) // and would hold 5x its live heap under pipe mode's pace
			}
		}
		return runFunction(data, root, offset, env, cfg), true
	}
	return 0, false
}
