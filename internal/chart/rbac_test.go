package chart_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestNoClusterScopedObjects: whatever the scenario and whichever optional APIs the cluster
// serves, the chart renders only namespaced objects (in the Argo, Datadog or release namespace,
// as configured) and no RBAC: installing it needs no cluster-wide rights. The one exception is
// asked for by name: kubeStateMetrics.rbac.create, which renders exactly a ClusterRole that reads
// CronWorkflows and CRDs and its binding (checked in TestScenariosRender).
func TestNoClusterScopedObjects(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if len(files) == 0 {
		t.Fatal("no ci scenarios")
	}
	for _, f := range files {
		res := render(t, scenario(t, filepath.Base(f)), allAPIs...)
		if len(res.Objects) == 0 {
			t.Errorf("%s renders nothing", filepath.Base(f))
		}
		asked := get(scenario(t, filepath.Base(f)), false, "kubeStateMetrics", "rbac", "create") == true
		for _, o := range res.Objects {
			if asked && (o.Kind == "ClusterRole" || o.Kind == "ClusterRoleBinding") && strings.HasSuffix(o.Name, "-kube-state-metrics-cronworkflows") {
				continue
			}
			if strings.HasPrefix(o.Kind, "Cluster") || strings.Contains(o.Kind, "Role") || o.Kind == "Namespace" || o.Kind == "CustomResourceDefinition" {
				t.Errorf("%s: %s %s is cluster-scoped or RBAC", filepath.Base(f), o.Kind, o.Name)
			}
		}
	}
}
