#!/usr/bin/env bash
# Builds (once) and caches kube-state-metrics at an exact release, for test/e2e:
#
#   kube-state-metrics.sh v2.20.0 -> $TOOLS_DIR/kube-state-metrics-v2.20.0/kube-state-metrics
#
# Prints the binary's path. Its module has no replace directive, so `go install` builds it from
# the module proxy straight into the cache directory (never into the project's module; the
# binary is named after the module without its /v2). A
# finished binary is reused while its directory holds the .ok stamp, so warm runs cost nothing.
set -euo pipefail
version=${1:?usage: kube-state-metrics.sh VERSION (e.g. v2.20.0)}
cache=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/argo-metrics-gen-tools}
GO=${GO:-go}
dir=$cache/kube-state-metrics-$version
out=$dir/kube-state-metrics
if [ -f "$dir/.ok" ] && [ -x "$out" ]; then echo "$out"; exit 0; fi

log() { echo "kube-state-metrics.sh: $*" >&2; }
# Several test processes may ask at once: one builds, the others wait for it.
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -f "$dir/.ok" ] && [ -x "$out" ]; then echo "$out"; exit 0; fi

start=$SECONDS
log "building kube-state-metrics $version in $dir (cold build: about 11 minutes on 2 cores)"
# The module's own version package reads these at run time (kube-state-metrics --version).
GOFLAGS= GOWORK=off GOBIN=$dir CGO_ENABLED=0 "$GO" install -trimpath \
  -ldflags "-s -w -X github.com/prometheus/common/version.Version=${version#v}" \
  "k8s.io/kube-state-metrics/v2@$version"
[ -x "$out" ] || { log "go install left no $out"; exit 2; }
touch "$dir/.ok"
log "built $out in $((SECONDS - start))s"
echo "$out"
