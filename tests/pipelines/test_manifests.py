"""Every Kubernetes manifest validates against the 1.37 schemas (offline, strict); secrets are
templates only; images are the ones the pipeline runs."""

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from procsft_kfp.components.images import BASE_IMAGE, TRAIN_IMAGE

REPO = Path(__file__).resolve().parents[2]
KUSTOMIZATION = REPO / "k8s/kustomization.yaml"
MANIFESTS = sorted(set((REPO / "k8s").rglob("*.yaml")) - {KUSTOMIZATION})
VERSION = "1.37.0"


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: str(p.relative_to(REPO)))
def test_manifest_validates_strictly(manifest):
    docs = documents(manifest)
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, VERSION, strict=True)


def test_apply_k_takes_every_service_manifest_and_no_template_or_check():
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    assert kustomization["kind"] == "Kustomization"
    resources = set(kustomization["resources"])
    top_level = {p.name for p in MANIFESTS if p.parent == REPO / "k8s"}
    # the GPU pool check runs once GPU nodes exist; secrets are filled copies of templates
    assert resources == top_level - {"gpu-pool.yaml"}, resources ^ (top_level - {"gpu-pool.yaml"})
    # the namespace first: kubectl applies in order and the rest lives in it
    assert kustomization["resources"][0] == "namespace.yaml"


def test_the_validator_rejects_an_unknown_field():
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"prot": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, VERSION, strict=True)


def test_secrets_are_templates_without_values():
    for manifest in MANIFESTS:
        for doc in documents(manifest):
            if doc["kind"] != "Secret":
                continue
            assert manifest.parent.name == "secrets" and ".template." in manifest.name
            for key, value in doc["stringData"].items():
                assert value == "REPLACE_ME" or "REPLACE_ME" in value, (manifest, key)


def test_services_and_checks_use_the_pipeline_images():
    images = {
        c["image"]
        for manifest in MANIFESTS
        for doc in documents(manifest)
        if doc["kind"] in ("Deployment", "Job")
        for c in doc["spec"]["template"]["spec"]["containers"]
    }
    assert {BASE_IMAGE, TRAIN_IMAGE} <= images
    assert all(":" in image and not image.endswith(":latest") for image in images)
