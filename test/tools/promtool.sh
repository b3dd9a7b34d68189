#!/usr/bin/env bash
# Builds (once) and caches Prometheus' promtool, which the chart's rule tests run:
#
#   promtool.sh v0.305.0   -> $TOOLS_DIR/promtool-v0.305.0/promtool   (prints the path)
#
# `go install github.com/prometheus/prometheus/cmd/promtool@...` refuses to build because
# Prometheus' go.mod has a replace directive, so promtool is built in a throw-away module under
# the cache directory (never in the project's module), with that replace carried over, like
# test/e2e/build.sh builds the controller. A finished binary is reused while its directory holds
# the .ok stamp, so warm runs cost nothing.
set -euo pipefail
tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

version=${1:?usage: promtool.sh VERSION (e.g. v0.305.0)}
cache=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/argo-metrics-gen-tools}
GO=${GO:-go}
dir=$cache/promtool-$version
out=$dir/promtool
if [ -f "$dir/.ok" ] && [ -x "$out" ]; then echo "$out"; exit 0; fi

log() { echo "promtool.sh: $*" >&2; }
# Several test processes may ask at once: one builds, the others wait for it.
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -f "$dir/.ok" ] && [ -x "$out" ]; then echo "$out"; exit 0; fi

start=$SECONDS
log "building promtool $version in $dir (cold build: a few minutes on 2 cores)"
rm -rf "$dir/src"; mkdir -p "$dir/src"
mod=github.com/prometheus/prometheus
info=$(cd "$dir" && GOFLAGS= "$GO" mod download -json "$mod@$version") || {
  log "the module proxy does not serve $mod@$version"; exit 2; }
pmod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' <<<"$info")
{
  echo "module argo-metrics-gen-tools/promtool"
  echo
  grep -m1 '^go ' "$pmod"
  echo
  echo "require $mod $version"
  "$tools/go-replaces.sh" "$pmod"
} >"$dir/src/go.mod"
cat >"$dir/src/tools.go" <<EOT
//go:build tools

// Throw-away module for argo-metrics-gen's chart rule tests: Prometheus' promtool.
package tools

import _ "$mod/cmd/promtool"
EOT
(
  cd "$dir/src"
  GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0 \
    "$GO" build -trimpath -ldflags "-s -w -X github.com/prometheus/common/version.Version=${version#v}" \
    -o "$out.tmp" "$mod/cmd/promtool"
)
mv "$out.tmp" "$out"
touch "$dir/.ok"
log "built $out in $((SECONDS - start))s"
echo "$out"
