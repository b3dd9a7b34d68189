// Package cli is argo-metrics-gen's command line: flag parsing and command dispatch live here,
// callable from tests; main only maps the returned code to the process exit code.
package cli

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"

	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// Exit codes. Every command uses the same meaning.
const (
	ExitOK      = 0 // success
	ExitChanges = 1 // --check found files to change
	ExitError   = 2 // usage, configuration or input error; nothing was written
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = ""

// Env is what a command may touch: its streams. Tests pass buffers.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

const usage = `argo-metrics-gen adds per-job monitoring metrics to Argo CronWorkflows.

Usage:
  argo-metrics-gen inject [--config FILE] [--in-place | --check] [PATH...]
  argo-metrics-gen schedule [-o table|json] [PATH...]
  argo-metrics-gen preview [--status Succeeded|Failed|Error] [--duration S] [PATH...]
  argo-metrics-gen lint [--strict] [-o text|json] [--config FILE] [--chart-values FILE] [PATH...]
  argo-metrics-gen helm-template [--config FILE]   (the metric block as Helm templates, for a chart of your own)
  argo-metrics-gen version
  argo-metrics-gen            (no arguments: Kustomize/kpt KRM function when stdin is a
                               ResourceList, otherwise the same as "inject" on stdin, e.g. as a
                               Helm --post-renderer)

PATH is a file, a directory (searched recursively for *.yaml, *.yml, *.json) or "-" for stdin;
no PATH reads stdin.

Exit codes: 0 success, 1 --check found files that would change, 2 error (nothing written).
`

// Run executes the command line args (without the program name) and returns the exit code. A
// panic (a bug of ours) is an error like any other: exit 2, reported, nothing written (inject and
// the KRM function write only when they have finished). Panics in injection are caught per document
// already and name the file, line and resource; this is the net under everything else.
func Run(args []string, env Env) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(env.Stderr, "argo-metrics-gen: internal error: %v; nothing written, please report this input\n", p)
			code = ExitError
		}
	}()
	return run(args, env)
}

func run(args []string, env Env) int {
	if len(args) == 0 {
		return runDefault(env)
	}
	switch args[0] {
	case "inject":
		return runInject(args[1:], env)
	case "helm-template":
		return runHelmTemplate(args[1:], env)
	case "schedule":
		return runSchedule(args[1:], env)
	case "preview":
		return runPreview(args[1:], env)
	case "lint":
		return runLint(args[1:], env)
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "argo-metrics-gen", versionString())
		return ExitOK
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	}
	// Helm passes --post-renderer-args straight to us: "--config FILE" with no command means inject.
	if strings.HasPrefix(args[0], "-") {
		return runInject(args, env)
	}
	fmt.Fprintf(env.Stderr, "argo-metrics-gen: unknown command %q\n\n%s", args[0], usage)
	return ExitError
}

func versionString() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// commonFlags are shared by every command that reads manifests.
type commonFlags struct {
	configFile string
	takeOver   bool
}

func (c *commonFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&c.configFile, "config", "c", "", "ArgoMetricsConfig file, or a batch-monitoring values file (its argoMetricsConfig) (default: built-in defaults)")
	fs.BoolVar(&c.takeOver, "take-over", false, "replace user metrics that reuse one of our metric names instead of failing")
}

func (c *commonFlags) load() (*config.Config, error) {
	cfg := config.Default()
	if c.configFile != "" {
		var err error
		if cfg, err = config.LoadFile(c.configFile); err != nil {
			return nil, err
		}
	}
	if c.takeOver {
		cfg.Spec.TakeOver = true
	}
	return cfg, nil
}

// parseFlags parses a command's flags; help is not an error.
func parseFlags(fs *pflag.FlagSet, args []string, env Env) (done bool, code int) {
	fs.SetOutput(env.Stderr)
	fs.SortFlags = false
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return true, ExitOK
		}
		fmt.Fprintf(env.Stderr, "argo-metrics-gen: %v\n", err)
		return true, ExitError
	}
	return false, ExitOK
}

func fail(env Env, err error) int {
	fmt.Fprintf(env.Stderr, "argo-metrics-gen: %v\n", err)
	return ExitError
}
