//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment of the end-to-end tests. Only ARGO_E2E is needed; `make e2e` sets the others.
const (
	envEnable      = "ARGO_E2E"         // "1" runs the tests, anything else skips them
	envArgoVersion = "E2E_ARGO_VERSION" // workflow-controller version, default defaultArgoVersion
	envKubeVersion = "E2E_KUBE_VERSION" // kube-apiserver version, default defaultKubeVersion
	envNetns       = "E2E_NETNS"        // "0": run on the host's loopback; "1": a private netns is required
	envKeep        = "E2E_KEEP"         // "1": keep the work directory (logs) after the run
	// "recommended": run the scenarios with the recommended exit_code when clauses in place of
	// the recipe's (see overrideWhen).
	envExitCodeWhen = "E2E_EXIT_CODE_WHEN"
	envInner        = "E2E_INNER" // set on the re-executed test binary inside the netns
	envAPIServer    = "E2E_APISERVER_BIN"
	envController   = "E2E_CONTROLLER_BIN"
	envPrometheus   = "E2E_PROMETHEUS_BIN" // the Prometheus server (test/tools/prometheus.sh)
	envKSM          = "E2E_KSM_BIN"        // kube-state-metrics (test/tools/kube-state-metrics.sh)

	defaultArgoVersion = "v3.7.18"
	defaultKubeVersion = "v1.34.1"
	// prometheusVersion is the Prometheus server that evaluates the chart's rules
	// (prometheus_test.go); the same release as the chart tests' promtool.
	prometheusVersion = "v0.305.0"
	// ksmVersion is the kube-state-metrics release that exports the CronWorkflows' state with the
	// chart's configuration (state_test.go).
	ksmVersion = "v2.20.0"
)

// plane is the running control plane, nil when the tests are skipped.
var plane *Plane

func TestMain(m *testing.M) {
	if os.Getenv(envEnable) != "1" {
		os.Exit(m.Run()) // every test skips itself (see needPlane)
	}
	os.Exit(runE2E(m))
}

// needPlane skips the test unless the end-to-end plane is up.
func needPlane(t *testing.T) *Plane {
	t.Helper()
	if plane == nil {
		t.Skipf("end-to-end test: set %s=1 (or run `make e2e`) to run it against a real workflow-controller", envEnable)
	}
	return plane
}

func argoVersion() string {
	if v := os.Getenv(envArgoVersion); v != "" {
		return v
	}
	return defaultArgoVersion
}

func kubeVersion() string {
	if v := os.Getenv(envKubeVersion); v != "" {
		return v
	}
	return defaultKubeVersion
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...)
}

// runE2E builds (or finds cached) components, moves into a private network namespace when it
// can, starts the plane, runs the tests and tears everything down, also when they fail.
func runE2E(m *testing.M) int {
	if os.Getenv(envInner) == "" {
		if err := ensureBinaries(); err != nil {
			logf("%v", err)
			return 1
		}
		switch os.Getenv(envNetns) {
		case "0":
			logf("E2E_NETNS=0: running on the host's loopback interface")
		default:
			code, err := runInNetns()
			if err == nil {
				return code
			}
			if os.Getenv(envNetns) == "1" {
				logf("a private network namespace is required (E2E_NETNS=1) but: %v", err)
				return 1
			}
			logf("no private network namespace (%v): running on the host's loopback interface", err)
		}
	} else {
		if err := loopbackUp(); err != nil {
			logf("bringing up lo in the network namespace: %v", err)
			return 1
		}
		if err := checkIsolated(); err != nil {
			logf("%v", err)
			return 1
		}
	}

	start := time.Now()
	p, err := StartPlane(PlaneOptions{
		APIServer:   os.Getenv(envAPIServer),
		Controller:  os.Getenv(envController),
		CRDDir:      filepath.Join(filepath.Dir(os.Getenv(envController)), "crds"),
		ArgoVersion: argoVersion(),
		Keep:        os.Getenv(envKeep) == "1",
	})
	if err != nil {
		logf("starting the plane: %v", err)
		if p != nil {
			p.Stop(false)
		}
		return 1
	}
	logf("plane up in %s: etcd, kube-apiserver %s, workflow-controller %s, stand-in kubelet (work dir %s)",
		time.Since(start).Round(time.Millisecond), kubeVersion(), argoVersion(), p.Dir)

	// Tear down on SIGINT/SIGTERM too; the children also carry a parent-death signal, so a
	// crash or a test timeout panic cannot leave them running.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sig
		logf("%v: tearing down", s)
		p.Stop(true)
		os.Exit(2)
	}()

	plane = p
	code := m.Run()
	signal.Stop(sig)
	if err := p.Stop(code != 0); err != nil {
		logf("teardown: %v", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// ensureBinaries builds or finds the cached kube-apiserver and workflow-controller (build.sh),
// Prometheus server (../tools/prometheus.sh) and kube-state-metrics
// (../tools/kube-state-metrics.sh), and records their paths in the environment
// the (re-executed) tests read.
func ensureBinaries() error {
	if _, err := exec.LookPath(etcdBinary()); err != nil {
		return fmt.Errorf("etcd not found (%v): install Debian's etcd-server (apt-get install etcd-server) or set E2E_ETCD", err)
	}
	build := func(component, version, env string) error {
		if os.Getenv(env) != "" {
			return nil
		}
		start := time.Now()
		cmd := exec.Command("./build.sh", component, version)
		switch component {
		case "prometheus":
			cmd = exec.Command("../tools/prometheus.sh", component, version)
		case "kube-state-metrics":
			cmd = exec.Command("../tools/kube-state-metrics.sh", version)
		}
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("build.sh %s %s: %v", component, version, err)
		}
		path := strings.TrimSpace(string(out))
		logf("%s %s: %s (%s)", component, version, path, time.Since(start).Round(time.Millisecond))
		return os.Setenv(env, path)
	}
	if err := build("apiserver", kubeVersion(), envAPIServer); err != nil {
		return err
	}
	if err := build("controller", argoVersion(), envController); err != nil {
		return err
	}
	if err := build("prometheus", prometheusVersion, envPrometheus); err != nil {
		return err
	}
	return build("kube-state-metrics", ksmVersion, envKSM)
}

func etcdBinary() string {
	if p := os.Getenv("E2E_ETCD"); p != "" {
		return p
	}
	return "etcd"
}
