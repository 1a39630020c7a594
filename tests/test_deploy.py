"""The deploy/ artefacts: Prometheus config and alerts (promtool), the metrics they and the
Grafana dashboard name, the production example config, the Dockerfile and Kubernetes manifests.

Docker itself cannot run here (no engine), so the image is not built in tests.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import generate_latest

from gateway.cli import main
from gateway.metrics import Metrics
from gateway.policy.embedded import EmbeddedEngine
from tests.conftest import ROOT, Gateway

DEPLOY = ROOT / "deploy"
PROM = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "callgate.json"

# Metrics the alerts and dashboard use that gateway/metrics.py does not define yet.
# Empty: every referenced metric exists. Add an entry only with the issue that defines it.
NOT_YET_DEFINED: set[str] = set()

_NAME = re.compile(r"\bcallgate_[a-z_]+\b")
_HIST_SUFFIX = re.compile(r"_(bucket|sum|count)$")


def referenced_metrics() -> set[str]:
    alerts = yaml.safe_load((PROM / "alerts.yml").read_text())
    exprs = [r["expr"] for g in alerts["groups"] for r in g["rules"]]
    dash = json.loads(DASHBOARD.read_text())
    exprs += [t["expr"] for p in dash["panels"] for t in p["targets"]]
    return {m for e in exprs for m in _NAME.findall(e)}


def families(exposition: str) -> tuple[set[str], set[str]]:
    """Metric names in a text exposition, and those that are histograms."""
    names, hists = set(), set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names.add(name)
            if kind == "histogram":
                hists.add(name)
    return names, hists


def present(name: str, names: set[str], hists: set[str]) -> bool:
    return name in names or _HIST_SUFFIX.sub("", name) in hists


promtool = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    promtool is None, reason="promtool is not installed (apt-get install -y prometheus provides it)"
)


@needs_promtool
def test_promtool_accepts_config_and_rules() -> None:
    assert promtool is not None
    for args in (
        ["check", "config", "prometheus.yml"],
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts_test.yml"],
    ):
        r = subprocess.run([promtool, *args], cwd=PROM, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"promtool {' '.join(args)}:\n{r.stdout}\n{r.stderr}"


def test_required_alerts_exist() -> None:
    alerts = yaml.safe_load((PROM / "alerts.yml").read_text())
    names = {r["alert"] for g in alerts["groups"] for r in g["rules"]}
    assert {
        "CallgateKillSwitchEngaged",
        "CallgateDenyRateSpike",
        "CallgatePolicyErrors",
        "CallgateStoreUnavailable",
        "CallgateDecisionLogFailures",
        "CallgateQuotaNearExhaustion",
    } <= names


def test_allow_list_only_holds_metrics_not_yet_defined() -> None:
    names, hists = families(generate_latest(Metrics("callgate").registry).decode())
    landed = {m for m in NOT_YET_DEFINED if present(m, names, hists)}
    assert not landed, f"now defined in gateway/metrics.py; drop from NOT_YET_DEFINED: {sorted(landed)}"
    assert referenced_metrics() >= NOT_YET_DEFINED


async def test_alert_and_dashboard_metrics_are_on_a_running_gateway(gateway: Gateway) -> None:
    r = await gateway.agent.get("/tools/echo/x", headers=gateway.auth())
    assert r.status == 200
    r = await gateway.admin.get("/metrics")
    assert r.status == 200
    names, hists = families(await r.text())
    missing = sorted(m for m in referenced_metrics() - NOT_YET_DEFINED if not present(m, names, hists))
    assert not missing, f"alerts/dashboard name metrics a gateway does not expose: {missing}"
    # The dashboard and alerts do use the core metrics.
    assert {"callgate_calls_total", "callgate_policy_errors_total", "callgate_killswitch_engaged"} <= (
        referenced_metrics()
    )


def test_dashboard_is_provisioned_against_the_provisioned_datasource() -> None:
    ds = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = ds["datasources"][0]["uid"]
    dash = json.loads(DASHBOARD.read_text())
    assert dash["uid"] == "callgate" and dash["panels"]
    for p in dash["panels"]:
        assert p["datasource"]["uid"] == uid
        assert all(t["datasource"]["uid"] == uid for t in p["targets"])
    prov = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/callgate.yml").read_text())
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{prov['providers'][0]['options']['path']}:ro" in mounts


def test_prod_config_is_valid_with_secrets_from_env(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("CALLGATE_ADMIN_TOKEN", "SEARCH_API_KEY", "BANK_API_KEY"):
        monkeypatch.setenv(var, f"value-of-{var}")
    assert main(["check-config", str(DEPLOY / "callgate.prod.yaml")]) == 0, capsys.readouterr().err
    assert "policy engine opa" in capsys.readouterr().out
    # Secrets only by reference: every credential and token names an env var or a file.
    text = (DEPLOY / "callgate.prod.yaml").read_text()
    assert "value-of-" not in text and "secret:" not in text


def test_k8s_config_map_config_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = list(yaml.safe_load_all((DEPLOY / "k8s/configmap.yaml").read_text()))
    cfg = next(d for d in docs if d["metadata"]["name"] == "callgate-config")["data"]["callgate.yaml"]
    (tmp_path / "c.yaml").write_text(cfg)
    (tmp_path / "secret").write_text("x")
    cfg = cfg.replace("/run/secrets/callgate/admin-token", str(tmp_path / "secret"))
    cfg = cfg.replace("/run/secrets/callgate/search-api-key", str(tmp_path / "secret"))
    (tmp_path / "c.yaml").write_text(cfg)
    assert main(["check-config", str(tmp_path / "c.yaml")]) == 0, capsys.readouterr().err


def test_k8s_probes_hit_the_admin_port() -> None:
    dep = yaml.safe_load((DEPLOY / "k8s/deployment.yaml").read_text())
    spec = dep["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    gw = next(c for c in spec["containers"] if c["name"] == "callgate")
    ports = {p["name"]: p["containerPort"] for p in gw["ports"]}
    assert ports == {"agents": 8080, "admin": 8081}
    assert gw["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}
    assert gw["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"}
    kinds = {
        yaml.safe_load_all(p.read_text()).__next__()["kind"]
        for p in (DEPLOY / "k8s").glob("*.yaml")
        if p.name != "kustomization.yaml"
    }
    assert {"Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler"} <= kinds


def test_dockerfile_runs_non_root_with_a_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM python:3.11-slim") == 2
    assert re.search(r"^USER 10001", text, re.M)
    assert re.search(r"^HEALTHCHECK .*\n.*127\.0\.0\.1:8081/healthz", text, re.M)


def kustomize_command() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def test_k8s_policies_config_map_lists_every_policy_file() -> None:
    """The root kustomization generates callgate-policies from policies/: every policy file, no placeholder."""
    kz = yaml.safe_load((ROOT / "kustomization.yaml").read_text())
    assert kz["resources"] == ["deploy/k8s"]
    gen = next(g for g in kz["configMapGenerator"] if g["name"] == "callgate-policies")
    expected = sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "policies").glob("*.rego") if not p.name.endswith("_test.rego")
    )
    assert sorted(gen["files"]) == expected
    # no hand-written policies ConfigMap left in the manifests
    names = [d["metadata"]["name"] for d in yaml.safe_load_all((DEPLOY / "k8s/configmap.yaml").read_text()) if d]
    assert "callgate-policies" not in names


def test_kustomize_build_mounts_the_real_policy_pack(tmp_path: Path) -> None:
    cmd = kustomize_command()
    if cmd is None:
        pytest.skip("neither kustomize nor kubectl is installed")
    out = subprocess.run([*cmd, str(ROOT)], capture_output=True, text=True, timeout=60, check=True).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    cm = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("callgate-policies-"))
    assert cm["data"]["callgate.rego"] == (ROOT / "policies/callgate.rego").read_text()
    dep = next(d for d in docs if d["kind"] == "Deployment")
    volumes = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
    assert volumes["policies"]["configMap"]["name"] == cm["metadata"]["name"]  # hashed name, rolled on change
    for name, text in cm["data"].items():
        (tmp_path / name).write_text(text)
    engine = EmbeddedEngine.load([tmp_path], {})
    decision = engine.evaluate_sync("data.callgate.decision", {"version": 1})
    assert decision["allow"] is False
    assert "policy.not_deployed" not in [r["code"] for r in decision["reasons"]]
