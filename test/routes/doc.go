// Package routes proves every way into argo-metrics-gen with the real tools a user runs: the
// kustomize binary (exec KRM function) and the krusty library, helm v3 (post-renderer binary)
// and helm v4 (postrenderer/v1 plugin installed with `helm plugin install`), the Argo CD Config
// Management Plugin's commands exactly as plugin.yaml writes them and the kustomize.buildOptions
// route, the CI snippets, every command of the docs, and the examples' golden outputs (which
// must also pass Argo's own validation and `argo-metrics-gen lint`).
//
// The tests skip unless ROUTES=1, so `go test ./...` stays fast. `make routes` builds the tool
// binaries once from the Go module proxy at exact versions, caches them under
// $HOME/.cache/argo-metrics-gen-tools, and runs this package with their paths in KUSTOMIZE,
// HELM3 and HELM4. UPDATE_GOLDEN=1 rewrites the golden files instead of comparing.
//
// Cost on this project's 2-core machine (shared with other jobs while measured): building the
// tools with an empty Go build cache, modules already downloaded, takes kustomize 38 s, helm v3
// 103 s and helm v4 143 s (about 5 minutes; on a machine without the modules, downloading them
// from the proxy adds a few minutes); once cached, `make routes` takes about 40 s, most of it
// relinking the tools from the Dockerfiles' and the CI workflow's own build commands.
//
// Nothing here talks to a network or a cluster: charts are local, HELM_*_HOME and KUBECONFIG
// point into temporary directories, never at the user's.
package routes
