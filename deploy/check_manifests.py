"""Checks for deploy/ that no off-the-shelf linter makes; run by deploy/check.sh
with the .venv-deploy interpreter (PyYAML, jsonschema and kubernetes-validate).

    python deploy/check_manifests.py k8s-refs      deploy/k8s
    python deploy/check_manifests.py knative       deploy/cloudrun/service.yaml
    python deploy/check_manifests.py compose       deploy/compose/docker-compose.prod.yml SCHEMA
    python deploy/check_manifests.py dockerignore  deploy/docker/Dockerfile

Each prints what is wrong and exits 1, or prints nothing and exits 0.
"""

import json
import re
import sys
from pathlib import Path

import jsonschema
import yaml

REPO = Path(__file__).resolve().parent.parent
K8S_VERSION = "1.37.0"


class Problems(list):
    def need(self, condition, message):
        if not condition:
            self.append(message)
        return condition


def load_all(path):
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def dig(node, *keys, default=None):
    for key in keys:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return default
    return node


def env_value(container, name):
    for item in container.get("env", []):
        if item.get("name") == name:
            return item.get("value")
    return None


def dockerfile_user():
    """The numeric uid the production image runs as (USER uid:gid)."""
    text = (REPO / "deploy/docker/Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\d+)", text, flags=re.M)
    return int(users[-1]) if users else None


# --- Kubernetes: the manifests must fit together, and keep the promises the
# README makes (non-root, read-only root, probes, drain time).
def check_k8s_refs(directory):
    problems = Problems()
    docs = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        for doc in load_all(path):
            docs.setdefault(doc["kind"], []).append(doc)
    for kind in ("Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        problems.need(len(docs.get(kind, [])) == 1, f"expected exactly one {kind} in {directory}")
    if problems:
        return problems
    deployment, service, ingress = docs["Deployment"][0], docs["Service"][0], docs["Ingress"][0]
    hpa, pdb = docs["HorizontalPodAutoscaler"][0], docs["PodDisruptionBudget"][0]

    pod_labels = dig(deployment, "spec", "template", "metadata", "labels", default={})
    pod = dig(deployment, "spec", "template", "spec", default={})

    def selects_pods(selector, what):
        problems.need(
            selector and all(pod_labels.get(k) == v for k, v in selector.items()),
            f"{what} selector {selector} does not match the pod labels {pod_labels}",
        )

    selects_pods(dig(deployment, "spec", "selector", "matchLabels"), "Deployment")
    selects_pods(dig(service, "spec", "selector"), "Service")
    selects_pods(dig(pdb, "spec", "selector", "matchLabels"), "PodDisruptionBudget")
    problems.need(
        "replicas" not in deployment["spec"],
        "Deployment sets spec.replicas, which fights the HorizontalPodAutoscaler on every apply",
    )
    target = hpa["spec"]["scaleTargetRef"]
    problems.need(
        target.get("kind") == "Deployment" and target.get("name") == deployment["metadata"]["name"],
        f"HPA scaleTargetRef {target} is not the Deployment",
    )

    containers = pod.get("containers", [])
    problems.need(len(containers) == 1, "expected one container in the pod")
    container = containers[0] if containers else {}
    port_names = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
    port_numbers = set(port_names.values())

    def port_exists(port, what):
        problems.need(port in port_names or port in port_numbers, f"{what} port {port!r} is not a container port")

    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        if problems.need(probe in container, f"container has no {probe}"):
            problems.need(dig(container, probe, "httpGet", "path") == "/health", f"{probe} does not GET /health")
            port_exists(dig(container, probe, "httpGet", "port"), probe)
    problems.need(
        env_value(container, "RMCP_HTTP_HOST") == "0.0.0.0",
        "RMCP_HTTP_HOST must be 0.0.0.0 in a pod, or the Service cannot reach it",
    )
    api_key = next((e for e in container.get("env", []) if e.get("name") == "RMCP_API_KEY"), None)
    problems.need(
        dig(api_key, "valueFrom", "secretKeyRef", "name") is not None,
        "RMCP_API_KEY must come from a Secret (valueFrom.secretKeyRef)",
    )
    problems.need(
        dig(container, "resources", "requests") and dig(container, "resources", "limits", "memory"),
        "container needs resource requests and a memory limit",
    )
    problems.need(not str(container.get("image", "")).endswith(":latest"), "image tag must not be :latest")

    security = container.get("securityContext", {})
    pod_security = pod.get("securityContext", {})
    problems.need(pod_security.get("runAsNonRoot") is True, "pod securityContext.runAsNonRoot must be true")
    problems.need(
        pod_security.get("runAsUser") == dockerfile_user(),
        f"pod runAsUser {pod_security.get('runAsUser')} differs from the Dockerfile's USER {dockerfile_user()}",
    )
    problems.need(security.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation must be false")
    problems.need(security.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem must be true")
    problems.need(dig(security, "capabilities", "drop") == ["ALL"], "capabilities must drop ALL")
    mounts = {m.get("mountPath"): m.get("name") for m in container.get("volumeMounts", [])}
    volumes = {v.get("name"): v for v in pod.get("volumes", [])}
    problems.need(
        "emptyDir" in volumes.get(mounts.get("/tmp"), {}),
        "with a read-only root filesystem, /tmp (R's TMPDIR) must be an emptyDir",
    )

    grace = float(env_value(container, "RMCP_SHUTDOWN_GRACE") or 10)
    pre_stop = dig(container, "lifecycle", "preStop", "exec", "command", default=[])
    pre_stop_sleep = float(pre_stop[1]) if len(pre_stop) == 2 and pre_stop[0] == "sleep" else 0.0
    termination = pod.get("terminationGracePeriodSeconds", 30)
    problems.need(
        termination > grace + pre_stop_sleep,
        f"terminationGracePeriodSeconds {termination} leaves no time for preStop ({pre_stop_sleep} s) "
        f"+ RMCP_SHUTDOWN_GRACE ({grace} s)",
    )

    service_ports = {p.get("name"): p for p in service["spec"].get("ports", [])}
    for port in service_ports.values():
        port_exists(port.get("targetPort"), "Service targetPort")
    annotations = ingress["metadata"].get("annotations", {})
    problems.need(
        annotations.get("nginx.ingress.kubernetes.io/proxy-buffering") == "off",
        "ingress must turn proxy buffering off (SSE)",
    )
    problems.need(
        "nginx.ingress.kubernetes.io/upstream-hash-by" in annotations,
        "ingress needs session affinity (upstream-hash-by)",
    )
    problems.need(
        int(annotations.get("nginx.ingress.kubernetes.io/proxy-read-timeout", "60")) >= 300,
        "ingress proxy-read-timeout must outlast RMCP_R_TIMEOUT (300 s)",
    )
    problems.need(ingress["spec"].get("tls"), "ingress has no TLS section")
    paths = []
    for rule in ingress["spec"].get("rules", []):
        for path in dig(rule, "http", "paths", default=[]):
            paths.append(path.get("path"))
            backend = dig(path, "backend", "service", default={})
            problems.need(
                backend.get("name") == service["metadata"]["name"],
                f"ingress path {path.get('path')} points at Service {backend.get('name')!r}",
            )
            port = backend.get("port", {})
            problems.need(
                port.get("name") in service_ports
                or port.get("number") in {p.get("port") for p in service_ports.values()},
                f"ingress path {path.get('path')} points at a port the Service does not have: {port}",
            )
    problems.need("/mcp" in paths, "ingress does not route /mcp")
    return problems


# --- Cloud Run: kubernetes-validate knows no Knative kinds, so check the
# Service's own required fields and Cloud Run's rules here, then validate the
# revision's containers as a core/v1 Pod (a Knative RevisionSpec is a PodSpec
# subset plus containerConcurrency and timeoutSeconds).
KNATIVE_REVISION_KEYS = {
    "containers", "containerConcurrency", "timeoutSeconds", "serviceAccountName",
    "volumes", "imagePullSecrets", "enableServiceLinks", "nodeSelector",
    "runtimeClassName", "securityContext",
}
DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


def check_knative(path):
    import kubernetes_validate.utils as kv

    problems = Problems()
    docs = load_all(path)
    if not problems.need(len(docs) == 1, "expected one document"):
        return problems
    service = docs[0]
    problems.need(service.get("apiVersion") == "serving.knative.dev/v1", "apiVersion must be serving.knative.dev/v1")
    problems.need(service.get("kind") == "Service", "kind must be Service")
    name = dig(service, "metadata", "name", default="")
    problems.need(DNS_1035.match(name) is not None, f"metadata.name {name!r} is not a DNS-1035 label")

    template = dig(service, "spec", "template", default={})
    for where, annotations in (
        ("metadata", dig(service, "metadata", "annotations", default={})),
        ("spec.template.metadata", dig(template, "metadata", "annotations", default={})),
    ):
        for key, value in annotations.items():
            problems.need(isinstance(value, str), f"{where} annotation {key} must be a string, got {value!r}")
    annotations = dig(template, "metadata", "annotations", default={})
    problems.need(
        annotations.get("run.googleapis.com/sessionAffinity") == "true",
        "run.googleapis.com/sessionAffinity must be \"true\" (sessions live in one instance)",
    )
    scale = {}
    for bound in ("minScale", "maxScale"):
        value = annotations.get(f"autoscaling.knative.dev/{bound}")
        if value is not None and problems.need(str(value).isdigit(), f"{bound} must be an integer string"):
            scale[bound] = int(value)
    if len(scale) == 2:
        problems.need(scale["minScale"] <= scale["maxScale"], "minScale is above maxScale")

    revision = template.get("spec", {})
    unknown = set(revision) - KNATIVE_REVISION_KEYS
    problems.need(not unknown, f"spec.template.spec has fields Knative does not accept: {sorted(unknown)}")
    concurrency = revision.get("containerConcurrency", 0)
    problems.need(
        isinstance(concurrency, int) and 0 <= concurrency <= 1000,
        "containerConcurrency must be an integer in 0..1000",
    )
    timeout = revision.get("timeoutSeconds", 300)
    problems.need(isinstance(timeout, int) and 1 <= timeout <= 3600, "timeoutSeconds must be in 1..3600")

    containers = revision.get("containers", [])
    if not problems.need(len(containers) == 1, "expected exactly one (ingress) container"):
        return problems
    container = containers[0]
    problems.need(container.get("image"), "container has no image")
    ports = container.get("ports", [])
    if problems.need(len(ports) == 1, "Cloud Run takes exactly one container port"):
        port = ports[0]
        extra = set(port) - {"name", "containerPort", "protocol"}
        problems.need(not extra, f"Cloud Run container ports take only name and containerPort, not {sorted(extra)}")
        problems.need(port.get("name", "http1") in ("http1", "h2c"), "port name must be http1 or h2c")
        problems.need(port.get("containerPort") == 8000, "containerPort must be 8000 (rmcp's port)")
        for probe in ("startupProbe", "livenessProbe"):
            if problems.need(probe in container, f"container has no {probe}"):
                problems.need(dig(container, probe, "httpGet", "path") == "/health", f"{probe} must GET /health")
                problems.need(
                    dig(container, probe, "httpGet", "port") in (None, port.get("containerPort")),
                    f"{probe} port must be the container port",
                )
    names = [e.get("name") for e in container.get("env", [])]
    problems.need("PORT" not in names, "PORT is reserved by Cloud Run")
    problems.need(env_value(container, "RMCP_HTTP_HOST") == "0.0.0.0", "RMCP_HTTP_HOST must be 0.0.0.0")
    for item in container.get("env", []):
        ref = dig(item, "valueFrom", "secretKeyRef")
        if ref is not None:
            problems.need(ref.get("name") and ref.get("key"), f"env {item.get('name')}: secretKeyRef needs name and key")
    problems.need("RMCP_API_KEY" in names, "RMCP_API_KEY must be set (from Secret Manager)")

    pod_containers = [dict(container, name=container.get("name", "rmcp"))]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name or "knative"},
        "spec": {"containers": pod_containers, **{
            key: value for key, value in revision.items()
            if key not in ("containers", "containerConcurrency", "timeoutSeconds")
        }},
    }
    try:
        kv.validate(pod, K8S_VERSION, strict=True)
    except kv.ValidationError as error:
        where = ".".join(str(part) for part in error.path)
        problems.append(f"revision spec as a Pod: {where}: {error.message}")
    return problems


# --- Compose: the Compose Specification schema (docker-compose 1.29.2's copy,
# fetched by check.sh from PyPI), then the stack's own wiring.
def check_compose(path, schema_path):
    problems = Problems()
    path = Path(path)
    compose = load_all(path)[0]
    schema = json.loads(Path(schema_path).read_text())
    validator = jsonschema.Draft7Validator(schema)
    for error in sorted(validator.iter_errors(compose), key=lambda e: list(e.path)):
        where = ".".join(str(part) for part in error.path) or "(top)"
        problems.append(f"compose schema: {where}: {error.message}")
    if problems:
        return problems

    here = path.parent
    services = compose.get("services", {})
    for name, service in services.items():
        problems.need("healthcheck" in service, f"service {name} has no healthcheck")
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith(".") and source != "./certs":
                problems.need((here / source).exists(), f"service {name} mounts {source}, which does not exist")
        for env_file in service.get("env_file", []):
            problems.need(
                (here / f"{env_file}.example").exists(),
                f"service {name} reads {env_file}; ship {env_file}.example beside it",
            )
    rmcp = services.get("rmcp", {})
    build = rmcp.get("build", {})
    context = (here / build.get("context", ".")).resolve()
    problems.need((context / "Cargo.toml").exists(), f"build context {context} is not the repository root")
    dockerfile = context / build.get("dockerfile", "Dockerfile")
    if problems.need(dockerfile.exists(), f"{dockerfile} does not exist"):
        stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile.read_text(), flags=re.M | re.I)
        problems.need(build.get("target") in stages, f"build target {build.get('target')} is not a stage of {stages}")
    problems.need(dig(rmcp, "deploy", "replicas", default=1) >= 2, "rmcp should run several replicas")
    problems.need(
        dig(rmcp, "environment", "RMCP_HTTP_HOST") == "0.0.0.0",
        "rmcp must bind 0.0.0.0 to be reachable from nginx",
    )
    problems.need(not rmcp.get("ports"), "rmcp must not publish ports; nginx is the only way in")
    nginx_conf = (here / "nginx.conf").read_text()
    problems.need(
        re.search(r"server\s+rmcp:8000", nginx_conf) is not None,
        "nginx.conf's upstream does not point at the rmcp service",
    )
    return problems


# --- Dockerfile: with an allow-list .dockerignore, a COPY of a path the list
# leaves out fails only at build time; catch it here.
def check_dockerignore(dockerfile):
    problems = Problems()
    dockerfile = Path(dockerfile)
    ignore = Path(f"{dockerfile}.dockerignore")
    allowed = [
        line[1:].rstrip("/") for line in ignore.read_text().splitlines()
        if line.startswith("!")
    ]
    problems.need(
        "*" in [line.strip() for line in ignore.read_text().splitlines()],
        f"{ignore} is expected to be an allow-list starting with '*'",
    )
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if not words or words[0] != "COPY" or any(w.startswith("--from") for w in words):
            continue
        sources = [w for w in words[1:-1] if not w.startswith("--")]
        for source in sources:
            source = source.rstrip("/")
            problems.need((REPO / source).exists(), f"COPY {source}: no such path in the repository")
            problems.need(
                any(source == a or source.startswith(a + "/") for a in allowed),
                f"COPY {source}: left out of the build context by {ignore.name}",
            )
    return problems


def main(argv):
    commands = {
        "k8s-refs": check_k8s_refs,
        "knative": check_knative,
        "compose": check_compose,
        "dockerignore": check_dockerignore,
    }
    if len(argv) < 2 or argv[0] not in commands:
        print(__doc__)
        return 2
    problems = commands[argv[0]](*argv[1:])
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
