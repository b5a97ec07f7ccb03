"""deploy/kubernetes: every manifest valid for one Kubernetes version, offline and strict (an unknown or
misplaced field fails), and our own rules: probes or a stated reason, resources, locked-down pods, the
settings in step with deploy/config.yaml and docker-compose.yml, and a Secret of placeholders only."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from kit import secrets

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.33"
SECRET_TEMPLATE = "secret.template.yaml"
PLACEHOLDER = "CHANGE-ME"
# What the Secret holds: the keys and the URLs that carry credentials; every other setting is not secret.
SECRET_SETTINGS = {"SECRET_KEY", "ORGANISER_TOKEN", "AMQP_URI", "DATABASE_URL", "SMTP_USER", "SMTP_PASSWORD"}
# Set on the gateway's pod only, as docker-compose.yml does.
GATEWAY_ONLY = {"GATEWAY_BIND", "GATEWAY_PORT"}
# Settings compose leaves to their defaults that a cluster should set: the sender, and the Ingress in front.
CLUSTER_ONLY = {"MAIL_FROM", "TRUSTED_PROXIES"}


def documents(path):
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


FILES = sorted(path.name for path in MANIFESTS.glob("*.yaml") if path.name != "kustomization.yaml")
RESOURCES = [document for name in FILES for document in documents(MANIFESTS / name)]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = {
    name: spec for name, spec in COMPOSE["services"].items() if "nameko" in spec.get("command", [])
}


def of_kind(kind):
    return [resource for resource in RESOURCES if resource["kind"] == kind]


def named(kind, name):
    [resource] = [resource for resource in of_kind(kind) if resource["metadata"]["name"] == name]
    return resource


# Read leniently: a manifest missing what these rules need fails its own tests, not the whole module.
DEPLOYMENTS = {deployment["metadata"]["name"]: deployment for deployment in of_kind("Deployment")}
SETTINGS = next(iter(of_kind("ConfigMap")), {}).get("data", {})
SECRET = next(iter(of_kind("Secret")), {}).get("stringData", {})


def container(deployment):
    [only] = deployment["spec"]["template"]["spec"]["containers"]
    return only


@pytest.mark.parametrize("name", FILES)
def test_every_manifest_is_valid_for_the_kubernetes_version(name):
    problems = []
    for resource in documents(MANIFESTS / name):
        where = f"{name}: {resource.get('kind')}/{resource.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{where}: {'.'.join(map(str, error.path))}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{where}: {error.message}")
    assert not problems, "\n".join(problems)


def test_kustomize_applies_every_manifest_but_the_secret_template():
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == [name for name in FILES if name != SECRET_TEMPLATE]
    [image] = kustomization["images"]
    assert {container(d)["image"].rsplit(":", 1)[0] for d in DEPLOYMENTS.values()} == {image["name"]}
    assert PLACEHOLDER in image["newTag"]  # no image of ours is named here, least of all `latest`
    namespace = of_kind("Namespace")[0]["metadata"]["name"]
    for resource in RESOURCES:
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == namespace, resource["metadata"]["name"]


def test_one_deployment_runs_each_process_of_docker_compose_with_two_replicas_or_more():
    assert set(DEPLOYMENTS) == set(APP_SERVICES)
    budgets = {
        budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
        for budget in of_kind("PodDisruptionBudget")
    }
    for name, deployment in DEPLOYMENTS.items():
        assert container(deployment)["command"] == APP_SERVICES[name]["command"], name
        assert deployment["spec"]["replicas"] >= 2, name
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, name
        assert name in budgets, f"{name} has no PodDisruptionBudget"


def test_the_gateway_is_probed_on_its_health_routes_and_served_by_its_service():
    source = (ROOT / "gateway" / "service.py").read_text()
    gateway = container(DEPLOYMENTS["gateway"])
    ports = {port["name"]: port["containerPort"] for port in gateway["ports"]}
    for probe, path in (("readinessProbe", "/health/ready"), ("livenessProbe", "/health/live")):
        assert gateway[probe]["httpGet"]["path"] == path
        assert gateway[probe]["httpGet"]["port"] in ports
        assert re.search(r'"GET",\s*"' + re.escape(path) + '"', source), f"no route {path}"
    assert gateway["readinessProbe"]["timeoutSeconds"] > 3  # /health/ready waits up to READY_TIMEOUT
    env = {variable["name"]: variable["value"] for variable in gateway["env"]}
    assert env == {"GATEWAY_BIND": "0.0.0.0", "GATEWAY_PORT": str(ports["http"])}
    service = named("Service", "gateway")
    template_labels = DEPLOYMENTS["gateway"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= template_labels.items()
    assert service["spec"]["ports"][0]["targetPort"] in ports


def test_a_deployment_without_probes_says_why():
    for name, deployment in DEPLOYMENTS.items():
        probed = container(deployment).keys() & {"readinessProbe", "livenessProbe"}
        reason = deployment["metadata"].get("annotations", {}).get("opendetat/probes", "")
        assert probed or (reason.startswith("none") and len(reason) > 80), f"{name}: no probe and no reason"
        assert probed or deployment["spec"].get("minReadySeconds", 0) > 0, f"{name}: rollouts do not wait"


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_every_pod_has_resources_and_runs_locked_down(name):
    pod = DEPLOYMENTS[name]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0  # the image's user is named: the kubelet needs a number
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False  # or a Service named gateway sets GATEWAY_PORT=tcp://...
    app = container(DEPLOYMENTS[name])
    assert app["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    [tmp] = [mount for mount in app["volumeMounts"] if mount["mountPath"] == "/tmp"]
    assert "emptyDir" in volumes[tmp["name"]]
    for bound in ("requests", "limits"):
        assert app["resources"][bound].keys() == {"cpu", "memory"}, f"{name}: {bound}"
    sources = [(kind, reference["name"]) for source in app["envFrom"] for kind, reference in source.items()]
    settings = of_kind("ConfigMap")[0]["metadata"]["name"]
    # In this order: a key in both takes the Secret's value.
    assert sources == [("configMapRef", settings), ("secretRef", "opendetat-secrets")]


def test_every_setting_the_manifests_set_is_read_by_the_platform():
    config = (ROOT / "deploy" / "config.yaml").read_text()
    known = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)[:}]", config))
    code = "\n".join(
        path.read_text()
        for folder in ("kit", "services", "gateway")
        for path in (ROOT / folder).rglob("*.py")
    )
    known |= set(
        re.findall(r"""os\.(?:environ(?:\.get|\.setdefault)?[\[(]|getenv\()\s*["']([A-Z0-9_]+)""", code)
    )
    set_here = set(SETTINGS) | set(SECRET)
    for deployment in DEPLOYMENTS.values():
        set_here |= {variable["name"] for variable in container(deployment).get("env", [])}
    assert set_here - known == set()


def test_the_settings_stay_in_step_with_docker_compose():
    compose = set(COMPOSE["x-app"]["environment"]) | set(APP_SERVICES["gateway"]["environment"])
    assert set(SECRET) == SECRET_SETTINGS
    assert set(SETTINGS) == (compose - SECRET_SETTINGS - GATEWAY_ONLY) | CLUSTER_ONLY
    gateway_env = {variable["name"] for variable in container(DEPLOYMENTS["gateway"])["env"]}
    assert compose & GATEWAY_ONLY <= gateway_env
    assert SETTINGS["OPENDETAT_ENV"] == COMPOSE["x-app"]["environment"]["OPENDETAT_ENV"] == "production"
    for name, value in COMPOSE["x-app"]["environment"].items():  # what compose takes from a secret
        if re.search(r"\$\{[A-Z_]*(PASSWORD|SECRET|TOKEN)", str(value)):
            assert name in SECRET_SETTINGS, name


def test_the_urls_name_the_external_services():
    aliases = {
        service["metadata"]["name"]
        for service in of_kind("Service")
        if service["spec"]["type"] == "ExternalName"
    }
    for url in (SECRET["AMQP_URI"], SECRET["DATABASE_URL"], SETTINGS["REDIS_URL"]):
        assert urlsplit(url).hostname in aliases, url
    assert urlsplit(SETTINGS["REDIS_URL"]).password is None  # a Redis password belongs in the Secret


def test_the_secret_template_holds_placeholders_only():
    secret = named("Secret", "opendetat-secrets")
    assert "data" not in secret  # base64 would hide what is there
    for name, value in SECRET.items():
        assert value == "" or PLACEHOLDER in value, name
    for name in ("AMQP_URI", "DATABASE_URL"):
        assert urlsplit(SECRET[name]).password == PLACEHOLDER, name
    # Applied as it is, nothing starts: kit/secrets.py refuses both outside OPENDETAT_ENV=dev.
    refused = " ".join(secrets.problems(SECRET))
    assert "SECRET_KEY" in refused and "ORGANISER_TOKEN" in refused
    text = "\n".join((MANIFESTS / name).read_text() for name in FILES)
    for published in (*secrets.KNOWN_DEFAULTS, "guest:guest"):
        assert published not in text
