#!/usr/bin/env bash
# Builds (once) and caches a command of Prometheus at an exact release:
#
#   prometheus.sh promtool   v0.305.0 -> $TOOLS_DIR/promtool-v0.305.0/promtool     (chart rule tests)
#   prometheus.sh prometheus v0.305.0 -> $TOOLS_DIR/prometheus-v0.305.0/prometheus (test/e2e's server)
#
# Prints the binary's path. `go install github.com/prometheus/prometheus/cmd/...@...` refuses to
# build because Prometheus' go.mod has a replace directive, so the command is built in a
# throw-away module under the cache directory (never in the project's module), with that replace
# carried over, like test/e2e/build.sh builds the controller. The server is built without the
# builtinassets tag: no web UI, the HTTP API is all the tests use. A finished binary is reused
# while its directory holds the .ok stamp, so warm runs cost nothing.
set -euo pipefail
tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

cmd=${1:?usage: prometheus.sh promtool|prometheus VERSION (e.g. v0.305.0)}
version=${2:?usage: prometheus.sh promtool|prometheus VERSION (e.g. v0.305.0)}
case $cmd in promtool | prometheus) ;; *) echo "prometheus.sh: unknown command $cmd" >&2; exit 2 ;; esac
cache=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/argo-metrics-gen-tools}
GO=${GO:-go}
dir=$cache/$cmd-$version
out=$dir/$cmd
if [ -f "$dir/.ok" ] && [ -x "$out" ]; then echo "$out"; exit 0; fi

log() { echo "prometheus.sh: $*" >&2; }
# Several test processes may ask at once: one builds, the others wait for it.
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -f "$dir/.ok" ] && [ -x "$out" ]; then echo "$out"; exit 0; fi

start=$SECONDS
log "building $cmd $version in $dir (cold build: several minutes on 2 cores)"
rm -rf "$dir/src"; mkdir -p "$dir/src"
mod=github.com/prometheus/prometheus
info=$(cd "$dir" && GOFLAGS= "$GO" mod download -json "$mod@$version") || {
  log "the module proxy does not serve $mod@$version"; exit 2; }
pmod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' <<<"$info")
{
  echo "module argo-metrics-gen-tools/$cmd"
  echo
  grep -m1 '^go ' "$pmod"
  echo
  echo "require $mod $version"
  "$tools/go-replaces.sh" "$pmod"
} >"$dir/src/go.mod"
cat >"$dir/src/tools.go" <<EOT
//go:build tools

// Throw-away module for argo-metrics-gen's tests: Prometheus' $cmd.
package tools

import _ "$mod/cmd/$cmd"
EOT
(
  cd "$dir/src"
  GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0 \
    "$GO" build -trimpath -ldflags "-s -w -X github.com/prometheus/common/version.Version=${version#v}" \
    -o "$out.tmp" "$mod/cmd/$cmd"
)
mv "$out.tmp" "$out"
touch "$dir/.ok"
log "built $out in $((SECONDS - start))s"
echo "$out"
