#!/usr/bin/env python3
"""Extracts the openAPIV3Schema of the CRDs the chart renders, without descriptions, from the
upstream sources in the Go module cache (fetch them with `go mod download -json MODULE@VERSION`).
The chart tests validate rendered objects against these schemas, strictly (unknown fields are
errors, as with kubectl's strict field validation).

  datadog-operator        github.com/DataDog/datadog-operator@v1.30.0
  prometheus-operator     github.com/prometheus-operator/prometheus-operator@v0.85.0
  GMP (prometheus-engine) github.com/GoogleCloudPlatform/prometheus-engine@v0.17.2
"""
import json, os, sys
import yaml

MOD = os.path.expanduser(os.environ.get("GOMODCACHE", "~/go/pkg/mod"))
SOURCES = [
    ("github.com/!data!dog/datadog-operator@v1.30.0/config/crd/bases/v1/datadoghq.com_datadogmonitors.yaml", "v1alpha1"),
    ("github.com/!data!dog/datadog-operator@v1.30.0/config/crd/bases/v1/datadoghq.com_datadogdashboards.yaml", "v1alpha1"),
    ("github.com/prometheus-operator/prometheus-operator@v0.85.0/example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml", "v1"),
    ("github.com/prometheus-operator/prometheus-operator@v0.85.0/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml", "v1"),
    ("github.com/!google!cloud!platform/prometheus-engine@v0.17.2/charts/operator/crds/monitoring.googleapis.com_podmonitorings.yaml", "v1"),
    ("github.com/!google!cloud!platform/prometheus-engine@v0.17.2/charts/operator/crds/monitoring.googleapis.com_rules.yaml", "v1"),
]

def strip(n):
    if isinstance(n, dict):
        return {k: strip(v) for k, v in n.items() if k != "description"}
    if isinstance(n, list):
        return [strip(v) for v in n]
    return n

for path, version in SOURCES:
    crd = yaml.safe_load(open(os.path.join(MOD, path)))
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    (v,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    out = {"apiVersion": group + "/" + version, "kind": kind, "schema": strip(v["schema"]["openAPIV3Schema"])}
    name = "%s_%s.%s.json" % (group, crd["spec"]["names"]["plural"], version)
    with open(name, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(name, file=sys.stderr)
