package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/helmtpl"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

// runHelmTemplate writes the batch-monitoring chart's Helm templates of the metric block (the
// named template batch-monitoring.workflowMetrics and its helpers) as one file for a chart of
// your own, with the configuration as the default of calls that pass none.
func runHelmTemplate(args []string, env Env) int {
	var configFile string
	fs := pflag.NewFlagSet("helm-template", pflag.ContinueOnError)
	fs.StringVarP(&configFile, "config", "c", "", "ArgoMetricsConfig file (default: built-in defaults)")
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, "Usage: argo-metrics-gen helm-template [--config FILE] > <your chart>/templates/_workflow-metrics.tpl\n\n"+
			"Writes the Helm named template batch-monitoring.workflowMetrics, which emits exactly the\n"+
			"metric block inject adds, and its helpers, with the configuration as the default of calls\n"+
			"that pass none (the batch-monitoring chart itself needs no such file: it reads argoMetricsConfig).\n\nFlags:\n"+fs.FlagUsages())
	}
	if done, code := parseFlags(fs, args, env); done {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, fmt.Errorf("helm-template takes no arguments, got %q", fs.Args()))
	}
	cfg := config.Default()
	if configFile != "" {
		var err error
		if cfg, err = config.LoadFile(configFile); err != nil {
			return fail(env, err)
		}
	}
	out, err := helmtpl.Render(cfg)
	if err != nil {
		return fail(env, err)
	}
	if _, err := env.Stdout.Write(out); err != nil {
		return fail(env, err)
	}
	return ExitOK
}
