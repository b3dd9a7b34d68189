// Command argo-metrics-gen injects per-job monitoring metrics into Argo CronWorkflows. See
// internal/cli for the commands; main only maps their result to the exit code.
package main

import (
	"os"

	"github.com/argo-metrics-gen/argo-metrics-gen/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
