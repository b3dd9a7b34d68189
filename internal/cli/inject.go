package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"

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
		for i, r := range results {
			for _, rep := range r.Reports {
				fmt.Fprintf(env.Stderr, "%s:%d: %s: %s%s\n", inputs[i].name, rep.Line, rep.Resource(), verb(rep.Action, f.check), reason(rep))
			}
		}
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
		outs := make([][]byte, len(writes))
		for k, w := range writes {
			outs[k] = results[w.i].Bytes()
			if err := inject.CheckStream(outs[k], inject.Documents(inputs[w.i].data)); err != nil {
				errs = append(errs, withFile(err, inputs[w.i].name))
			}
		}
		if len(errs) > 0 {
			return reportFailures(env, errs, "; nothing written")
		}
		for k, w := range writes {
			if err := writeAtomic(w.target, outs[k], inputs[w.i].mode); err != nil {
				return fail(env, err)
			}
		}
		return ExitOK
	}
	var out bytes.Buffer
	size := 0
	for _, r := range results {
		for _, p := range r.Pieces {
			size += len(p)
		}
	}
	out.Grow(size + 5*len(results)) // the separators between files too: one copy, at its size
	documents := 0
	for i, r := range results {
		if i > 0 && len(r.Pieces) > 0 {
			sep := ""
			if !endsInBreak(out.Bytes()) {
				sep = "\n"
			}
			if !bytes.HasPrefix(r.Pieces[0], []byte("---")) {
				sep += "---\n" // keep documents of consecutive files apart
			}
			out.WriteString(sep)
		}
		r.WriteTo(&out)
		documents += inject.Documents(inputs[i].data)
	}
	if err := inject.CheckStream(out.Bytes(), documents); err != nil {
		return fail(env, err)
	}
	if _, err := env.Stdout.Write(out.Bytes()); err != nil {
		return fail(env, err)
	}
	return ExitOK
}

// endsInBreak reports whether text is empty or ends with a line break.
func endsInBreak(text []byte) bool {
	return len(text) == 0 || text[len(text)-1] == '\n' || text[len(text)-1] == '\r' ||
		bytes.HasSuffix(text, []byte("\u0085")) || bytes.HasSuffix(text, []byte("\u2028")) || bytes.HasSuffix(text, []byte("\u2029"))
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
		return runFunction(data, root, offset, env, cfg), true
	}
	return 0, false
}
