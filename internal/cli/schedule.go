package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/inject"
)

// scheduleRow is one line of `schedule -o json`: exactly these fields.
type scheduleRow struct {
	Namespace          string   `json:"namespace"`
	Name               string   `json:"name"`
	Schedules          []string `json:"schedules"`
	Timezone           string   `json:"timezone"`
	MaxIntervalSeconds int64    `json:"maxIntervalSeconds"`
	ThresholdSeconds   int64    `json:"thresholdSeconds"`
}

func runSchedule(args []string, env Env) int {
	var f commonFlags
	var output string
	fs := pflag.NewFlagSet("schedule", pflag.ContinueOnError)
	f.register(fs)
	fs.StringVarP(&output, "output", "o", "table", "output format: table or json")
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, "Usage: argo-metrics-gen schedule [-o table|json] [flags] [PATH...]\n\n"+
			"For each CronWorkflow: its schedules, the longest gap between two scheduled runs over a\n"+
			"year (weekends, month ends, DST) and the staleness threshold its alert uses.\n\nFlags:\n"+fs.FlagUsages())
	}
	if done, code := parseFlags(fs, args, env); done {
		return code
	}
	if output != "table" && output != "json" {
		return fail(env, fmt.Errorf("--output must be table or json, got %q", output))
	}
	cfg, err := f.load()
	if err != nil {
		return fail(env, err)
	}
	inputs, skips, err := readInputs(fs.Args(), env.Stdin)
	if err != nil {
		return fail(env, err)
	}
	reportSkips(env, skips)
	injector := &inject.Injector{Config: cfg}
	rows := []scheduleRow{}
	var errs []error
	for _, in := range inputs {
		jobs, err := injector.Schedules(in.data)
		if err != nil {
			errs = append(errs, inputError(err, in))
			continue
		}
		for _, j := range jobs {
			if j.Suspended {
				fmt.Fprintf(env.Stderr, "%s:%d: CronWorkflow %s: suspended (spec.suspend: true), excluded\n", in.name, j.Line, qualified(j.Namespace, j.Name))
				continue
			}
			rows = append(rows, scheduleRow{j.Namespace, j.Name, j.Schedules, j.Timezone,
				int64(j.MaxInterval / time.Second), int64(j.Threshold / time.Second)})
		}
	}
	if len(errs) > 0 {
		// Every file's problem, and no table: a partial one would read as the whole.
		return reportFailures(env, errs, "")
	}
	if output == "json" {
		b, _ := json.MarshalIndent(rows, "", "  ")
		fmt.Fprintln(env.Stdout, string(b))
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tNAME\tSCHEDULES\tTIMEZONE\tMAX INTERVAL\tTHRESHOLD")
	for _, r := range rows {
		tz := r.Timezone
		if tz == "" {
			tz = "(UTC)" // the controller's zone: UTC in Argo's images
			own := 0
			for _, sc := range r.Schedules {
				if strings.HasPrefix(sc, "TZ=") || strings.HasPrefix(sc, "CRON_TZ=") {
					own++ // read as written, in its own zone
				}
			}
			if own == len(r.Schedules) {
				tz = "(in the schedule)"
			} else if own > 0 {
				tz = "(UTC unless in the schedule)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Namespace, r.Name, strings.Join(r.Schedules, "; "), tz,
			human(r.MaxIntervalSeconds), human(r.ThresholdSeconds))
	}
	tw.Flush()
	return ExitOK
}

func qualified(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// human prints seconds with a readable duration beside them: "90000s (1d1h)".
func human(s int64) string {
	d, rest := s/86400, s%86400
	h, rest := rest/3600, rest%3600
	m, sec := rest/60, rest%60
	var b strings.Builder
	for _, p := range []struct {
		n    int64
		unit string
	}{{d, "d"}, {h, "h"}, {m, "m"}, {sec, "s"}} {
		if p.n > 0 {
			fmt.Fprintf(&b, "%d%s", p.n, p.unit)
		}
	}
	if b.Len() == 0 {
		b.WriteString("0s")
	}
	return fmt.Sprintf("%ds (%s)", s, b.String())
}
