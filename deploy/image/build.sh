#!/usr/bin/env bash
# Builds qrinfo's image with podman where no registry serves images (CI here): on the
# local stand-in for python:3.11-slim (made first when missing), trusting the host's CA
# bundle while the build downloads from PyPI.
#
#   deploy/image/build.sh [IMAGE]        (default localhost/qrinfo:dev)
#
# BASE_IMAGE   the base to build on (default: the stand-in, deploy/image/stand-in-base.sh)
# BUILD_CA     a CA bundle for the build's downloads (default: the host's
#              /etc/ssl/certs/ca-certificates.crt when there is one; empty for none). It is
#              mounted for the build only, never copied into a layer.
# Honours CONTAINERS_CONF like every podman command. Where a registry is reachable,
# a plain `podman build -t qrinfo .` is all it takes.
set -euo pipefail
cd "$(dirname "$0")/../.."

image="${1:-localhost/qrinfo:dev}"
base="${BASE_IMAGE:-}"
if [ -z "$base" ]; then
  base=localhost/qrinfo-standin-python:3.11-slim
  deploy/image/stand-in-base.sh "$base"
fi

args=(--build-arg "BASE_IMAGE=$base" --build-arg "VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)")
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
# What the build context holds (.containerignore) may differ from the commit.
if [ "$revision" != unknown ] && ! git diff --quiet HEAD -- pyproject.toml uv.lock README.md bot; then
  revision="$revision-dirty"
fi
args+=(--build-arg "REVISION=$revision")

ca="${BUILD_CA-/etc/ssl/certs/ca-certificates.crt}"
if [ -n "$ca" ] && [ -r "$ca" ]; then
  # Over the base's own bundle, where pip and uv look; pip's and uv's own bundles are told
  # to give way to it.
  target=/etc/ssl/certs/ca-certificates.crt
  args+=(--volume "$(realpath "$ca"):$target:ro"
         --build-arg "PIP_CERT=$target" --build-arg "SSL_CERT_FILE=$target")
fi

podman build --file Containerfile --tag "$image" "${args[@]}" .
