#!/usr/bin/env bash
# Builds (once) and caches the real components the end-to-end tests run:
#
#   build.sh apiserver  v1.34.1   -> $E2E_CACHE/kube-apiserver-v1.34.1/kube-apiserver
#   build.sh controller v3.7.18   -> $E2E_CACHE/workflow-controller-v3.7.18/workflow-controller
#                                    $E2E_CACHE/workflow-controller-v3.7.18/crds/*.yaml
#
# Each is built in its own throw-away module under the cache directory, never in the project's
# module: k8s.io/kubernetes and the Argo controller must not enter the project's go.mod. Modules
# come from the Go module proxy; every version is named exactly (the proxy here refuses
# @latest and version listing for some modules). A finished binary is reused as long as its
# directory holds the .ok stamp, so warm runs cost nothing. Prints the binary's path.
set -euo pipefail
tools=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)

component=${1:?usage: build.sh apiserver|controller VERSION}
version=${2:?usage: build.sh apiserver|controller VERSION}
cache=${E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/argo-metrics-gen-e2e}
GO=${GO:-go}

log() { echo "build.sh: $*" >&2; }

# Builds and caches $out from the throw-away module in $dir/src. $1 = package to build.
build() {
  local pkg=$1 start=$SECONDS
  log "building $component $version in $dir (cold build: several minutes on 2 cores)"
  (
    cd "$dir/src"
    # -mod=mod lets `go build` complete go.mod/go.sum from the requirements we named; the
    # k8s.io staging modules are not in the checksum database under these replaces.
    GOFLAGS=-mod=mod GONOSUMDB=k8s.io GOWORK=off CGO_ENABLED=0 \
      "$GO" build -trimpath -ldflags '-s -w' -o "$out.tmp" "$pkg"
  )
  mv "$out.tmp" "$out"
  log "built $out in $((SECONDS - start))s"
}

case $component in
apiserver)
  dir=$cache/kube-apiserver-$version
  out=$dir/kube-apiserver
  if [ -f "$dir/.ok" ] && [ -x "$out" ]; then echo "$out"; exit 0; fi
  rm -rf "$dir/src"; mkdir -p "$dir/src"
  # The staging modules are replaced by k8s.io/kubernetes' own go.mod with ./staging paths;
  # a consumer replaces each with its published v0.<minor>.<patch> twin.
  kmod=$(cd "$dir" && GOFLAGS= GONOSUMDB=k8s.io "$GO" mod download -json "k8s.io/kubernetes@$version" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  goline=$(grep -m1 '^go ' "$kmod")
  staging=v0.${version#v1.}
  {
    echo "module argo-metrics-gen-e2e/kube-apiserver"
    echo
    echo "$goline"
    echo
    echo "require k8s.io/kubernetes $version"
    echo
    echo "replace ("
    grep -E '^[[:space:]]*k8s\.io/[a-z0-9-]+ => \./staging/' "$kmod" |
      awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } >"$dir/src/go.mod"
  cat >"$dir/src/main.go" <<'EOF'
// Throw-away main for the argo-metrics-gen end-to-end tests: the real kube-apiserver.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() { os.Exit(cli.Run(app.NewAPIServerCommand())) }
EOF
  build .
  ;;
controller)
  case $version in
  v3.*) mod=github.com/argoproj/argo-workflows/v3 ;;
  v4.*) mod=github.com/argoproj/argo-workflows/v4 ;;
  *) log "unsupported Argo version $version (want v3.x.y or v4.x.y)"; exit 2 ;;
  esac
  dir=$cache/workflow-controller-$version
  out=$dir/workflow-controller
  if [ -f "$dir/.ok" ] && [ -x "$out" ] && [ -d "$dir/crds" ]; then echo "$out"; exit 0; fi
  rm -rf "$dir/src" "$dir/crds"; mkdir -p "$dir/src" "$dir/crds"
  info=$(cd "$dir" && GOFLAGS= "$GO" mod download -json "$mod@$version") || {
    log "the module proxy does not serve $mod@$version"; exit 2; }
  amod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' <<<"$info")
  adir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")
  goline=$(grep -m1 '^go ' "$amod")
  {
    echo "module argo-metrics-gen-e2e/workflow-controller"
    echo
    echo "$goline"
    echo
    echo "require $mod $version"
    # Argo's own module-level replaces (e.g. tablewriter => v0.0.5 on v3.7) apply only in its
    # own module: carry them over, except local-path ones.
    "$tools/go-replaces.sh" "$amod"
  } >"$dir/src/go.mod"
  cat >"$dir/src/tools.go" <<EOF
//go:build tools

// Throw-away module for the argo-metrics-gen end-to-end tests: the real workflow-controller.
package tools

import _ "$mod/cmd/workflow-controller"
EOF
  cp "$adir"/manifests/base/crds/minimal/argoproj.io_*.yaml "$dir/crds/"
  chmod u+w "$dir"/crds/*.yaml
  build "$mod/cmd/workflow-controller"
  ;;
*)
  log "unknown component $component"; exit 2 ;;
esac
touch "$dir/.ok"
echo "$out"
