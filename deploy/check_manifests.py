"""Checks for deploy/ that no off-the-shelf linter makes; run by deploy/check.sh
with the .venv-deploy interpreter (PyYAML, jsonschema and kubernetes-validate).

    python deploy/check_manifests.py k8s-refs      deploy/k8s
    python deploy/check_manifests.py knative       deploy/cloudrun/service.yaml
    python deploy/check_manifests.py compose       deploy/compose/docker-compose.prod.yml SCHEMA
    python deploy/check_manifests.py dockerignore  deploy/docker/Dockerfile
    python deploy/check_manifests.py routing       deploy/compose/nginx.conf deploy/nginx/rmcp.conf deploy/k8s/router.yaml

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
    any_body = re.search(r"upstream\s+rmcp_any\s*\{([^}]*)\}", conf)
    problems.need(
        any_body is not None and "keepalive" not in any_body.group(1),
        "router nginx.conf: rmcp_any must not keep connections to the Service alive: kube-proxy picks a pod per "
        "connection, so kept-alive connections pin unpinned 2026-07-28 traffic to a few pods",
    )
    try:
        problems.extend(check_routing_cases(NginxRouting(conf, "rmcp_target"), router_outcome,
                                            f"{prefix}-0" if route else "rmcp-server-0",
                                            f"{prefix}-1" if route else "rmcp-server-1", "router nginx.conf"))
    except ValueError as error:
        problems.append(f"router nginx.conf: {error}")
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
    """The maps, the per-replica upstreams, rmcp_any and rmcp_rr of
    compose/nginx.conf (or the VM recipe) agree with the replicas (node id ->
    address): every id routes by the precedence of ROUTING_CASES, each to an
    upstream that tries its replica first and the others as backup; the
    older revisions' new sessions go to every replica by least_conn, the
    2026-07-28 requests naming nothing to every replica round-robin."""
    problems = Problems()
    conf = strip_comments(conf)
    try:
        model = NginxRouting(conf, "rmcp_upstream")
    except ValueError as error:
        problems.append(f"nginx.conf: {error}")
        return problems
    upstreams = nginx_upstreams(conf)
    everyone = sorted(replicas.values())
    balancing = nginx_upstream_balancing(conf)

    def outcome(upstream):
        servers = upstreams.get(upstream, [])
        if upstream in ("rmcp_any", "rmcp_rr"):
            return "balanced"
        node = next((n for n, address in replicas.items() if servers[:1] == [(address, False)]), None)
        return f"node:{node}" if node else f"unknown upstream {upstream!r}"

    nodes = sorted(replicas)
    problems.extend(check_routing_cases(model, outcome, nodes[0], nodes[1], "nginx.conf"))
    routed = {n: model.evaluate(routing_request(session=f"{n}.{HEX}")) for n in nodes}
    for node, address in replicas.items():
        upstream = routed[node]
        if not problems.need(upstream == f"rmcp_{node}", f"nginx.conf: a {node} id goes to {upstream}"):
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
    routes = model.regex_routes()
    problems.need(
        sorted(routes) == sorted(f"rmcp_{n}" for n in nodes),
        f"nginx.conf: the map routes ids to {sorted(routes)}, the replicas are {nodes}",
    )
    legacy = model.evaluate(routing_request())
    modern = model.evaluate(routing_request(method="tools/call", name="summary_stats"))
    for upstream, want, why in (
        (legacy, "least_conn", "new sessions of the older revisions (initialize, GET /mcp/sse)"),
        (modern, "round-robin", "2026-07-28 requests without a handle"),
    ):
        servers = upstreams.get(upstream, [])
        problems.need(
            sorted(address for address, _ in servers) == everyone and not any(b for _, b in servers),
            f"nginx.conf: {why} go to upstream {upstream} with {servers}, expected every replica once: {everyone}",
        )
        problems.need(
            balancing.get(upstream) == want,
            f"nginx.conf: {why} go to upstream {upstream}, balanced by {balancing.get(upstream)}, expected {want}",
        )
    problems.need(
        re.search(r"proxy_pass\s+http://\$rmcp_upstream;", conf) is not None,
        "nginx.conf: /mcp must proxy_pass http://$rmcp_upstream",
    )
    return problems


def nginx_upstream_balancing(conf):
    """upstream name -> its balancing method (round-robin when none is named)."""
    methods = {}
    for name, body in re.findall(r"^\s*upstream\s+(\S+)\s*\{(.*?)\}", conf, flags=re.M | re.S):
        words = [statement.split()[0] for statement in body.split(";") if statement.split()]
        named = [w for w in words if w in ("least_conn", "hash", "ip_hash", "random", "least_time")]
        methods[name] = named[0] if named else "round-robin"
    return methods


def strip_comments(conf):
    """An nginx config without its comments (the configs here have no # in a
    quoted string)."""
    return re.sub(r"#[^\n]*", "", conf)


# --- Routing by id: the three nginx configs (Compose, the VM recipe, the
# Kubernetes router) must pick the same replica for the same request. Their
# maps are read into a small model of nginx's map module and asked about
# the requests of ROUTING_CASES.
HEX = "0123456789abcdef0123456789abcdef"


def nginx_tokens(text):
    """Words, quoted strings and the characters { } ; of an nginx config."""
    return re.findall(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[{};]|[^\s{};"\']+', text)


def unquote(token):
    return token[1:-1] if token[:1] in "\"'" and token[-1:] == token[:1] else token


class NginxRouting:
    """The `map` blocks of an nginx config, evaluated like nginx does for a
    request: exact keys first, then regular expressions in their order (named
    captures become variables), then `default`; values interpolate
    variables, chained maps included."""

    def __init__(self, conf, target):
        self.maps = {}
        tokens = nginx_tokens(conf)
        index = 0
        while index < len(tokens):
            if tokens[index] == "map" and index + 3 < len(tokens) and tokens[index + 3] == "{":
                source, variable = unquote(tokens[index + 1]), tokens[index + 2]
                entries, index = [], index + 4
                while index < len(tokens) and tokens[index] != "}":
                    statement = []
                    while index < len(tokens) and tokens[index] not in (";", "}"):
                        statement.append(unquote(tokens[index]))
                        index += 1
                    if index < len(tokens) and tokens[index] == ";":
                        index += 1
                    if len(statement) != 2:
                        raise ValueError(f"map {variable}: cannot read {statement}")
                    entries.append(tuple(statement))
                self.maps[variable.lstrip("$")] = (source, entries)
            index += 1
        self.target = target
        if target not in self.maps:
            raise ValueError(f"no map sets ${target}")

    def regex_routes(self):
        """The values of the target map's regular-expression keys."""
        return [value for key, value in self.maps[self.target][1] if key.startswith("~")]

    def evaluate(self, request, variable=None):
        captures = {}
        return self._variable(variable or self.target, request, captures, 0)

    def _interpolate(self, text, request, captures, depth):
        return re.sub(
            r"\$(?:\{(\w+)\}|(\w+))",
            lambda m: self._variable(m.group(1) or m.group(2), request, captures, depth + 1),
            text,
        )

    def _variable(self, name, request, captures, depth):
        if depth > 20:
            raise ValueError(f"${name}: maps refer to each other in a loop")
        if name in captures:
            return captures[name]
        if name in self.maps:
            source, entries = self.maps[name]
            value = self._interpolate(source, request, captures, depth)
            for key, result in entries:
                if not key.startswith("~") and key != "default" and key.lower() == value.lower():
                    return self._interpolate(result, request, captures, depth)
            for key, result in entries:
                if key.startswith("~"):
                    flags = re.I if key.startswith("~*") else 0
                    pattern = re.sub(r"\(\?<(\w+)>", r"(?P<\1>", key.lstrip("~*"))
                    found = re.search(pattern, value, flags)
                    if found:
                        captures.update({k: v or "" for k, v in found.groupdict().items()})
                        return self._interpolate(result, request, captures, depth)
            default = next((result for key, result in entries if key == "default"), "")
            return self._interpolate(default, request, captures, depth)
        if name.startswith("http_"):
            return request["headers"].get(name[5:].replace("_", "-"), "")
        if name.startswith("arg_"):
            return request["args"].get(name[4:], "")
        raise ValueError(f"${name} is neither a map, a header, an argument nor a capture")


def routing_request(session="", argument="", workspace="", method="", name=""):
    headers = {"mcp-session-id": session, "mcp-param-workspace": workspace, "mcp-method": method, "mcp-name": name}
    return {"headers": {k: v for k, v in headers.items() if v}, "args": {"session_id": argument} if argument else {}}


# The precedence every routing config keeps: a session id of the older
# revisions, then a workspace handle (Mcp-Param-Workspace), then a task id
# (Mcp-Name of a tasks/* request); an id that names no replica of the
# deployment, or no id, is balanced. {a} and {b} are two replicas' node ids.
ROUTING_CASES = [
    ("initialize (no id)", {}, "balanced"),
    ("Mcp-Session-Id of {a}", {"session": "{a}.{hex}"}, "{a}"),
    ("session_id argument of {b}", {"argument": "{b}.{hex}"}, "{b}"),
    ("tools/call without a handle", {"method": "tools/call", "name": "execute_r_analysis"}, "balanced"),
    ("tools/call with Mcp-Param-Workspace of {b}",
     {"method": "tools/call", "name": "execute_r_analysis", "workspace": "{b}.{hex}"}, "{b}"),
    ("tools/call with Mcp-Param-Workspace of {a}",
     {"method": "tools/call", "name": "list_r_objects", "workspace": "{a}.{hex}"}, "{a}"),
    ("tasks/get with Mcp-Name of {a}", {"method": "tasks/get", "name": "{a}.{hex}"}, "{a}"),
    ("tasks/cancel with Mcp-Name of {b}", {"method": "tasks/cancel", "name": "{b}.{hex}"}, "{b}"),
    ("tasks/update with Mcp-Name of {b}", {"method": "tasks/update", "name": "{b}.{hex}"}, "{b}"),
    ("tools/call whose Mcp-Name looks like an id of {a}", {"method": "tools/call", "name": "{a}.{hex}"}, "balanced"),
    ("session id of {a} before a workspace of {b}", {"session": "{a}.{hex}", "workspace": "{b}.{hex}"}, "{a}"),
    ("an unroutable session id before a workspace of {a}", {"session": HEX, "workspace": "{a}.{hex}"}, "balanced"),
    ("workspace of {b} before a task of {a}",
     {"method": "tasks/get", "name": "{a}.{hex}", "workspace": "{b}.{hex}"}, "{b}"),
    ("workspace of an unknown host", {"method": "tools/call", "name": "x", "workspace": "evil.example.com.{hex}"},
     "balanced"),
    ("workspace with {a} inside, not first", {"method": "tools/call", "name": "x", "workspace": "x{a}.{hex}"},
     "balanced"),
    ("task of an unknown host", {"method": "tasks/get", "name": "evil.example.com.{hex}"}, "balanced"),
    ("task of an unknown host ending in {a}'s name",
     {"method": "tasks/get", "name": "evil.example.com/{a}.{hex}"}, "balanced"),
]


def check_routing_cases(model, outcome, a, b, where):
    """Each case of ROUTING_CASES goes where it should; outcome turns the
    target variable's value into "node:<id>" or "balanced"."""
    problems = Problems()
    for label, fields, want in ROUTING_CASES:
        values = {k: v.format(a=a, b=b, hex=HEX) for k, v in fields.items()}
        request = routing_request(**values)
        want = want.format(a=a, b=b)
        want = want if want == "balanced" else f"node:{want}"
        try:
            got = outcome(model.evaluate(request))
        except ValueError as error:
            got = f"error: {error}"
        problems.need(got == want, f"{where}: {label.format(a=a, b=b)}: routed to {got}, expected {want}")
    return problems


def router_outcome(value):
    found = re.match(r"^(rmcp-server-[0-9]+)\.rmcp-server-pods\.[a-z0-9-]+\.svc\.cluster\.local:\d+$", value)
    if found:
        return f"node:{found.group(1)}"
    return "balanced" if value == "rmcp_any" else f"unknown target {value!r}"


def router_conf(path):
    docs = [d for d in load_all(path) if d.get("kind") == "ConfigMap"]
    return docs[0]["data"]["nginx.conf"] if docs else ""


def vm_recipe(path):
    """The VM site's several-instances recipe, uncommented."""
    lines = Path(path).read_text().splitlines()
    out, inside = [], False
    for line in lines:
        if line.startswith("#   map "):
            inside = True
        if inside:
            if not line.startswith("#   "):
                break
            out.append(line[4:])
    return "\n".join(out)


def check_routing_agreement(compose_path, site_path, router_path):
    """The three routing configs give every request of ROUTING_CASES the same
    answer: the same precedence of session id, workspace handle and task id,
    and the same refusal of names that are not the deployment's."""
    problems = Problems()
    compose = strip_comments(Path(compose_path).read_text())
    configs = [
        ("compose/nginx.conf", compose, "rmcp_upstream", ["rmcp-1", "rmcp-2"]),
        ("nginx/rmcp.conf (several instances)", vm_recipe(site_path), "rmcp_upstream", ["p8001", "p8002"]),
        ("k8s/router.yaml", strip_comments(router_conf(router_path)), "rmcp_target", ["rmcp-server-0", "rmcp-server-1"]),
    ]
    for where, conf, target, (a, b) in configs:
        try:
            model = NginxRouting(conf, target)
        except ValueError as error:
            problems.append(f"{where}: {error}")
            continue
        if target == "rmcp_target":
            outcome = router_outcome
        else:
            def outcome(upstream):
                return "balanced" if upstream in ("rmcp_any", "rmcp_rr") else (
                    f"node:{upstream[len('rmcp_'):]}" if upstream.startswith("rmcp_") else f"unknown {upstream!r}")
        problems.extend(check_routing_cases(model, outcome, a, b, where))
        # The headers the precedence reads, in the order the maps read them.
        for header in ("$http_mcp_session_id", "$arg_session_id", "$http_mcp_param_workspace",
                       "$http_mcp_method", "$http_mcp_name"):
            problems.need(header in conf, f"{where}: the routing maps do not read {header}")
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
        "routing": check_routing_agreement,
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
