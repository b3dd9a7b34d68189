// Package e2e proves argo-metrics-gen against the real Argo workflow-controller: a real etcd, a
// real kube-apiserver and the real controller run on loopback, a stand-in kubelet (Go code in
// this package) completes the pods the controller creates, and each scenario asserts the exact
// lines the controller exports on /metrics for CronWorkflows injected by this project's own
// injector.
//
// The tests skip unless ARGO_E2E=1, so `go test ./...` stays fast. Run them with `make e2e`
// (optionally `make e2e ARGO=v3.6.10`), which builds and caches kube-apiserver and the
// controller in throw-away modules under $HOME/.cache/argo-metrics-gen-e2e (see build.sh) and
// never adds them to this module. The whole plane runs in a private network namespace when the
// kernel allows it, so nothing can reach an address off the machine.
package e2e
