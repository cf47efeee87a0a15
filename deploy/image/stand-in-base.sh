#!/usr/bin/env bash
# Makes a local stand-in for the official python:3.11-slim image, for machines where no
# registry serves images (CI here): Debian bookworm's own Python 3.11, with the two
# differences from the official image that matter to the Containerfile removed.
#
#   deploy/image/stand-in-base.sh [IMAGE]     (default localhost/qrinfo-standin-python:3.11-slim)
#
# Then build with --build-arg BASE_IMAGE=IMAGE. Nothing is done when IMAGE already exists:
# remove it (podman rmi IMAGE) to make it again. Needs root (mmdebstrap) and podman; honours
# CONTAINERS_CONF like every podman command.
set -euo pipefail

image="${1:-localhost/qrinfo-standin-python:3.11-slim}"
suite=bookworm   # Debian 12: its python3 is 3.11, as pyproject.toml's requires-python asks

if podman image exists "$image"; then
  echo "stand-in base $image already exists"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# ca-certificates: pip and uv check PyPI's certificate; python3-venv and python3-pip: the
# official image has venv and pip, the build stage uses both.
# --customize-hook runs in the finished tree before it is packed ("$1" is its root):
# - Debian marks its Python EXTERNALLY-MANAGED (PEP 668), so pip would refuse to install
#   uv; the official image has no such marker.
# - The official image's python is /usr/local/bin/python3; the Containerfile's venv is
#   made by (and so points at) whatever python3 is first on PATH, which must exist at the
#   same path in the final stage: link it, so both bases give /usr/local/bin/python3.
mmdebstrap --quiet --variant=minbase \
  --include=ca-certificates,python3,python3-venv,python3-pip \
  --customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED' \
  --customize-hook='ln -sf /usr/bin/python3 "$1"/usr/local/bin/python3' \
  --customize-hook='ln -sf /usr/bin/python3 "$1"/usr/local/bin/python' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  "$suite" "$work/rootfs.tar"

# podman import gives an image without a config: say what the official one says.
podman import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  --message "stand-in for python:3.11-slim: Debian $suite's python3 (deploy/image/stand-in-base.sh)" \
  --quiet "$work/rootfs.tar" "$image" >/dev/null
echo "stand-in base $image made"
