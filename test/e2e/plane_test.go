//go:build linux

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	wfclientset "github.com/argoproj/argo-workflows/v3/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// Namespace is where the controller runs (namespaced) and where every test workflow runs.
const Namespace = "e2e"

// PlaneOptions says which binaries to run.
type PlaneOptions struct {
	APIServer, Controller, CRDDir, ArgoVersion string
	Keep                                       bool // keep the work directory after Stop
}

// Plane is a running etcd + kube-apiserver + workflow-controller + stand-in kubelet, all on
// loopback with ports picked at run time.
type Plane struct {
	Dir         string
	ArgoVersion string
	Config      *rest.Config
	Kube        kubernetes.Interface
	Argo        wfclientset.Interface
	Dynamic     dynamic.Interface
	MetricsURL  string
	Kubelet     *Kubelet

	keep  bool
	procs []*proc
	ctrl  *proc
	// How the controller was started, for RestartController.
	ctrlBin, kubeconfig     string
	metricsPort, ctrlStarts int
	cancel                  context.CancelFunc
	stopped                 sync.Once
	stopErr                 error
}

// proc is one child process with its log file.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
}

// freePorts asks the kernel for n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	// Hold every listener until all are chosen so the ports are distinct.
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// start runs a child process with a minimal environment (no proxy or telemetry settings leak
// in), its own process group, and SIGKILL should this process die first.
func (p *Plane) start(name string, env []string, bin string, args ...string) (*proc, error) {
	logPath := filepath.Join(p.Dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = p.Dir
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + p.Dir, "TMPDIR=" + p.Dir}, env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	pr := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		pr.err = cmd.Wait()
		f.Close()
		close(pr.done)
	}()
	p.procs = append(p.procs, pr)
	return pr, nil
}

// exited reports whether the process has ended (with its error).
func (pr *proc) exited() (bool, error) {
	select {
	case <-pr.done:
		return true, pr.err
	default:
		return false, nil
	}
}

// stopGrace is how long a process gets after SIGTERM before SIGKILL.
const stopGrace = 10 * time.Second

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (pr *proc) stop(grace time.Duration) error {
	if done, _ := pr.exited(); done {
		return nil
	}
	syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-pr.done:
		return nil
	case <-time.After(grace):
	}
	syscall.Kill(-pr.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-pr.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", pr.name, pr.cmd.Process.Pid)
	}
}

// tail returns the last n lines of a process log.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// poll calls f every interval until it returns true or an error, or timeout passes.
func poll(timeout, interval time.Duration, what string, f func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := f()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("timed out after %s waiting for %s: %v", timeout, what, last)
			}
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(interval)
	}
}

// StartPlane starts everything and returns once the controller serves metrics. On error the
// returned plane (if any) holds what was started; the caller stops it.
func StartPlane(o PlaneOptions) (*Plane, error) {
	dir, err := os.MkdirTemp("", "argo-metrics-gen-e2e-")
	if err != nil {
		return nil, err
	}
	p := &Plane{Dir: dir, ArgoVersion: o.ArgoVersion, keep: o.Keep}
	ports, err := freePorts(4)
	if err != nil {
		return p, err
	}
	etcdClient, etcdPeer, apiPort := ports[0], ports[1], ports[2]
	p.metricsPort = ports[3]

	// etcd (Debian's etcd-server, 3.4).
	etcd, err := p.start("etcd", nil, etcdBinary(),
		"--name=e2e",
		"--data-dir="+filepath.Join(dir, "etcd"),
		fmt.Sprintf("--listen-client-urls=http://127.0.0.1:%d", etcdClient),
		fmt.Sprintf("--advertise-client-urls=http://127.0.0.1:%d", etcdClient),
		fmt.Sprintf("--listen-peer-urls=http://127.0.0.1:%d", etcdPeer),
		fmt.Sprintf("--initial-advertise-peer-urls=http://127.0.0.1:%d", etcdPeer),
		fmt.Sprintf("--initial-cluster=e2e=http://127.0.0.1:%d", etcdPeer),
		"--log-level=warn",
	)
	if err != nil {
		return p, err
	}
	if err := poll(30*time.Second, 100*time.Millisecond, "etcd health", func() (bool, error) {
		if done, err := etcd.exited(); done {
			return false, fmt.Errorf("etcd exited: %v\n%s", err, tail(etcd.logPath, 20))
		}
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", etcdClient))
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200 && bytes.Contains(b, []byte(`"true"`)), nil
	}); err != nil {
		return p, err
	}

	// kube-apiserver: token auth, AlwaysAllow, a self-signed serving cert in --cert-dir.
	token, err := randomHex(16)
	if err != nil {
		return p, err
	}
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(token+",e2e-admin,e2e-admin,system:masters\n"), 0o600); err != nil {
		return p, err
	}
	saKey := filepath.Join(dir, "sa.key")
	if err := writeRSAKey(saKey); err != nil {
		return p, err
	}
	api, err := p.start("kube-apiserver", nil, o.APIServer,
		"--etcd-servers="+fmt.Sprintf("http://127.0.0.1:%d", etcdClient),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", apiPort),
		"--cert-dir="+filepath.Join(dir, "certs"),
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=AlwaysAllow",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+saKey,
		"--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range=10.96.0.0/24",
		"--endpoint-reconciler-type=none",
		// etcd 3.4 lacks watch-progress requests: without this informers stall.
		"--feature-gates=WatchList=false",
		// No controller-manager creates "default" service accounts.
		"--disable-admission-plugins=ServiceAccount",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--v=0",
	)
	if err != nil {
		return p, err
	}
	p.Config = &rest.Config{
		Host:            fmt.Sprintf("https://127.0.0.1:%d", apiPort),
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{Insecure: true}, // self-signed, loopback only
		QPS:             100,
		Burst:           200,
		Timeout:         30 * time.Second,
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if err := poll(90*time.Second, 250*time.Millisecond, "kube-apiserver /readyz", func() (bool, error) {
		if done, err := api.exited(); done {
			return false, fmt.Errorf("kube-apiserver exited: %v\n%s", err, tail(api.logPath, 30))
		}
		req, _ := http.NewRequest("GET", p.Config.Host+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return false, fmt.Errorf("readyz %d: %s", resp.StatusCode, lastLine(string(b)))
		}
		return true, nil
	}); err != nil {
		return p, err
	}
	if p.Kube, err = kubernetes.NewForConfig(p.Config); err != nil {
		return p, err
	}
	if p.Argo, err = wfclientset.NewForConfig(p.Config); err != nil {
		return p, err
	}
	if p.Dynamic, err = dynamic.NewForConfig(p.Config); err != nil {
		return p, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel

	if _, err := p.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}, metav1.CreateOptions{}); err != nil {
		return p, err
	}
	if err := p.installCRDs(ctx, o.CRDDir); err != nil {
		return p, err
	}

	// The controller's configuration: plain-HTTP metrics on a loopback port chosen here.
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "workflow-controller-configmap", Namespace: Namespace},
		Data: map[string]string{
			"metricsConfig": p.metricsConfig(""),
		},
	}
	if _, err := p.Kube.CoreV1().ConfigMaps(Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		return p, err
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster: {server: %q, insecure-skip-tls-verify: true}
users:
- name: e2e
  user: {token: %q}
contexts:
- name: e2e
  context: {cluster: e2e, user: e2e, namespace: %s}
current-context: e2e
`, p.Config.Host, token, Namespace)), 0o600); err != nil {
		return p, err
	}

	// The stand-in kubelet, before the controller creates any pod.
	p.Kubelet = NewKubelet(p.Kube, p.Argo, Namespace)
	go p.Kubelet.Run(ctx)

	p.ctrlBin, p.kubeconfig = o.Controller, kubeconfig
	p.MetricsURL = fmt.Sprintf("http://127.0.0.1:%d/metrics", p.metricsPort)
	if err := p.startController(); err != nil {
		return p, err
	}
	return p, nil
}

// metricsConfig is the controller's metricsConfig: plain HTTP on the plane's port, plus extra
// YAML lines (e.g. "metricsTTL: 10s").
func (p *Plane) metricsConfig(extra string) string {
	return fmt.Sprintf("enabled: true\npath: /metrics\nport: %d\nsecure: false\n", p.metricsPort) + extra
}

// startController starts the workflow-controller and waits until it serves metrics.
func (p *Plane) startController() error {
	name := "workflow-controller"
	if p.ctrlStarts++; p.ctrlStarts > 1 {
		name = fmt.Sprintf("workflow-controller-%d", p.ctrlStarts)
	}
	// DEFAULT_REQUEUE_TIME is the controller's documented knob for how soon a workflow is
	// re-processed after a pod event (default 10s, "some users may wish to have this as low
	// as 2s"); 1s keeps each run of a scenario at about a second.
	var err error
	p.ctrl, err = p.start(name, []string{"LEADER_ELECTION_DISABLE=true", "DEFAULT_REQUEUE_TIME=1s"}, p.ctrlBin,
		"--kubeconfig="+p.kubeconfig,
		"--namespaced",
		"--configmap=workflow-controller-configmap",
		"--loglevel=info",
		"--workflow-workers=4",
		"--cron-workflow-workers=2",
		"--pod-cleanup-workers=2",
		"--qps=100", "--burst=200",
	)
	if err != nil {
		return err
	}
	return poll(60*time.Second, 250*time.Millisecond, "workflow-controller metrics endpoint", func() (bool, error) {
		if done, err := p.ctrl.exited(); done {
			return false, fmt.Errorf("workflow-controller exited: %v\n%s", err, tail(p.ctrl.logPath, 30))
		}
		_, err := p.Scrape()
		return err == nil, err
	})
}

// RestartController stops the controller (SIGTERM, as a rollout does), sets its metricsConfig
// to the plane's plus extra, and starts a new one: in-memory metrics start empty.
func (p *Plane) RestartController(extra string) error {
	if err := p.ctrl.stop(stopGrace); err != nil {
		return err
	}
	ctx := context.Background()
	cm, err := p.Kube.CoreV1().ConfigMaps(Namespace).Get(ctx, "workflow-controller-configmap", metav1.GetOptions{})
	if err != nil {
		return err
	}
	cm.Data["metricsConfig"] = p.metricsConfig(extra)
	if _, err := p.Kube.CoreV1().ConfigMaps(Namespace).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		return err
	}
	return p.startController()
}

// installCRDs creates Argo's minimal CRDs and waits until they are served.
func (p *Plane) installCRDs(ctx context.Context, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "argoproj.io_*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no CRDs in %s (%v)", dir, err)
	}
	gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var obj map[string]any
		if err := yaml.Unmarshal(b, &obj); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		u := &unstructured.Unstructured{Object: obj}
		if _, err := p.Dynamic.Resource(gvr).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating CRD %s: %w", u.GetName(), err)
		}
		names = append(names, u.GetName())
	}
	sort.Strings(names)
	for _, n := range names {
		if err := poll(30*time.Second, 100*time.Millisecond, "CRD "+n+" established", func() (bool, error) {
			u, err := p.Dynamic.Resource(gvr).Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			for _, c := range conds {
				m, _ := c.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					return true, nil
				}
			}
			return false, nil
		}); err != nil {
			return err
		}
	}
	// Established is not yet "served by discovery": list one of each kind we use.
	return poll(30*time.Second, 100*time.Millisecond, "Argo resources served", func() (bool, error) {
		if _, err := p.Argo.ArgoprojV1alpha1().Workflows(Namespace).List(ctx, metav1.ListOptions{}); err != nil {
			return false, err
		}
		if _, err := p.Argo.ArgoprojV1alpha1().CronWorkflows(Namespace).List(ctx, metav1.ListOptions{}); err != nil {
			return false, err
		}
		_, err := p.Argo.ArgoprojV1alpha1().WorkflowTaskResults(Namespace).List(ctx, metav1.ListOptions{})
		return err == nil, err
	})
}

// Scrape returns the controller's /metrics body.
func (p *Plane) Scrape() (string, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(p.MetricsURL)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %s", p.MetricsURL, resp.Status)
	}
	return string(b), nil
}

// ControllerLog returns the controller's log so far.
func (p *Plane) ControllerLog() string {
	b, _ := os.ReadFile(p.ctrl.logPath)
	return string(b)
}

// ControllerAlive fails if the controller has exited.
func (p *Plane) ControllerAlive() error {
	if done, err := p.ctrl.exited(); done {
		return fmt.Errorf("workflow-controller exited: %v\n%s", err, tail(p.ctrl.logPath, 40))
	}
	return nil
}

// Stop tears everything down in reverse order and verifies that every child has exited. With
// showLogs, the tail of each log is printed (on failure). The work directory is removed unless
// Keep was set or something failed.
func (p *Plane) Stop(showLogs bool) error {
	p.stopped.Do(func() {
		if p.cancel != nil {
			p.cancel()
		}
		if p.Kubelet != nil {
			p.Kubelet.Wait()
			logf("stand-in kubelet completed %d pods", p.Kubelet.Completed())
		}
		var errs []error
		for i := len(p.procs) - 1; i >= 0; i-- {
			pr := p.procs[i]
			if err := pr.stop(stopGrace); err != nil {
				errs = append(errs, err)
			}
		}
		for _, pr := range p.procs {
			if done, _ := pr.exited(); !done {
				errs = append(errs, fmt.Errorf("%s (pid %d) still running", pr.name, pr.cmd.Process.Pid))
			} else if err := syscall.Kill(pr.cmd.Process.Pid, 0); err == nil {
				errs = append(errs, fmt.Errorf("%s (pid %d) still exists after exit", pr.name, pr.cmd.Process.Pid))
			}
		}
		if showLogs {
			for _, pr := range p.procs {
				logf("---- last lines of %s ----\n%s", pr.name, tail(pr.logPath, 40))
			}
		}
		p.stopErr = errors.Join(errs...)
		if p.keep || showLogs || p.stopErr != nil {
			logf("work directory kept: %s", p.Dir)
		} else {
			os.RemoveAll(p.Dir)
		}
	})
	return p.stopErr
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func writeRSAKey(path string) error {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}
