"""The checks behind scripts/check-deploy (run from the repository root).

    python scripts/lib/check_deploy.py WORK RENDERER HADOLINT_STATUS KUBE_VERSIONS

WORK holds the rendered manifests (base.yaml, overlay-NAME.yaml) unless
RENDERER is "none"; HADOLINT_STATUS is passed, failed or unavailable;
KUBE_VERSIONS is a space-separated list. Config files are checked by the
worker itself (`posting-enricher validate-config`), whose printed effective
config feeds the cross-checks. Prints ok/FAIL/note lines and the counts;
exit code 1 if anything failed.
"""
import fnmatch
import glob
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib

import jsonschema
import kubernetes_validate
import yaml

ENV_PREFIX = "POSTING_ENRICHER__"
# Stands in for env values from valueFrom (Secrets): unknown offline, but
# the variable's name still goes through validate-config.
SECRET_PLACEHOLDER = "placeholder"
BINARY_CANDIDATES = ("target/release/posting-enricher", "target/debug/posting-enricher")
CRD_KINDS = {("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication"),
             ("monitoring.coreos.com/v1", "ServiceMonitor")}

passed = 0
failed = 0


class Context:
    """What main() was given, and what it found out before the checks."""

    def __init__(self, work, renderer, hadolint_status, kube_versions, binary):
        self.work = work
        self.renderer = renderer
        self.hadolint_status = hadolint_status
        self.kube_versions = kube_versions
        self.binary = binary
        self.docker_uid = None


# --- reporting ----------------------------------------------------------------
def ok(what):
    global passed
    passed += 1
    print(f"ok    {what}")


def fail(what, why):
    global failed
    failed += 1
    print(f"FAIL  {what}: {why}")


def check(cond, what, why="check failed"):
    if cond:
        ok(what)
    else:
        fail(what, why)
    return cond


def note(text):
    print(f"note  {text}")


# --- helpers --------------------------------------------------------------------
def load_yaml_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def duration_seconds(text):
    total = 0.0
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h)", text)
    if not parts or "".join(a + b for a, b in parts) != text.replace(" ", ""):
        raise ValueError(f"unparsed duration {text!r}")
    for number, unit in parts:
        total += float(number) * units[unit]
    return total


def mem_bytes(q):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?", str(q))
    if not m:
        raise ValueError(f"unparsed quantity {q!r}")
    mult = {None: 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
            "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}[m.group(2)]
    return float(m.group(1)) * mult


def port_of(listen):
    return int(listen.rsplit(":", 1)[1])


def selector_matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


# --- config files: the worker's own validation ----------------------------------
def find_binary(environ=os.environ):
    env = environ.get("POSTING_ENRICHER_BIN")
    candidates = [env] if env else BINARY_CANDIDATES
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    return None


def parse_validate_output(stdout):
    """Splits validate-config's output into its origin and the effective config."""
    first, _, rest = stdout.partition("\n")
    if not first.endswith(": ok"):
        raise ValueError(f"first line is not `<origin>: ok`: {first!r}")
    return first[:-len(": ok")], tomllib.loads(rest)


def config_env(env_entries):
    """The POSTING_ENRICHER__* variables of a container's env (name -> entry),
    as validate-config should see them."""
    out = {}
    for name, entry in env_entries.items():
        if not name.startswith(ENV_PREFIX):
            continue
        if "value" in entry:
            out[name] = str(entry["value"])
        elif "valueFrom" in entry:
            out[name] = SECRET_PLACEHOLDER
        else:
            out[name] = ""
    return out


def validate_config(binary, path=None, env=None):
    """Runs `binary validate-config [path]` with env as its only POSTING_ENRICHER
    variables. Returns (effective config, None) or (None, the error)."""
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("POSTING_ENRICHER")}
    run_env.update(env or {})
    r = subprocess.run([binary, "validate-config"] + ([path] if path else []), env=run_env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, (r.stderr or r.stdout).strip() or f"exit code {r.returncode}"
    try:
        origin, cfg = parse_validate_output(r.stdout)
    except ValueError as e:
        return None, f"unexpected output: {e}"
    if origin != (path or "defaults"):
        return None, f"unexpected output: origin {origin!r}"
    return cfg, None


def check_config_file(ctx, path, label, env=None, text=None):
    """validate-config on the file (or on text, written to a file); returns the
    effective config, or None after a FAIL line."""
    if path is None:
        path = os.path.join(ctx.work, re.sub(r"\W+", "_", label) + ".toml")
        with open(path, "w") as f:
            f.write(text)
    what = f"{label}: {ctx.binary} validate-config"
    if env:
        secrets = sum(v == SECRET_PLACEHOLDER for v in env.values())
        what += f" (with the Deployment's {len(env)} POSTING_ENRICHER__* env values"
        what += f", {secrets} from Secrets as placeholders)" if secrets else ")"
    cfg, error = validate_config(ctx.binary, path, env)
    check(cfg is not None, what, error)
    return cfg


# --- Kubernetes -------------------------------------------------------------------
def validate_builtin(doc, label, kube_versions):
    name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
    for version in kube_versions:
        try:
            used = kubernetes_validate.validate(doc, version, strict=True)
            ok(f"{label}: {name} valid against Kubernetes {used} schema (strict)")
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            fail(f"{label}: {name} against Kubernetes {e.version}", f"{path}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            fail(f"{label}: {name}", e.message)


def check_scaledobject(so, label, kube_versions):
    what = f"{label}: ScaledObject/{so.get('metadata', {}).get('name')}"
    spec = so.get("spec") or {}
    problems = []
    if not so.get("metadata", {}).get("name"):
        problems.append("metadata.name missing")
    target = spec.get("scaleTargetRef") or {}
    if not target.get("name"):
        problems.append("spec.scaleTargetRef.name missing")
    if target.get("kind", "Deployment") != "Deployment":
        problems.append("scaleTargetRef.kind is not Deployment")
    mn, mx = spec.get("minReplicaCount", 0), spec.get("maxReplicaCount")
    if not isinstance(mx, int):
        problems.append("spec.maxReplicaCount missing (set it to the partition count)")
    elif not (isinstance(mn, int) and 0 <= mn <= mx):
        problems.append(f"minReplicaCount {mn} > maxReplicaCount {mx}")
    for field in ("pollingInterval", "cooldownPeriod"):
        if field in spec and not isinstance(spec[field], int):
            problems.append(f"spec.{field} must be an integer")
    triggers = spec.get("triggers")
    if not isinstance(triggers, list) or not triggers:
        problems.append("spec.triggers missing")
        triggers = []
    for i, t in enumerate(triggers):
        if t.get("type") != "kafka":
            problems.append(f"triggers[{i}].type is {t.get('type')!r}, expected kafka")
            continue
        md = t.get("metadata") or {}
        for field in ("bootstrapServers", "consumerGroup", "topic", "lagThreshold"):
            if not isinstance(md.get(field), str) or not md.get(field):
                problems.append(f"triggers[{i}].metadata.{field} missing or not a string")
        if not re.fullmatch(r"\d+", str(md.get("lagThreshold", ""))):
            problems.append(f"triggers[{i}].metadata.lagThreshold must be a whole number in a string")
        for field, value in md.items():
            if not isinstance(value, str):
                problems.append(f"triggers[{i}].metadata.{field}: KEDA metadata values are strings")
    behavior = (((spec.get("advanced") or {}).get("horizontalPodAutoscalerConfig") or {}).get("behavior"))
    if behavior:
        # Same shape as an HPA's spec.behavior: validate it with that schema.
        hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": "behavior-check"},
               "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"},
                        "maxReplicas": 1, "behavior": behavior}}
        try:
            kubernetes_validate.validate(hpa, kube_versions[0], strict=True)
        except kubernetes_validate.ValidationError as e:
            problems.append(f"advanced.horizontalPodAutoscalerConfig.behavior: {e.message}")
    check(not problems, f"{what} structure (kafka trigger, replica bounds, scaleTargetRef)", "; ".join(problems))


def check_servicemonitor(sm, label):
    what = f"{label}: ServiceMonitor/{sm.get('metadata', {}).get('name')}"
    spec = sm.get("spec") or {}
    problems = []
    if not (spec.get("selector") or {}).get("matchLabels"):
        problems.append("spec.selector.matchLabels missing")
    endpoints = spec.get("endpoints")
    if not isinstance(endpoints, list) or not endpoints:
        problems.append("spec.endpoints missing")
        endpoints = []
    for i, ep in enumerate(endpoints):
        if not ep.get("port"):
            problems.append(f"endpoints[{i}].port (a Service port name) missing")
        for field in ("interval", "scrapeTimeout"):
            if field in ep:
                try:
                    duration_seconds(ep[field])
                except ValueError as e:
                    problems.append(f"endpoints[{i}].{field}: {e}")
        if "interval" in ep and "scrapeTimeout" in ep and \
                duration_seconds(ep["scrapeTimeout"]) > duration_seconds(ep["interval"]):
            problems.append(f"endpoints[{i}]: scrapeTimeout longer than interval")
    check(not problems, f"{what} structure (selector, endpoints)", "; ".join(problems))


def check_crd(doc, label, kube_versions):
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key == ("keda.sh/v1alpha1", "ScaledObject"):
        check_scaledobject(doc, label, kube_versions)
    elif key == ("monitoring.coreos.com/v1", "ServiceMonitor"):
        check_servicemonitor(doc, label)
    else:
        check(bool(doc.get("metadata", {}).get("name")), f"{label}: {key[1]} has a name")


def is_crd(doc):
    return (doc.get("apiVersion"), doc.get("kind")) in CRD_KINDS


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def check_rendered(ctx, docs, label, rendered=True):
    """Schema checks per document, then cross-resource checks."""
    for doc in docs:
        if is_crd(doc):
            check_crd(doc, label, ctx.kube_versions)
        else:
            validate_builtin(doc, label, ctx.kube_versions)

    deployments = by_kind(docs, "Deployment")
    if not check(len(deployments) == 1, f"{label}: one Deployment", f"found {len(deployments)}"):
        return
    dep = deployments[0]
    dname = dep["metadata"]["name"]
    pod = dep["spec"]["template"]
    pod_labels = pod["metadata"].get("labels", {})
    pspec = pod["spec"]
    check(selector_matches(dep["spec"]["selector"].get("matchLabels"), pod_labels),
          f"{label}: Deployment selector matches its pod labels")
    containers = pspec["containers"]
    c = next((c for c in containers if c["name"] == "posting-enricher"), None)
    if not check(c is not None, f"{label}: container posting-enricher"):
        return

    # Config: the mounted ConfigMap, the --config path, the keys.
    args = c.get("args", [])
    config_path = args[args.index("--config") + 1] if "--config" in args else None
    check(args[:1] == ["run"] and config_path, f"{label}: container runs `run --config FILE`", str(args))
    env = {e["name"]: e for e in c.get("env", [])}
    plain_env = {n: e["value"] for n, e in env.items() if "value" in e}
    config_text = None
    cm_volume = None
    for v in pspec.get("volumes", []):
        if "configMap" in v:
            cm_volume = v
    mount = next((m for m in c.get("volumeMounts", []) if cm_volume and m["name"] == cm_volume["name"]), None)
    if rendered:
        cms = {d["metadata"]["name"]: d for d in by_kind(docs, "ConfigMap")}
        cm = cms.get(cm_volume["configMap"]["name"]) if cm_volume else None
        if check(cm is not None, f"{label}: config volume refers to a ConfigMap in the render",
                 f"{cm_volume and cm_volume['configMap']['name']} not among {sorted(cms)}"):
            items = cm_volume["configMap"].get("items") or [{"key": k, "path": k} for k in cm["data"]]
            mounted = {os.path.join(mount["mountPath"], it["path"]): it["key"] for it in items} if mount else {}
            key = mounted.get(config_path)
            if check(key in (cm.get("data") or {}), f"{label}: --config {config_path} is the ConfigMap's file",
                     f"mounted files: {sorted(mounted)}"):
                config_text = cm["data"][key]
        check(mount is not None and mount.get("readOnly") is True, f"{label}: config mounted read-only")
    else:
        config_text = open("deploy/kubernetes/base/config.toml").read()
    cfg = None
    if config_text is not None:
        # The effective config: the file and the Deployment's env overrides.
        cfg = check_config_file(ctx, None, f"{label} config.toml", env=config_env(env), text=config_text)
    if cfg is None:
        return
    brokers = cfg["kafka"]["brokers"]
    port = port_of(cfg["telemetry"]["listen"])

    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    check(ports.get("metrics") == port, f"{label}: container port `metrics` = telemetry.listen port {port}",
          f"ports {ports}")
    for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")):
        get = (c.get(probe) or {}).get("httpGet") or {}
        check(get.get("path") == path and get.get("port") in ("metrics", port),
              f"{label}: {probe} httpGet {path} on port metrics", str(get))
    grace = pspec.get("terminationGracePeriodSeconds", 30)
    shutdown = duration_seconds(cfg["worker"]["shutdown_timeout"])
    check(grace > shutdown, f"{label}: terminationGracePeriodSeconds {grace} > worker.shutdown_timeout {shutdown:g} s")

    res = c.get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    check("cpu" in req and "memory" in req and "memory" in lim
          and mem_bytes(lim["memory"]) >= mem_bytes(req["memory"]) >= 200 * 2**20,
          f"{label}: resources: cpu/memory requests, memory limit >= request >= measured ~166 MB peak",
          str(res))

    psc, csc = pspec.get("securityContext") or {}, c.get("securityContext") or {}

    def sc(field):
        return csc.get(field, psc.get(field))
    problems = []
    if sc("runAsNonRoot") is not True:
        problems.append("runAsNonRoot")
    if not isinstance(sc("runAsUser"), int) or sc("runAsUser") == 0:
        problems.append("runAsUser")
    if csc.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem")
    if csc.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation")
    if (csc.get("capabilities") or {}).get("drop") != ["ALL"]:
        problems.append("capabilities.drop [ALL]")
    if (sc("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.append("seccompProfile RuntimeDefault")
    check(not problems, f"{label}: securityContext meets the restricted Pod Security Standard",
          "missing: " + ", ".join(problems))
    check(sc("runAsUser") == ctx.docker_uid, f"{label}: runAsUser = the image's USER uid {ctx.docker_uid}",
          f"{sc('runAsUser')}")

    # validate-config above saw these names (with placeholder values).
    secret_refs = [e for e in env.values() if "secretKeyRef" in e.get("valueFrom", {})]
    check(secret_refs and all(e["valueFrom"]["secretKeyRef"].get("optional") is True
                              and e["valueFrom"]["secretKeyRef"]["name"] == "posting-enricher-kafka-credentials"
                              for e in secret_refs)
          and {"POSTING_ENRICHER__KAFKA__COMMON__SASL_USERNAME",
               "POSTING_ENRICHER__KAFKA__COMMON__SASL_PASSWORD"} <= set(env),
          f"{label}: SASL credentials from the optional Secret posting-enricher-kafka-credentials")
    check(plain_env.get("POSTING_ENRICHER__TELEMETRY__LOG_FORMAT") == "json", f"{label}: JSON logs")

    # Service, ServiceMonitor, PDB.
    services = by_kind(docs, "Service")
    svc = next((s for s in services if selector_matches(s["spec"].get("selector"), pod_labels)), None)
    if check(svc is not None, f"{label}: a Service selects the worker pods"):
        sport = next((p for p in svc["spec"]["ports"] if p.get("name") == "metrics"), None)
        check(sport is not None and sport["port"] == port and sport.get("targetPort") in ("metrics", port),
              f"{label}: Service port metrics {port} -> container port metrics", str(svc["spec"]["ports"]))
        check(svc["metadata"]["name"] == "posting-enricher",
              f"{label}: Service named posting-enricher (the Prometheus job the alert rules select)")
        for sm in by_kind(docs, "ServiceMonitor"):
            sel = sm["spec"]["selector"].get("matchLabels")
            check(selector_matches(sel, svc["metadata"].get("labels", {})),
                  f"{label}: ServiceMonitor selects the Service")
            names = {p.get("name") for p in svc["spec"]["ports"]}
            check(all(ep.get("port") in names for ep in sm["spec"]["endpoints"]),
                  f"{label}: ServiceMonitor endpoints name Service ports")
    for pdb in by_kind(docs, "PodDisruptionBudget"):
        check(selector_matches(pdb["spec"]["selector"].get("matchLabels"), pod_labels)
              and pdb["spec"].get("maxUnavailable") == 1,
              f"{label}: PodDisruptionBudget maxUnavailable 1 over the worker pods")

    # KEDA.
    for so in by_kind(docs, "ScaledObject"):
        spec = so["spec"]
        check(spec["scaleTargetRef"]["name"] == dname, f"{label}: ScaledObject targets Deployment {dname}")
        check("replicas" not in dep["spec"], f"{label}: Deployment leaves spec.replicas to the autoscaler")
        for t in spec["triggers"]:
            md = t.get("metadata") or {}
            check(md.get("consumerGroup") == cfg["kafka"]["group_id"],
                  f"{label}: KEDA consumerGroup = kafka.group_id {cfg['kafka']['group_id']!r}", str(md.get("consumerGroup")))
            check(md.get("topic") in cfg["kafka"]["input_topics"],
                  f"{label}: KEDA topic is an input topic", f"{md.get('topic')} not in {cfg['kafka']['input_topics']}")
            check(md.get("bootstrapServers") == brokers,
                  f"{label}: KEDA bootstrapServers = the worker's brokers", f"{md.get('bootstrapServers')} != {brokers}")

    if rendered and label.startswith("overlay"):
        image = c["image"]
        check(re.search(r"/[^/]+:[\w.-]+$", image) or "@sha256:" in image,
              f"{label}: image has a registry and a tag ({image})", image)
        ns = {d.get("metadata", {}).get("namespace") for d in docs if d.get("kind") != "Namespace"}
        check(len(ns) == 1 and None not in ns, f"{label}: every resource in one namespace {sorted(map(str, ns))}")


def check_kubernetes(ctx):
    print("== Kubernetes manifests")
    if ctx.renderer != "none":
        for path in sorted(glob.glob(os.path.join(ctx.work, "*.yaml"))):
            label = os.path.basename(path)[:-5]
            check_rendered(ctx, load_yaml_all(path), label)
        base_docs = load_yaml_all(os.path.join(ctx.work, "base.yaml"))
    else:
        base_docs = []
        for path in sorted(glob.glob("deploy/kubernetes/base/*.yaml")):
            if os.path.basename(path) != "kustomization.yaml":
                base_docs += load_yaml_all(path)
        check_rendered(ctx, base_docs, "base (files, unrendered)", rendered=False)

    hpa_docs = load_yaml_all("deploy/kubernetes/hpa-alternative.yaml")
    for hpa in hpa_docs:
        validate_builtin(hpa, "hpa-alternative", ctx.kube_versions)
        base_so = next(iter(by_kind(base_docs, "ScaledObject")), None)
        base_dep = next(iter(by_kind(base_docs, "Deployment")), None)
        check(base_dep and hpa["spec"]["scaleTargetRef"]["name"] == base_dep["metadata"]["name"],
              "hpa-alternative: targets the base Deployment")
        check(base_so and hpa["spec"]["maxReplicas"] == base_so["spec"]["maxReplicaCount"]
              and hpa["spec"]["minReplicas"] >= 1,
              "hpa-alternative: replica bounds as the ScaledObject's (max = partition count, min >= 1)")
        metrics_rs = open("src/telemetry/metrics.rs").read()
        for metric in hpa["spec"]["metrics"]:
            name = metric["external"]["metric"]["name"]
            check(f'"{name}"' in metrics_rs, f"hpa-alternative: metric {name} is one the worker exports")
    kustomization = yaml.safe_load(open("deploy/kubernetes/base/kustomization.yaml"))
    check(not any("hpa" in r for r in kustomization.get("resources", [])),
          "hpa-alternative: not among the base resources (KEDA is)")

    # The daily exchange-rate job (issue #26): built-in kinds, strict.
    fx_docs = load_yaml_all("deploy/kubernetes/fx-rates/cronjob.yaml")
    for doc in fx_docs:
        validate_builtin(doc, "fx-rates-cronjob", ctx.kube_versions)
    cron = next(iter(by_kind(fx_docs, "CronJob")), None)
    role = next(iter(by_kind(fx_docs, "Role")), None)
    if cron and role:
        pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        convert = next(c for c in pod["initContainers"] if c["name"] == "convert")
        check(convert["args"][:1] == ["fx-rates"] and "--from" in convert["args"] and "--out" in convert["args"],
              "fx-rates-cronjob: converts with `posting-enricher fx-rates --from ... --out ...`")
        publish = " ".join(pod["containers"][0]["command"])
        names = [n for r in role["rules"] for n in r.get("resourceNames", [])]
        check(names and all(f'"{n}"' in publish for n in names),
              "fx-rates-cronjob: the Role names exactly the ConfigMap the job writes")
        kustomization = yaml.safe_load(open("deploy/kubernetes/fx-rates/kustomization.yaml"))
        check(kustomization.get("resources") == ["cronjob.yaml"],
              "fx-rates-cronjob: a kustomize directory an overlay can list as a resource")
        check(pod.get("serviceAccountName") == role["metadata"]["name"],
              "fx-rates-cronjob: the job runs as the ServiceAccount the Role is bound to")


# --- Dockerfile ---------------------------------------------------------------------
def dockerfile_instructions(path="Dockerfile"):
    lines, buf = [], ""
    with open(path) as f:
        raw_lines = list(f)
    for raw in raw_lines:
        line = raw.rstrip("\n")
        if not buf and line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        buf += line
        if buf.strip():
            word, _, rest = buf.strip().partition(" ")
            lines.append((word.upper(), rest.strip()))
        buf = ""
    return lines


def final_stage_of(instr):
    """The instructions from the last FROM on."""
    stage = []
    for word, rest in instr:
        if word == "FROM":
            stage = []
        stage.append((word, rest))
    return stage


def docker_uid(final_stage):
    """The final stage's USER as a numeric uid, or None."""
    users = [rest for word, rest in final_stage if word == "USER"]
    if users and re.fullmatch(r"\d+(:\d+)?", users[-1]):
        return int(users[-1].split(":")[0])
    return None


def ignored(path, patterns):
    # Approximates Docker's matching: a pattern matches the path or a parent.
    result = False
    parts = path.split("/")
    for pat in patterns:
        negate = pat.startswith("!")
        p = pat.lstrip("!").strip("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if fnmatch.fnmatch(prefix, p) or (p.startswith("**/") and fnmatch.fnmatch(parts[i - 1], p[3:])):
                result = not negate
                break
    return result


def check_dockerfile(ctx, instr, defaults):
    print("== Dockerfile")
    if ctx.hadolint_status == "passed":
        ok("Dockerfile: hadolint")
    elif ctx.hadolint_status == "failed":
        fail("Dockerfile: hadolint", "see its output above")
    else:
        note("hadolint unavailable: only the checks below ran")

    final_stage = final_stage_of(instr)
    users = [rest for word, rest in final_stage if word == "USER"]
    froms = [rest for word, rest in instr if word == "FROM"]
    aliases = set()
    check(len(froms) >= 2, "Dockerfile: multi-stage build", f"{len(froms)} FROM")
    for rest in froms:
        parts = rest.split()
        image = parts[0]
        if image in aliases:
            continue
        if len(parts) >= 3 and parts[1].upper() == "AS":
            aliases.add(parts[2])
        name_tag = image.split("@")[0]
        tag = name_tag.rsplit(":", 1)[1] if ":" in name_tag.rsplit("/", 1)[-1] else None
        check("@sha256:" in image or (tag and tag != "latest"), f"Dockerfile: base {image} pinned (tag or digest)")
    check(ctx.docker_uid is not None and ctx.docker_uid != 0,
          f"Dockerfile: final stage USER is a non-root numeric uid ({users[-1] if users else None})")
    exposed = [p for word, rest in final_stage if word == "EXPOSE" for p in rest.split()]
    listen_default = port_of(defaults["telemetry"]["listen"])
    check(str(listen_default) in [p.split("/")[0] for p in exposed], f"Dockerfile: EXPOSE {listen_default}", str(exposed))
    check(("STOPSIGNAL", "SIGTERM") in final_stage, "Dockerfile: STOPSIGNAL SIGTERM")
    adds = [rest for word, rest in instr if word == "ADD"]
    check(not any(re.search(r"\b(https?|git)://|git@", a) for a in adds), "Dockerfile: no ADD of a URL", str(adds))
    entry = [rest for word, rest in final_stage if word == "ENTRYPOINT"]
    check(entry and entry[-1].startswith("["), "Dockerfile: ENTRYPOINT in exec form (the binary is PID 1 and gets SIGTERM)")
    builds = [rest for word, rest in instr if word == "RUN" and "cargo build" in rest]
    check(len(builds) >= 2 and all("--release" in b and "--locked" in b and "--bin posting-enricher" in b for b in builds),
          "Dockerfile: dependency layer and source layer both `cargo build --release --locked --bin posting-enricher`")

    # Every explicit Cargo target needs a placeholder in the dependency layer.
    with open("Cargo.toml", "rb") as f:
        cargo = tomllib.load(f)
    targets = []
    if "lib" in cargo:
        targets.append(cargo["lib"].get("path", "src/lib.rs"))
    for b in cargo.get("bin", []):
        targets.append(b.get("path", f"src/bin/{b['name']}.rs"))
    for kind, folder in (("bench", "benches"), ("test", "tests"), ("example", "examples")):
        for t in cargo.get(kind, []):
            targets.append(t.get("path", f"{folder}/{t['name']}.rs"))
    dep_layer = builds[0] if builds else ""
    missing = [t for t in targets if t not in dep_layer]
    check(not missing, f"Dockerfile: placeholders for every explicit Cargo target ({len(targets)})",
          f"missing: {missing}")
    copy_list = [rest for word, rest in instr if word == "COPY"]
    copies = " ".join(copy_list) + " "
    build_script = cargo.get("package", {}).get("build", "build.rs" if os.path.exists("build.rs") else None)
    if build_script:
        check(copy_list and build_script in copy_list[0].split() and "Cargo.lock" in copy_list[0].split(),
              f"Dockerfile: {build_script} and Cargo.lock copied with the manifest, before the sources")

    # Files the binary embeds at compile time must reach the builder.
    embedded = set()
    for src in glob.glob("src/**/*.rs", recursive=True):
        for rel in re.findall(r'include_(?:bytes|str)!\(\s*"([^"]+)"', open(src).read()):
            embedded.add(os.path.normpath(os.path.join(os.path.dirname(src), rel)))
    ignore = [line.strip() for line in open(".dockerignore") if line.strip() and not line.startswith("#")]

    copied_dirs = set(re.findall(r"\b([\w.-]+)(?=/?\s)", copies))
    needed = {"Cargo.toml", "Cargo.lock", "build.rs", "src/lib.rs", "src/main.rs"} | set(targets) | embedded
    missing = sorted(p for p in needed if not os.path.exists(p))
    check(not missing, f"Dockerfile: the {len(embedded)} embedded data files and all targets exist", str(missing))
    bad = sorted(p for p in needed if ignored(p, ignore))
    check(not bad, ".dockerignore: keeps every file the build needs", f"ignored: {bad}")
    uncopied = sorted(p for p in needed if p.split("/")[0] not in copied_dirs)
    check(not uncopied, "Dockerfile: COPYs every file the build needs", f"not copied: {uncopied}")
    check(ignored("target/release/posting-enricher", ignore) and ignored(".git/HEAD", ignore),
          ".dockerignore: excludes target/ and .git/")


# --- docker-compose.yml ---------------------------------------------------------------
def check_compose(ctx):
    print("== docker-compose.yml")
    compose = yaml.safe_load(open("docker-compose.yml"))
    schema_file = next(str(f.locate()) for f in importlib.metadata.files("docker-compose")
                       if str(f).endswith("compose/config/compose_spec.json"))
    schema = json.load(open(schema_file))
    # Its $schema names draft 2019-09 by an old URL; say so explicitly.
    errors = sorted(jsonschema.Draft201909Validator(schema).iter_errors(compose), key=lambda e: list(map(str, e.path)))
    check(not errors, "docker-compose.yml: valid against the Compose specification schema (docker-compose 1.29.2)",
          "; ".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors[:5]))
    services = compose.get("services", {})
    check(set(services) >= {"kafka", "kafka-init", "posting-enricher", "prometheus", "grafana"},
          f"docker-compose.yml: services {sorted(services)}")
    for name, s in services.items():
        if "image" in s and "build" not in s:
            tag = s["image"].rsplit(":", 1)[1] if ":" in s["image"].rsplit("/", 1)[-1] else None
            check(tag and tag != "latest", f"docker-compose.yml: {name} image {s['image']} pinned")
        deps = s.get("depends_on") or []
        unknown = [d for d in deps if d not in services]
        check(not unknown, f"docker-compose.yml: {name} depends on known services", str(unknown))
        for vol in s.get("volumes", []):
            source = vol.split(":")[0]
            if source.startswith("."):
                check(os.path.isfile(source), f"docker-compose.yml: {name} mounts {source}", "no such file")

    check(services["kafka"]["image"].startswith("apache/kafka:") and
          "broker,controller" in str(services["kafka"].get("environment", {}).get("KAFKA_PROCESS_ROLES")),
          "docker-compose.yml: Kafka in KRaft mode (broker,controller)")
    w = services["posting-enricher"]
    check(w.get("build", {}).get("dockerfile") == "Dockerfile", "docker-compose.yml: worker built from ./Dockerfile")
    wcfg_mount = next(v for v in w["volumes"] if v.startswith("./deploy/compose/config.toml:"))
    wcfg_target = wcfg_mount.split(":")[1]
    wcmd = w.get("command", [])
    check("--config" in wcmd and wcmd[wcmd.index("--config") + 1] == wcfg_target,
          f"docker-compose.yml: worker reads the mounted config {wcfg_target}")
    compose_cfg = check_config_file(ctx, "deploy/compose/config.toml", "deploy/compose/config.toml")
    if not compose_cfg:
        return
    wport = port_of(compose_cfg["telemetry"]["listen"])
    check(any(str(p).endswith(f":{wport}") for p in w.get("ports", [])),
          f"docker-compose.yml: worker publishes {wport}")
    check(duration_seconds(w.get("stop_grace_period", "10s")) > duration_seconds(compose_cfg["worker"]["shutdown_timeout"]),
          "docker-compose.yml: stop_grace_period > worker.shutdown_timeout")
    init_script = " ".join(map(str, services["kafka-init"].get("command", [])))
    topics = compose_cfg["kafka"]["input_topics"] + [compose_cfg["kafka"]["output_topic"],
                                                     compose_cfg["kafka"]["dead_letter_topic"]]
    absent = [t for t in topics if not re.search(rf"\b{re.escape(t)}\b", init_script)]
    check(not absent, "docker-compose.yml: kafka-init creates every topic the worker uses", str(absent))
    check(compose_cfg["kafka"]["brokers"].split(":")[0] in services,
          "deploy/compose/config.toml: brokers name the compose Kafka service")
    cond = (w.get("depends_on") or {}).get("kafka-init", {}).get("condition")
    check(cond == "service_completed_successfully", "docker-compose.yml: worker starts after the topics exist")

    print("== Prometheus and Grafana (compose)")
    prom = yaml.safe_load(open("deploy/compose/prometheus.yml"))
    jobs = {j["job_name"]: j for j in prom.get("scrape_configs", [])}
    job = jobs.get("posting-enricher")
    targets = [t for sc in (job or {}).get("static_configs", []) for t in sc.get("targets", [])]
    check(f"posting-enricher:{wport}" in targets,
          "prometheus.yml: job posting-enricher scrapes the worker service", str(targets))
    rule_mounts = [v.split(":")[1] for v in services["prometheus"]["volumes"] if "deploy/prometheus/" in v]
    rule_globs = prom.get("rule_files", [])
    check(rule_mounts and all(any(fnmatch.fnmatch(m, g) for g in rule_globs) for m in rule_mounts),
          "prometheus.yml: rule_files match the mounted deploy/prometheus/alerts.yml", f"{rule_mounts} vs {rule_globs}")
    if os.path.isfile("deploy/prometheus/alerts.yml"):
        alerts = yaml.safe_load(open("deploy/prometheus/alerts.yml"))
        check(isinstance(alerts, dict) and alerts.get("groups"), "deploy/prometheus/alerts.yml: YAML with rule groups")

    ds = yaml.safe_load(open("deploy/compose/grafana/datasources.yml"))
    urls = [d.get("url") for d in ds.get("datasources", [])]
    check(ds.get("apiVersion") == 1 and "http://prometheus:9090" in urls,
          "grafana/datasources.yml: the compose Prometheus", str(urls))
    dp = yaml.safe_load(open("deploy/compose/grafana/dashboards.yml"))
    paths = [p.get("options", {}).get("path") for p in dp.get("providers", [])]
    g = services["grafana"]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in g.get("volumes", []) if v.startswith(".")}
    dash_target = mounts.get("./deploy/grafana/posting-enricher.json")
    check(dp.get("apiVersion") == 1 and dash_target and os.path.dirname(dash_target) in paths,
          "grafana/dashboards.yml: provider path holds the mounted dashboard", f"{dash_target} vs {paths}")
    check(all(t.startswith("/etc/grafana/provisioning/") for s, t in mounts.items() if s.endswith("s.yml")),
          "docker-compose.yml: provisioning files under /etc/grafana/provisioning/")
    if os.path.isfile("deploy/grafana/posting-enricher.json"):
        try:
            dash = json.load(open("deploy/grafana/posting-enricher.json"))
            check(isinstance(dash, dict) and ("panels" in dash or "dashboard" in dash),
                  "deploy/grafana/posting-enricher.json: a dashboard (JSON with panels)")
        except json.JSONDecodeError as e:
            fail("deploy/grafana/posting-enricher.json", e)


def main(argv):
    global passed, failed
    passed = failed = 0
    if len(argv) != 4:
        sys.exit("usage: check_deploy.py WORK RENDERER HADOLINT_STATUS KUBE_VERSIONS")
    work, renderer, hadolint_status, kube_versions = argv
    binary = find_binary()
    if not binary:
        sys.exit("check-deploy: no posting-enricher binary (POSTING_ENRICHER_BIN, or "
                 + " or ".join(BINARY_CANDIDATES) + "); scripts/check-deploy builds one")
    ctx = Context(work, renderer, hadolint_status, kube_versions.split(), binary)
    # The built-in defaults, as the worker prints them.
    defaults, error = validate_config(binary, None)
    if defaults is None:
        sys.exit(f"check-deploy: {binary} validate-config (defaults): {error}")
    note(f"config files are checked with {binary} validate-config")

    instr = dockerfile_instructions()
    ctx.docker_uid = docker_uid(final_stage_of(instr))
    check_kubernetes(ctx)
    check_dockerfile(ctx, instr, defaults)
    check_compose(ctx)

    print(f"check-deploy: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
