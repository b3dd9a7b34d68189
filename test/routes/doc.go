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
// Nothing here talks to a network or a cluster: charts are local, HELM_*_HOME and KUBECONFIG
// point into temporary directories, never at the user's.
package routes
