package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/spf13/pflag"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/manifest"
	"github.com/argo-metrics-gen/argo-metrics-gen/internal/preview"
)

func runPreview(args []string, env Env) int {
	var status, created string
	var duration float64
	var exitHandlerFailed bool
	var before []string
	fs := pflag.NewFlagSet("preview", pflag.ContinueOnError)
	fs.StringVar(&status, "status", "Succeeded", "outcome of the simulated run: Succeeded, Failed or Error")
	fs.Float64Var(&duration, "duration", 60, "seconds the simulated run took")
	fs.StringVar(&created, "created", preview.DefaultCreated.Format(time.RFC3339), "creation (for CronWorkflows, scheduled) time of the run, RFC 3339")
	fs.BoolVar(&exitHandlerFailed, "exit-handler-failed", false, "the onExit handler failed (the controller then ends the run Failed; --status stays the body's outcome)")
	fs.StringArrayVar(&before, "before", nil, "NAME=VALUE: value of an Add/Sub gauge before the run, e.g. consecutive_failures=2 (repeatable)")
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, "Usage: argo-metrics-gen preview [--status Succeeded|Failed|Error] [--duration S] [PATH...]\n\n"+
			"Prints, per workflow, the /metrics lines the Argo workflow-controller would export when a run\n"+
			"completes with that outcome, and the Datadog names they become. Exit 1 when the controller\n"+
			"could not emit a metric (its error is printed).\n\nFlags:\n"+fs.FlagUsages())
	}
	if done, code := parseFlags(fs, args, env); done {
		return code
	}
	phase := wfv1.WorkflowPhase(status)
	if phase != wfv1.WorkflowSucceeded && phase != wfv1.WorkflowFailed && phase != wfv1.WorkflowError {
		return fail(env, fmt.Errorf("--status must be Succeeded, Failed or Error, got %q", status))
	}
	if duration < 0 {
		return fail(env, fmt.Errorf("--duration must not be negative"))
	}
	createdAt, err := time.Parse(time.RFC3339, created)
	if err != nil {
		return fail(env, fmt.Errorf("--created: %v", err))
	}
	prior := map[string]float64{}
	for _, b := range before {
		name, v, ok := strings.Cut(b, "=")
		f, err := strconv.ParseFloat(v, 64)
		if !ok || name == "" || err != nil {
			return fail(env, fmt.Errorf("--before must be NAME=VALUE with a number, got %q", b))
		}
		prior[name] = f
	}
	resources, unreadable, code := readResources(fs.Args(), env)
	if resources == nil {
		return code
	}
	results, err := preview.Run(context.Background(), resources, preview.Options{Status: phase, Duration: duration, Created: createdAt.UTC(), ExitHandlerFailed: exitHandlerFailed, Before: prior})
	if err != nil {
		return fail(env, err)
	}
	failed := false
	for i, w := range results {
		r := w.Resource
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		handler := ""
		if exitHandlerFailed {
			handler = ", exit handler Failed"
		}
		fmt.Fprintf(env.Stdout, "# %s (%s:%d): run %s, %s after %gs%s\n", r.ID(), r.File, r.Line, w.RunName, status, duration, handler)
		for _, line := range w.Series {
			fmt.Fprintln(env.Stdout, line)
		}
		for _, e := range w.Errors {
			failed = true
			fmt.Fprintf(env.Stdout, "# error: %s\n", e)
			fmt.Fprintf(env.Stderr, "%s:%d: %s: the controller would log: %s\n", r.File, r.Line, r.ID(), e)
		}
		if len(w.Series) == 0 && len(w.Errors) == 0 {
			fmt.Fprintln(env.Stdout, "# no workflow-level metric is emitted for this outcome")
		}
		if len(w.Names) > 0 {
			dd := make([]string, len(w.Names))
			for i, n := range w.Names {
				dd[i] = "argo_workflows." + strings.TrimPrefix(n, "argo_workflows_")
			}
			fmt.Fprintf(env.Stdout, "# datadog (argo_workflows check): %s\n", strings.Join(dd, ", "))
		}
	}
	if unreadable {
		return ExitError
	}
	if failed {
		return ExitChanges
	}
	return ExitOK
}

// readResources reads the Argo resources of every input. Files that cannot be read are
// reported (every one of them) and left out; failed tells the caller to exit non-zero. A nil
// result means no input could be resolved at all.
func readResources(args []string, env Env) (resources []*manifest.Resource, failed bool, code int) {
	inputs, skips, err := readInputs(args, env.Stdin)
	if err != nil {
		return nil, true, fail(env, err)
	}
	reportSkips(env, skips)
	all := []*manifest.Resource{}
	var errs []error
	for _, in := range inputs {
		rs, err := manifest.Read(in.name, in.data)
		if err != nil {
			errs = append(errs, inputError(err, in))
			continue
		}
		all = append(all, rs...)
	}
	if len(errs) > 0 {
		return all, true, reportFailures(env, errs, "")
	}
	return all, false, ExitOK
}
