//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	wfclientset "github.com/argoproj/argo-workflows/v3/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Annotations a test template may put in its metadata (the controller copies them onto the pod)
// to steer the stand-in kubelet beyond what the template's own program says.
const (
	// AnnotationWaitExitCode makes the wait container (argoexec) exit with this code, as when it
	// cannot save outputs: the controller reports the node as Error.
	AnnotationWaitExitCode = "e2e.argo-metrics-gen.io/wait-exit-code"
	// AnnotationFailAttempts makes the first N attempts of a retried node (node name ending in
	// "(0)", "(1)", ...) exit 1 whatever the program says.
	AnnotationFailAttempts = "e2e.argo-metrics-gen.io/fail-attempts"
	// AnnotationPendingSeconds keeps the pod Pending this long before it starts running, as an
	// unschedulable pod or a slow image pull does.
	AnnotationPendingSeconds = "e2e.argo-metrics-gen.io/pending-seconds"
)

// Kubelet is a stand-in for the kubelet and for argoexec: it "runs" every pod the controller
// creates by interpreting the template's program (see run), writes the WorkflowTaskResult the
// wait container would write (name = node ID, outputs with the exit code and the result), then
// sets the pod status the real kubelet would (Running, then Succeeded or Failed with
// terminated container states). It enforces spec.activeDeadlineSeconds like the real kubelet.
// It never sets spec.nodeName, so the API server never tries to reach a node (exec, logs).
type Kubelet struct {
	kube kubernetes.Interface
	argo wfclientset.Interface
	ns   string

	mu        sync.Mutex
	pods      map[types.UID]*podRun
	errs      []string
	done      chan struct{}
	completed int
}

type podRun struct {
	started  time.Time
	prog     program
	finished bool
}

func NewKubelet(kube kubernetes.Interface, argo wfclientset.Interface, ns string) *Kubelet {
	return &Kubelet{kube: kube, argo: argo, ns: ns, pods: map[types.UID]*podRun{}, done: make(chan struct{})}
}

// Run polls the namespace's pods every 100 ms until ctx ends.
func (k *Kubelet) Run(ctx context.Context) {
	defer close(k.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pods, err := k.kube.CoreV1().Pods(k.ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			if ctx.Err() == nil {
				k.fail("listing pods: %v", err)
			}
			continue
		}
		for i := range pods.Items {
			if err := k.sync(ctx, &pods.Items[i]); err != nil && ctx.Err() == nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
				k.fail("pod %s: %v", pods.Items[i].Name, err)
			}
		}
	}
}

// Completed returns how many pods the kubelet has completed.
func (k *Kubelet) Completed() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.completed
}

// Wait returns once Run has returned.
func (k *Kubelet) Wait() { <-k.done }

func (k *Kubelet) fail(format string, args ...any) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.errs = append(k.errs, fmt.Sprintf(format, args...))
}

// Errors returns (and clears) what went wrong so far.
func (k *Kubelet) Errors() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.errs
	k.errs = nil
	return e
}

func (k *Kubelet) sync(ctx context.Context, pod *corev1.Pod) error {
	if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return nil
	}
	k.mu.Lock()
	r := k.pods[pod.UID]
	k.mu.Unlock()
	if r == nil {
		prog, err := programOf(pod)
		r = &podRun{started: time.Now(), prog: prog, finished: err != nil}
		if v, ok := pod.Annotations[AnnotationPendingSeconds]; ok {
			n, _ := strconv.ParseFloat(v, 64)
			r.started = r.started.Add(time.Duration(n * float64(time.Second))) // runs from then on
		}
		k.mu.Lock()
		k.pods[pod.UID] = r
		k.mu.Unlock()
		if err != nil {
			return err // reported once; the pod is left alone
		}
	}
	if r.finished {
		return nil
	}
	if pod.Status.Phase != corev1.PodRunning {
		if time.Now().Before(r.started) {
			return nil // still pending
		}
		return k.setRunning(ctx, pod, r)
	}
	elapsed := time.Since(r.started)
	if ads := pod.Spec.ActiveDeadlineSeconds; ads != nil && elapsed >= time.Duration(*ads)*time.Second && r.prog.runFor > time.Duration(*ads)*time.Second {
		// The real kubelet kills the pod; the wait container still reports (exit code 137).
		if err := k.writeTaskResult(ctx, pod, 137, ""); err != nil {
			return err
		}
		st := k.terminated(pod, r, 137)
		st.Phase = corev1.PodFailed
		st.Reason = "DeadlineExceeded"
		st.Message = "Pod was active on the node longer than the specified deadline"
		return k.setStatus(ctx, pod, r, st)
	}
	if elapsed < r.prog.runFor {
		return nil
	}
	if err := k.writeTaskResult(ctx, pod, r.prog.exitCode, r.prog.stdout); err != nil {
		return err
	}
	st := k.terminated(pod, r, r.prog.exitCode)
	st.Phase = corev1.PodSucceeded
	for _, c := range st.ContainerStatuses {
		if c.State.Terminated.ExitCode != 0 {
			st.Phase = corev1.PodFailed
		}
	}
	return k.setStatus(ctx, pod, r, st)
}

func (k *Kubelet) setRunning(ctx context.Context, pod *corev1.Pod, r *podRun) error {
	now := metav1.NewTime(r.started)
	p := pod.DeepCopy()
	p.Status.Phase = corev1.PodRunning
	p.Status.StartTime = &now
	p.Status.PodIP = "127.0.0.1"
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	p.Status.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: true,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: now, FinishedAt: now}},
		})
	}
	p.Status.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: true, Started: ptr(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	_, err := k.kube.CoreV1().Pods(k.ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

// terminated returns the pod status with every container terminated: main with mainExit, the
// wait container with the annotated code (default 0), any other container with 0.
func (k *Kubelet) terminated(pod *corev1.Pod, r *podRun, mainExit int32) corev1.PodStatus {
	st := *pod.Status.DeepCopy()
	started, now := metav1.NewTime(r.started), metav1.Now()
	waitExit := int32(0)
	if v, ok := pod.Annotations[AnnotationWaitExitCode]; ok {
		n, _ := strconv.Atoi(v)
		waitExit = int32(n)
	}
	st.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		code := int32(0)
		switch c.Name {
		case "main":
			code = mainExit
		case "wait":
			code = waitExit
		}
		reason := "Completed"
		if code != 0 {
			reason = "Error"
		}
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason, StartedAt: started, FinishedAt: now}},
		})
	}
	st.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: now}}
	return st
}

func (k *Kubelet) setStatus(ctx context.Context, pod *corev1.Pod, r *podRun, st corev1.PodStatus) error {
	p := pod.DeepCopy()
	p.Status = st
	if _, err := k.kube.CoreV1().Pods(k.ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		return err
	}
	k.mu.Lock()
	r.finished = true
	k.completed++
	k.mu.Unlock()
	return nil
}

// writeTaskResult creates the WorkflowTaskResult that argoexec's wait container writes when
// the main container ends. Without it the controller waits for outputs before completing the
// node. Like argoexec (workflow/executor/taskresult.go, upsertTaskResult), it merge-patches the
// result when one exists already: a retried node's pod has the same node ID.
func (k *Kubelet) writeTaskResult(ctx context.Context, pod *corev1.Pod, exitCode int32, stdout string) error {
	nodeID := pod.Annotations["workflows.argoproj.io/node-id"]
	wf := pod.Labels["workflows.argoproj.io/workflow"]
	if nodeID == "" || wf == "" {
		return fmt.Errorf("pod lacks the node-id annotation or workflow label")
	}
	outputs := wfv1.Outputs{ExitCode: ptr(strconv.Itoa(int(exitCode)))}
	if stdout != "" {
		outputs.Result = ptr(strings.TrimSuffix(stdout, "\n"))
	}
	tr := &wfv1.WorkflowTaskResult{
		ObjectMeta: metav1.ObjectMeta{
			Name:      nodeID,
			Namespace: k.ns,
			Labels: map[string]string{
				"workflows.argoproj.io/workflow":                 wf,
				"workflows.argoproj.io/report-outputs-completed": "true",
			},
		},
		NodeResult: wfv1.NodeResult{Outputs: &outputs},
	}
	results := k.argo.ArgoprojV1alpha1().WorkflowTaskResults(k.ns)
	_, err := results.Create(ctx, tr, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		patch, err := json.Marshal(&wfv1.WorkflowTaskResult{ObjectMeta: metav1.ObjectMeta{Labels: tr.Labels}, NodeResult: tr.NodeResult})
		if err != nil {
			return err
		}
		_, err = results.Patch(ctx, nodeID, types.MergePatchType, patch, metav1.PatchOptions{})
		return err
	}
	return err
}

// program is what a pod "does": how long it runs, what it prints, how it exits.
type program struct {
	runFor   time.Duration
	stdout   string
	exitCode int32
}

var (
	reExit  = regexp.MustCompile(`^exit\s+(\d+)$`)
	reSleep = regexp.MustCompile(`^sleep\s+(\d+(?:\.\d+)?)$`)
	reEcho  = regexp.MustCompile(`^echo\s*(.*)$`)
	// reAttempt is the attempt index at the end of a retried node's name: "wf.main(1)".
	reAttempt = regexp.MustCompile(`\((\d+)\)$`)
)

// programOf reads the template the controller gave the pod (ARGO_TEMPLATE, with parameters
// already substituted): a script's source, or the main container's `sh -c` text or command
// line, and interprets it with a deliberately tiny shell: statements separated by newlines or
// ";", each one of `echo TEXT`, `sleep SECONDS`, `exit CODE`, `true`, `false`, or a `#` comment.
// Anything else is an error, so a test cannot rely on behaviour the stand-in does not have.
func programOf(pod *corev1.Pod) (program, error) {
	var tmpl wfv1.Template
	found := false
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, e := range c.Env {
				if e.Name == "ARGO_TEMPLATE" && !found {
					if err := json.Unmarshal([]byte(e.Value), &tmpl); err != nil {
						return program{}, fmt.Errorf("ARGO_TEMPLATE: %v", err)
					}
					found = true
				}
			}
		}
	}
	var text string
	switch {
	case found && tmpl.Script != nil:
		text = tmpl.Script.Source
	default:
		var main *corev1.Container
		for i := range pod.Spec.Containers {
			if pod.Spec.Containers[i].Name == "main" {
				main = &pod.Spec.Containers[i]
			}
		}
		if main == nil {
			return program{}, fmt.Errorf("no main container")
		}
		argv := append(append([]string{}, main.Command...), main.Args...)
		// The controller wraps the command: /var/run/argo/argoexec emissary ... -- CMD...
		for i, a := range argv {
			if a == "--" && i > 0 && strings.HasSuffix(argv[0], "argoexec") {
				argv = argv[i+1:]
				break
			}
		}
		if len(argv) == 0 {
			// The controller would have to look the image's entrypoint up in a registry.
			return program{}, fmt.Errorf("main container has no command: refusing (it would need a registry)")
		}
		if len(argv) >= 3 && (argv[0] == "sh" || argv[0] == "/bin/sh" || argv[0] == "bash") && argv[1] == "-c" {
			text = argv[2]
		} else {
			text = strings.Join(argv, " ")
		}
	}
	p, err := interpret(text)
	if err != nil {
		return p, err
	}
	if v, ok := pod.Annotations[AnnotationFailAttempts]; ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, fmt.Errorf("%s: %v", AnnotationFailAttempts, err)
		}
		m := reAttempt.FindStringSubmatch(pod.Annotations["workflows.argoproj.io/node-name"])
		if m == nil {
			return p, fmt.Errorf("%s on a pod that is no retry attempt (node %q)", AnnotationFailAttempts, pod.Annotations["workflows.argoproj.io/node-name"])
		}
		if attempt, _ := strconv.Atoi(m[1]); attempt < n {
			p.exitCode = 1
		}
	}
	return p, nil
}

func interpret(text string) (program, error) {
	var p program
	for _, line := range strings.Split(text, "\n") {
		for _, st := range strings.Split(line, ";") {
			st = strings.TrimSpace(st)
			switch {
			case st == "" || strings.HasPrefix(st, "#") || st == "true":
			case st == "false":
				p.exitCode = 1
				return p, nil
			case reExit.MatchString(st):
				n, _ := strconv.Atoi(reExit.FindStringSubmatch(st)[1])
				p.exitCode = int32(n)
				return p, nil
			case reSleep.MatchString(st):
				f, _ := strconv.ParseFloat(reSleep.FindStringSubmatch(st)[1], 64)
				p.runFor += time.Duration(f * float64(time.Second))
			case reEcho.MatchString(st):
				p.stdout += strings.Trim(reEcho.FindStringSubmatch(st)[1], `"'`) + "\n"
			default:
				return p, fmt.Errorf("stand-in kubelet cannot run %q", st)
			}
		}
	}
	return p, nil
}

func ptr[T any](v T) *T { return &v }
