// Package benchgen writes the benchmark stream: CronWorkflows of the shapes teams write (steps,
// DAG, single container, with comments and scripts) mixed with other Kubernetes documents. The
// output is a pure function of the counts, so runs compare.
package benchgen

import (
	"bufio"
	"fmt"
	"io"
)

// Write emits crons CronWorkflows and others other documents, one other after every
// crons/others CronWorkflows.
func Write(w io.Writer, crons, others int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	every := crons + 1
	if others > 0 {
		every = max(crons/others, 1)
	}
	written := 0
	for i := 0; i < crons; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(bw, stepsJob, i, i%20, i%60, i%24)
		case 1:
			fmt.Fprintf(bw, dagJob, i, i%20, i%59+1)
		default:
			fmt.Fprintf(bw, containerJob, i, i%20, i%24)
		}
		if (i+1)%every == 0 && written < others {
			fmt.Fprintf(bw, otherDoc(written), written, written%20)
			written++
		}
	}
	for ; written < others; written++ {
		fmt.Fprintf(bw, otherDoc(written), written, written%20)
	}
	return bw.Flush()
}

func otherDoc(i int) string {
	if i%2 == 0 {
		return configMap
	}
	return serviceAccount
}

const stepsJob = `---
# Job %[1]d: extract and load, owned by team-%[2]d
# Owner: team-%[2]d (#team-%[2]d-oncall). Runbook: https://runbooks.example.com/batch
# Re-run from the Argo UI (cron-workflows, Resubmit) or: argo cron trigger <name>
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: etl-steps-%[1]d
  namespace: team-%[2]d
  labels:
    app.kubernetes.io/part-of: batch
spec:
  schedule: "%[3]d %[4]d * * *"
  timezone: Asia/Tokyo
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 300
  workflowSpec:
    entrypoint: main
    serviceAccountName: batch
    onExit: notify
    podGC:
      strategy: OnWorkflowSuccess
    podMetadata:
      labels:
        team: team-%[2]d
      annotations:
        cluster-autoscaler.kubernetes.io/safe-to-evict: "true"
    templates:
      - name: main
        steps:
          - - name: extract
              template: run
              arguments:
                parameters: [{name: stage, value: extract}]
          - - name: load
              template: run
              arguments:
                parameters: [{name: stage, value: load}]
      - name: run
        inputs:
          parameters:
            - name: stage
        retryStrategy:
          limit: "2"
        script:
          image: python:3.12
          command: [python]
          source: |
            # runs one stage of the job
            import sys
            print("stage {{inputs.parameters.stage}}")
      - name: notify
        container:
          image: alpine:3.20
          command: [sh, -c, 'echo "{{workflow.status}}"']
`

const dagJob = `---
# Owner: team-%[2]d (#team-%[2]d-oncall). Runbook: https://runbooks.example.com/batch
# Re-run from the Argo UI (cron-workflows, Resubmit) or: argo cron trigger <name>
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: report-dag-%[1]d
  namespace: team-%[2]d
  labels:
    app.kubernetes.io/part-of: batch
    app.kubernetes.io/component: report
spec:
  schedule: "*/%[3]d * * * *"
  workflowSpec:
    entrypoint: main
    templates:
    - name: main
      dag:
        tasks:
        - name: a
          template: echo
        - name: b
          template: echo
          dependencies: [a]
        - name: c
          template: echo
          dependencies: [a]
        - name: d
          template: echo
          dependencies: [b, c]
    - name: echo
      metadata:
        labels: {tier: reporting}
      container:
        image: alpine:3.20
        command: [echo, done]  # a trailing comment
        env:
        - name: REPORT_BUCKET
          value: gs://reports-%[2]d
        - name: REPORT_FORMAT
          value: parquet
        resources:
          requests: {cpu: 10m, memory: 16Mi}
          limits: {memory: 64Mi}
`

const containerJob = `---
# Owner: team-%[2]d (#team-%[2]d-oncall). Runbook: https://runbooks.example.com/batch
# Re-run from the Argo UI (cron-workflows, Resubmit) or: argo cron trigger <name>
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: cleanup-%[1]d
  namespace: team-%[2]d
  labels:
    app.kubernetes.io/part-of: batch
    app.kubernetes.io/component: housekeeping
spec:
  schedule: "0 %[3]d * * 1-5"
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 1
  workflowSpec:
    entrypoint: main
    ttlStrategy:
      secondsAfterCompletion: 86400
    templates:
      - name: main
        container:
          image: alpine:3.20
          command: [sh, -c]
          args:
            - |
              find /data -mtime +7 -delete
              echo cleaned
          volumeMounts:
            - name: data
              mountPath: /data
          securityContext:
            runAsNonRoot: true
            readOnlyRootFilesystem: true
        activeDeadlineSeconds: 3600
    volumes:
      - name: data
        emptyDir: {}
`

const configMap = `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings-%d
  namespace: team-%d
data:
  LOG_LEVEL: info
  REGION: asia-northeast1
  query.sql: |
    SELECT id, name
    FROM users
    WHERE updated_at > now() - interval '1 day'
`

const serviceAccount = `---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: batch-%d
  namespace: team-%d
  annotations:
    iam.gke.io/gcp-service-account: batch@project.iam.gserviceaccount.com
`
