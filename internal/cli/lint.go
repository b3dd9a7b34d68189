package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/spf13/pflag"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/lint"
	"github.com/argo-metrics-gen/argo-metrics-gen/pkg/config"
)

func runLint(args []string, env Env) int {
	var f commonFlags
	var output, chartValues string
	var strict bool
	fs := pflag.NewFlagSet("lint", pflag.ContinueOnError)
	f.register(fs)
	fs.StringVarP(&output, "output", "o", "text", "output format: text or json")
	fs.BoolVar(&strict, "strict", false, "warnings fail too")
	fs.StringVar(&chartValues, "chart-values", "", "values file of the batch-monitoring chart: report CronWorkflows whose metrics are not what the chart reads with it (its argoMetricsConfig; also the --config when none is given)")
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, "Usage: argo-metrics-gen lint [--strict] [-o text|json] [--config FILE] [--chart-values FILE] [PATH...]\n\n"+
			"Argo's own validation (argo lint --offline) plus what it misses about custom metrics, and a\n"+
			"check that every selected CronWorkflow carries argo-metrics-gen's metrics.\n"+
			"Exit codes: 0 clean, 1 findings (errors; warnings too with --strict), 2 usage or unreadable input.\n\nFlags:\n"+fs.FlagUsages())
	}
	if done, code := parseFlags(fs, args, env); done {
		return code
	}
	if output != "text" && output != "json" {
		return fail(env, fmt.Errorf("--output must be text or json, got %q", output))
	}
	var chartCfg *config.Config
	if chartValues != "" {
		var err error
		if chartCfg, err = config.LoadFile(chartValues); err != nil {
			return fail(env, err)
		}
		if f.configFile == "" {
			f.configFile = chartValues
		}
	}
	cfg, err := f.load()
	if err != nil {
		return fail(env, err)
	}
	resources, unreadable, code := readResources(fs.Args(), env)
	if resources == nil {
		return code
	}
	findings := lint.Run(context.Background(), cfg, resources)
	if chartCfg != nil {
		findings = append(findings, lint.ChartValues(chartCfg, chartValues, resources)...)
		sort.SliceStable(findings, func(i, j int) bool {
			a, b := findings[i], findings[j]
			return a.File < b.File || a.File == b.File && a.Line < b.Line
		})
	}
	errs, warns := 0, 0
	for _, x := range findings {
		if x.Severity == lint.Error {
			errs++
		} else {
			warns++
		}
	}
	if output == "json" {
		b, _ := json.MarshalIndent(struct {
			Findings  []lint.Finding `json:"findings"`
			Resources int            `json:"resources"`
			Errors    int            `json:"errors"`
			Warnings  int            `json:"warnings"`
		}{append([]lint.Finding{}, findings...), len(resources), errs, warns}, "", "  ")
		fmt.Fprintln(env.Stdout, string(b))
	} else {
		for _, x := range findings {
			fmt.Fprintln(env.Stdout, x.String())
		}
		fmt.Fprintf(env.Stdout, "%s: %s, %s\n", plural(len(resources), "Argo resource"), plural(errs, "error"), plural(warns, "warning"))
	}
	if unreadable {
		return ExitError
	}
	if errs > 0 || (strict && warns > 0) {
		return ExitChanges
	}
	return ExitOK
}

// plural writes a count with its noun: "1 Argo resource", "2 errors".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
