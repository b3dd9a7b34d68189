#!/usr/bin/env bash
# Fails the build when a CronWorkflow would ship without its metrics, or with metrics the
# workflow-controller would refuse at run time. Needs kustomize, helm and argo-metrics-gen on
# PATH; run from the repository root. Exit 0: all good; 1: findings (printed); 2: broken input.
set -euo pipefail

# Kustomize: each environment as it is deployed, exec transformer included. Without
# --enable-exec the build would succeed and lint would report every CronWorkflow as missing
# its metrics.
for env in dev stg prd; do
  kustomize build --enable-alpha-plugins --enable-exec "examples/kustomize-seed002/argo/envs/$env" \
    | argo-metrics-gen lint --config examples/kustomize-seed002/argo/metrics/argo-metrics-gen.yaml
done

# Helm with the post-renderer: what `helm upgrade --install` would apply.
helm template nightly examples/helm-postrenderer/chart \
    --post-renderer argo-metrics-gen \
    --post-renderer-args --config --post-renderer-args examples/helm-postrenderer/metrics.yaml \
  | argo-metrics-gen lint --config examples/helm-postrenderer/metrics.yaml

# Helm-values route: the chart must render the block itself; lint's coverage check fails a
# CronWorkflow that lacks it.
helm template jobs examples/helm-values/chart | argo-metrics-gen lint

# Manifests kept in git, injected with `inject --in-place`: nothing may be left to add.
argo-metrics-gen inject --check examples/plain/golden
