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
# README makes (non-root, read-only root, probes, drain time, session routing).
def check_k8s_refs(directory):
    problems = Problems()
    docs = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        for doc in load_all(path):
            docs.setdefault(doc["kind"], []).append(doc)
    expected = {
        "StatefulSet": 1, "Deployment": 1, "Service": 3, "Ingress": 1, "ConfigMap": 1,
        "HorizontalPodAutoscaler": 1, "PodDisruptionBudget": 2,
    }
    for kind, count in expected.items():
        problems.need(len(docs.get(kind, [])) == count, f"expected {count} {kind} in {directory}")
    unexpected = set(docs) - set(expected)
    problems.need(not unexpected, f"unexpected kinds in {directory}: {sorted(unexpected)}")
    if problems:
        return problems
    rmcp, router = docs["StatefulSet"][0], docs["Deployment"][0]
    ingress, hpa, config_map = docs["Ingress"][0], docs["HorizontalPodAutoscaler"][0], docs["ConfigMap"][0]

    def pod_labels(workload):
        return dig(workload, "spec", "template", "metadata", "labels", default={})

    def selects(selector, workload):
        return bool(selector) and all(pod_labels(workload).get(k) == v for k, v in selector.items())

    def one(kind, what, predicate):
        found = [doc for doc in docs[kind] if predicate(doc)]
        problems.need(len(found) == 1, f"expected one {kind} {what}, found {len(found)}")
        return found[0] if len(found) == 1 else {}

    for workload in (rmcp, router):
        name = workload["metadata"]["name"]
        problems.need(
            selects(dig(workload, "spec", "selector", "matchLabels"), workload),
            f"{name}: selector does not match its pod labels {pod_labels(workload)}",
        )
        problems.need(not selects(dig(workload, "spec", "selector", "matchLabels"), rmcp if workload is router else router),
                      f"{name}: selector also matches the other workload's pods")
        check_pod_security(problems, workload)

    # The rmcp pods.
    pod = dig(rmcp, "spec", "template", "spec", default={})
    container = (pod.get("containers") or [{}])[0]
    problems.need(len(pod.get("containers", [])) == 1, "expected one container in the rmcp pod")
    ports = container_ports(container)
    problems.need(
        "replicas" not in rmcp["spec"],
        "StatefulSet sets spec.replicas, which fights the HorizontalPodAutoscaler on every apply",
    )
    problems.need(
        dig(rmcp, "spec", "podManagementPolicy") == "Parallel",
        "StatefulSet pods should start in parallel (podManagementPolicy: Parallel); nothing needs their order",
    )
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        if problems.need(probe in container, f"rmcp container has no {probe}"):
            problems.need(dig(container, probe, "httpGet", "path") == "/health", f"{probe} does not GET /health")
            problems.need(dig(container, probe, "httpGet", "port") in ports, f"{probe} port is not a container port")
    problems.need(
        env_value(container, "RMCP_HTTP_HOST") == "0.0.0.0",
        "RMCP_HTTP_HOST must be 0.0.0.0 in a pod, or the Services cannot reach it",
    )
    node_id = next((e for e in container.get("env", []) if e.get("name") == "RMCP_NODE_ID"), None)
    problems.need(
        dig(node_id, "valueFrom", "fieldRef", "fieldPath") == "metadata.name",
        "RMCP_NODE_ID must be the pod name (valueFrom.fieldRef.fieldPath: metadata.name); the router routes by it",
    )
    api_key = next((e for e in container.get("env", []) if e.get("name") == "RMCP_API_KEY"), None)
    problems.need(
        dig(api_key, "valueFrom", "secretKeyRef", "name") is not None,
        "RMCP_API_KEY must come from a Secret (valueFrom.secretKeyRef)",
    )
    state_key = next((e for e in container.get("env", []) if e.get("name") == "RMCP_REQUEST_STATE_KEY"), None)
    problems.need(
        dig(state_key, "valueFrom", "secretKeyRef", "name") == dig(api_key, "valueFrom", "secretKeyRef", "name"),
        "RMCP_REQUEST_STATE_KEY must come from the API keys' Secret (valueFrom.secretKeyRef), one key for every pod",
    )
    check_engines(problems, env_value(container, "RMCP_R_ENGINES"), "StatefulSet")
    problems.need(
        pod.get("securityContext", {}).get("runAsUser") == dockerfile_user(),
        f"rmcp pod runAsUser {pod.get('securityContext', {}).get('runAsUser')} differs from the Dockerfile's "
        f"USER {dockerfile_user()}",
    )
    grace = float(env_value(container, "RMCP_SHUTDOWN_GRACE") or 10)
    check_drain(problems, rmcp, grace, "RMCP_SHUTDOWN_GRACE")

    # Services: the one for new sessions (ready pods), the headless one the
    # router resolves pods in, the router's.
    service = one("Service", "for the rmcp pods with a cluster IP",
                  lambda s: selects(dig(s, "spec", "selector"), rmcp) and dig(s, "spec", "clusterIP") != "None")
    headless = one("Service", "named by the StatefulSet's serviceName",
                   lambda s: s["metadata"]["name"] == dig(rmcp, "spec", "serviceName"))
    router_service = one("Service", "for the router pods", lambda s: selects(dig(s, "spec", "selector"), router))
    problems.need(
        dig(headless, "spec", "clusterIP") == "None" and selects(dig(headless, "spec", "selector"), rmcp),
        "the StatefulSet's serviceName must be a headless Service (clusterIP: None) selecting its pods",
    )
    problems.need(
        dig(headless, "spec", "publishNotReadyAddresses") is True,
        "the headless Service should publish not-ready pods: a session's requests must reach its pod regardless",
    )
    for svc, workload_ports in ((service, ports), (headless, ports), (router_service, None)):
        for port in dig(svc, "spec", "ports", default=[]):
            if workload_ports is not None:
                problems.need(port.get("targetPort") in workload_ports,
                              f"Service {svc['metadata']['name']} targetPort {port.get('targetPort')} is not an rmcp port")
    target = hpa["spec"]["scaleTargetRef"]
    problems.need(
        target.get("kind") == "StatefulSet" and target.get("name") == rmcp["metadata"]["name"],
        f"HPA scaleTargetRef {target} is not the StatefulSet",
    )
    for workload in (rmcp, router):
        one("PodDisruptionBudget", f"for {workload['metadata']['name']}",
            lambda b, w=workload: selects(dig(b, "spec", "selector", "matchLabels"), w))

    # The router: its config comes from the ConfigMap and routes by pod name.
    router_pod = dig(router, "spec", "template", "spec", default={})
    router_container = (router_pod.get("containers") or [{}])[0]
    router_ports = container_ports(router_container)
    for probe in ("livenessProbe", "readinessProbe"):
        if problems.need(probe in router_container, f"router container has no {probe}"):
            problems.need(dig(router_container, probe, "httpGet", "port") in router_ports,
                          f"router {probe} port is not a container port")
    command = router_container.get("command", [])
    conf_path = command[command.index("-c") + 1] if "-c" in command[:-1] else None
    mounts = {m.get("name"): m.get("mountPath") for m in router_container.get("volumeMounts", [])}
    volumes = {v.get("name"): v for v in router_pod.get("volumes", [])}
    mounted = [
        f"{mounts[name]}/{key}" for name, volume in volumes.items() if name in mounts
        and dig(volume, "configMap", "name") == config_map["metadata"]["name"]
        for key in config_map.get("data", {})
    ]
    problems.need(conf_path in mounted, f"router runs nginx -c {conf_path}, but the ConfigMap is mounted as {mounted}")
    conf = re.sub(r"#[^\n]*", "", config_map.get("data", {}).get("nginx.conf", ""))
    namespace_domain = r"\.([a-z0-9-]+)\.svc\.cluster\.local"
    route = re.search(
        r'"~\^\(\?<(\w+)>([a-z0-9-]+)-\[0-9\]\{1,5\}\)\\\."\s+"\$(\w+)\.([a-z0-9-]+)' + namespace_domain + r':(\d+)";',
        conf,
    )
    if problems.need(route, "router nginx.conf: no map line routing <statefulset>-N.<random> ids to pod DNS names"):
        capture, prefix, used, domain, _, port = route.groups()
        problems.need(capture == used, "router nginx.conf: the map's value does not use its capture")
        problems.need(prefix == rmcp["metadata"]["name"], f"router routes ids of {prefix}-N, not of the StatefulSet's pods")
        problems.need(domain == headless["metadata"]["name"], f"router resolves pods in {domain}, not the headless Service")
        problems.need(int(port) in ports.values(), f"router sends to pod port {port}, which the container does not have")
    any_server = re.search(r"upstream\s+rmcp_any\s*\{[^}]*server\s+([a-z0-9-]+)" + namespace_domain + r":(\d+)", conf)
    if problems.need(any_server, "router nginx.conf: upstream rmcp_any must name the rmcp Service"):
        name, _, port = any_server.groups()
        problems.need(name == service["metadata"]["name"], f"rmcp_any names {name}, not the Service")
        problems.need(int(port) in {p.get("port") for p in service["spec"]["ports"]}, f"rmcp_any port {port}")
    listen = re.search(r"^\s*listen\s+(\d+)", conf, flags=re.M)
    problems.need(listen and int(listen.group(1)) in router_ports.values(), "router listens on a port it does not expose")
    problems.need("proxy_pass http://$rmcp_target;" in conf, "router nginx.conf: /mcp must proxy_pass http://$rmcp_target")
    problems.need(
        re.search(r"error_page\s+502[^;]*=\s*@rmcp_any;", conf) is not None and "location @rmcp_any" in conf,
        "router nginx.conf: a gone pod's 502 must fall back to @rmcp_any (so the client gets 404)",
    )
    problems.need(conf.count("proxy_buffering off;") >= 2, "router nginx.conf: buffering must be off for /mcp")
    shutdown = re.search(r"worker_shutdown_timeout\s+(\d+)s;", conf)
    check_drain(problems, router, float(shutdown.group(1)) if shutdown else 0.0, "worker_shutdown_timeout")

    # The ingress: to the router, streaming-safe, TLS.
    annotations = ingress["metadata"].get("annotations", {})
    problems.need(
        annotations.get("nginx.ingress.kubernetes.io/proxy-buffering") == "off",
        "ingress must turn proxy buffering off (SSE)",
    )
    problems.need(
        int(annotations.get("nginx.ingress.kubernetes.io/proxy-read-timeout", "60")) >= 300,
        "ingress proxy-read-timeout must outlast RMCP_R_TIMEOUT (300 s)",
    )
    problems.need(ingress["spec"].get("tls"), "ingress has no TLS section")
    router_service_ports = {p.get("name"): p for p in router_service.get("spec", {}).get("ports", [])}
    paths = []
    for rule in ingress["spec"].get("rules", []):
        for path in dig(rule, "http", "paths", default=[]):
            paths.append(path.get("path"))
            backend = dig(path, "backend", "service", default={})
            problems.need(
                backend.get("name") == router_service.get("metadata", {}).get("name"),
                f"ingress path {path.get('path')} points at Service {backend.get('name')!r}, not the router",
            )
            port = backend.get("port", {})
            problems.need(
                port.get("name") in router_service_ports
                or port.get("number") in {p.get("port") for p in router_service_ports.values()},
                f"ingress path {path.get('path')} points at a port the router Service does not have: {port}",
            )
    problems.need("/mcp" in paths, "ingress does not route /mcp")
    return problems


def container_ports(container):
    """Names and numbers of a container's ports, as name -> number."""
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
    return {**ports, **{number: number for number in ports.values()}}


def check_pod_security(problems, workload):
    name = workload["metadata"]["name"]
    pod = dig(workload, "spec", "template", "spec", default={})
    pod_security = pod.get("securityContext", {})
    problems.need(pod.get("automountServiceAccountToken") is False, f"{name}: automountServiceAccountToken must be false")
    problems.need(pod_security.get("runAsNonRoot") is True, f"{name}: pod securityContext.runAsNonRoot must be true")
    problems.need(dig(pod_security, "seccompProfile", "type") == "RuntimeDefault", f"{name}: seccomp RuntimeDefault")
    for container in pod.get("containers", []):
        security = container.get("securityContext", {})
        problems.need(security.get("allowPrivilegeEscalation") is False, f"{name}: allowPrivilegeEscalation must be false")
        problems.need(security.get("readOnlyRootFilesystem") is True, f"{name}: readOnlyRootFilesystem must be true")
        problems.need(dig(security, "capabilities", "drop") == ["ALL"], f"{name}: capabilities must drop ALL")
        problems.need(
            dig(container, "resources", "requests") and dig(container, "resources", "limits", "memory"),
            f"{name}: container needs resource requests and a memory limit",
        )
        problems.need(not str(container.get("image", "")).endswith(":latest"), f"{name}: image tag must not be :latest")
        mounts = {m.get("mountPath"): m.get("name") for m in container.get("volumeMounts", [])}
        volumes = {v.get("name"): v for v in pod.get("volumes", [])}
        problems.need(
            "emptyDir" in volumes.get(mounts.get("/tmp"), {}),
            f"{name}: with a read-only root filesystem, /tmp must be an emptyDir",
        )


def check_drain(problems, workload, drain, what):
    """terminationGracePeriodSeconds covers the preStop sleep and the drain."""
    pod = dig(workload, "spec", "template", "spec", default={})
    container = (pod.get("containers") or [{}])[0]
    pre_stop = dig(container, "lifecycle", "preStop", "exec", "command", default=[])
    pre_stop_sleep = float(pre_stop[1]) if len(pre_stop) == 2 and pre_stop[0] == "sleep" else 0.0
    termination = pod.get("terminationGracePeriodSeconds", 30)
    problems.need(
        termination > drain + pre_stop_sleep,
        f"{workload['metadata']['name']}: terminationGracePeriodSeconds {termination} leaves no time for "
        f"preStop ({pre_stop_sleep} s) + {what} ({drain} s)",
    )


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
    problems.need(
        "RMCP_REQUEST_STATE_KEY" in names, "RMCP_REQUEST_STATE_KEY must be set (from Secret Manager), one key for every instance"
    )
    check_engines(problems, env_value(container, "RMCP_R_ENGINES"), "Cloud Run")

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
            example = here / f"{env_file}.example"
            if example.exists():
                settings = dict(
                    line.split("=", 1) for line in example.read_text().splitlines()
                    if "=" in line and not line.lstrip().startswith("#")
                )
                problems.need(
                    "RMCP_REQUEST_STATE_KEY" in settings,
                    f"{env_file}.example: every replica reads it, so it must set RMCP_REQUEST_STATE_KEY (shared)",
                )
                check_engines(problems, settings.get("RMCP_R_ENGINES"), f"{env_file}.example")
    # The replicas: services with a node id. Each must be routable by it.
    replicas = {
        name: service for name, service in services.items()
        if dig(service, "environment", "RMCP_NODE_ID") is not None
    }
    problems.need(len(replicas) >= 2, "expected at least two rmcp services with RMCP_NODE_ID (replicas)")
    for name, service in replicas.items():
        node = dig(service, "environment", "RMCP_NODE_ID")
        problems.need(
            node == name,
            f"service {name}: RMCP_NODE_ID {node!r} should be the service name (nginx.conf routes by it)",
        )
        problems.need(NODE_ID.match(str(node)) is not None, f"service {name}: RMCP_NODE_ID {node!r} is not a node id")
        problems.need(
            dig(service, "deploy", "replicas", default=1) == 1,
            f"service {name}: deploy.replicas > 1 would give several processes one node id; add services instead",
        )
        problems.need(
            dig(service, "environment", "RMCP_HTTP_HOST") == "0.0.0.0",
            f"service {name} must bind 0.0.0.0 to be reachable from nginx",
        )
        problems.need(not service.get("ports"), f"service {name} must not publish ports; nginx is the only way in")
        build = service.get("build", {})
        problems.need(build, f"service {name} has no build section")
        context = (here / build.get("context", ".")).resolve()
        problems.need((context / "Cargo.toml").exists(), f"build context {context} is not the repository root")
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        if problems.need(dockerfile.exists(), f"{dockerfile} does not exist"):
            stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile.read_text(), flags=re.M | re.I)
            problems.need(
                build.get("target") in stages, f"build target {build.get('target')} is not a stage of {stages}"
            )
    depends = services.get("nginx", {}).get("depends_on", {})
    for name in replicas:
        problems.need(name in depends, f"nginx does not wait for {name} (depends_on)")
    problems.extend(check_nginx_routing((here / "nginx.conf").read_text(), {
        name: f"{name}:{dig(service, 'environment', 'RMCP_HTTP_PORT', default='8000')}"
        for name, service in replicas.items()
    }))
    return problems


NODE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


def check_engines(problems, value, where):
    """RMCP_R_ENGINES is set explicitly, sized to the memory limit: a count of 1 to 8."""
    problems.need(
        value is not None and str(value).isdigit() and 1 <= int(value) <= 8,
        f"{where}: RMCP_R_ENGINES must be set to 1..8 (sized to the memory limit), not {value!r}",
    )


def nginx_upstreams(conf):
    """upstream name -> [(address, is_backup)] of an nginx config's text."""
    upstreams = {}
    for name, body in re.findall(r"^\s*upstream\s+(\S+)\s*\{(.*?)\}", conf, flags=re.M | re.S):
        statements = [statement.split() for statement in body.split(";")]
        upstreams[name] = [
            (words[1], "backup" in words[2:]) for words in statements if len(words) > 1 and words[0] == "server"
        ]
    return upstreams


def check_nginx_routing(conf, replicas):
    """The map, the per-replica upstreams and rmcp_any of compose/nginx.conf
    agree with the replicas (node id -> address): every session id names an
    upstream that tries its replica first and the others as backup."""
    problems = Problems()
    conf = re.sub(r"#[^\n]*", "", conf)
    maps = re.findall(r"^\s*map\s+(\S+)\s+\$rmcp_upstream\s*\{(.*?)\}", conf, flags=re.M | re.S)
    if not problems.need(len(maps) == 1, "nginx.conf: expected one map setting $rmcp_upstream"):
        return problems
    source, body = maps[0]
    problems.need(
        "$http_mcp_session_id" in source and "$arg_session_id" in source,
        f"nginx.conf: the map reads {source}, not the Mcp-Session-Id header and the session_id argument",
    )
    routes = dict(re.findall(r'^\s*"~\^([a-z0-9-]+)\\\."\s+(\S+);', body, flags=re.M))
    default = re.search(r"^\s*default\s+(\S+);", body, flags=re.M)
    problems.need(default and default.group(1) == "rmcp_any", "nginx.conf: the map's default must be rmcp_any")
    problems.need(
        set(routes) == set(replicas),
        f"nginx.conf: the map routes node ids {sorted(routes)}, the replicas are {sorted(replicas)}",
    )
    upstreams = nginx_upstreams(conf)
    everyone = sorted(replicas.values())
    any_servers = upstreams.get("rmcp_any", [])
    problems.need(
        sorted(address for address, _ in any_servers) == everyone and not any(b for _, b in any_servers),
        f"nginx.conf: upstream rmcp_any has {any_servers}, expected every replica once: {everyone}",
    )
    for node, address in replicas.items():
        upstream = routes.get(node)
        if not problems.need(upstream == f"rmcp_{node}", f"nginx.conf: the map sends {node} to {upstream}"):
            continue
        servers = upstreams.get(upstream)
        if not problems.need(servers, f"nginx.conf: no upstream {upstream}"):
            continue
        problems.need(
            servers[0] == (address, False) and all(b for _, b in servers[1:]),
            f"nginx.conf: upstream {upstream} must list {address} first and the others as backup: {servers}",
        )
        problems.need(
            sorted(a for a, _ in servers) == everyone,
            f"nginx.conf: upstream {upstream} lists {sorted(a for a, _ in servers)}, expected {everyone}",
        )
    problems.need(
        re.search(r"proxy_pass\s+http://\$rmcp_upstream;", conf) is not None,
        "nginx.conf: /mcp must proxy_pass http://$rmcp_upstream",
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
