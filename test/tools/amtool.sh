#!/usr/bin/env bash
# Builds (once) and caches Alertmanager's amtool at an exact release:
#
#   amtool.sh v0.35.0 -> $TOOLS_DIR/amtool-v0.35.0/amtool   (the chart's routing example tests)
#
# Prints the binary's path. amtool is built in a throw-away module under the cache directory,
# never in the project's module: Alertmanager's dependencies (cloud SDKs of its notifiers, newer
# OpenTelemetry and gRPC) would otherwise enter go.mod. A finished binary is reused while its
# directory holds the .ok stamp, so warm runs cost nothing.
set -euo pipefail

version=${1:?usage: amtool.sh VERSION (e.g. v0.35.0)}
cache=${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/argo-metrics-gen-tools}
GO=${GO:-go}
dir=$cache/amtool-$version
out=$dir/amtool
if [ -f "$dir/.ok" ] && [ -x "$out" ]; then echo "$out"; exit 0; fi

log() { echo "amtool.sh: $*" >&2; }
# Several test processes may ask at once: one builds, the others wait for it.
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -f "$dir/.ok" ] && [ -x "$out" ]; then echo "$out"; exit 0; fi

start=$SECONDS
log "building amtool $version in $dir (cold build: a few minutes on 2 cores)"
mod=github.com/prometheus/alertmanager
rm -rf "$dir/src"; mkdir -p "$dir/src"
info=$(cd "$dir" && GOFLAGS= "$GO" mod download -json "$mod@$version") || {
  log "the module proxy does not serve $mod@$version"; exit 2; }
amod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' <<<"$info")
{
  echo "module argo-metrics-gen-tools/amtool"
  echo
  grep -m1 '^go ' "$amod"
  echo
  echo "require $mod $version"
} >"$dir/src/go.mod"
cat >"$dir/src/tools.go" <<EOT
//go:build tools

// Throw-away module for argo-metrics-gen's tests: Alertmanager's amtool.
package tools

import _ "$mod/cmd/amtool"
EOT
(
  cd "$dir/src"
  GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0 \
    "$GO" build -trimpath -ldflags "-s -w -X github.com/prometheus/common/version.Version=${version#v}" \
    -o "$out.tmp" "$mod/cmd/amtool"
)
mv "$out.tmp" "$out"
touch "$dir/.ok"
log "built $out in $((SECONDS - start))s"
echo "$out"
