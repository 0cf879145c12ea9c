#!/usr/bin/env bash
# Sets up a Debian 12 machine to build, test and run the project, offline except for the
# Debian archive. Idempotent and quick when everything is present:
#   1. installs the packages in third_party/debian.lock that are missing (one apt-get
#      update, then one apt-get install);
#   2. compares installed versions with the lock: a different upstream version fails,
#      a different Debian revision is reported;
#   3. reports whether the optional CUDA toolkit (for --config=cuda) is present.
# Usage: tools/setup.sh            (as root, or a user with sudo)
#        tools/setup.sh --check    (install nothing; only compare and report)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly lock=${SETUP_LOCK_FILE:-third_party/debian.lock}  # override: tests
check_only=false
[[ "${1:-}" == "--check" ]] && check_only=true

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

[[ -r "$lock" ]] || die "$lock not found"
if [[ -r /etc/os-release ]] && ! grep -q '^VERSION_ID="12"' /etc/os-release; then
  say "warning: this is not Debian 12; package names and versions may differ"
fi

# package -> locked version; a third word "floating" marks a package Debian replaces with new
# upstream versions inside a stable release (chromium's security updates): any version is
# accepted and a difference is reported.
declare -A locked=() floating=()
packages=()
while read -r package version rest; do
  [[ -z "$package" || "$package" == \#* ]] && continue
  [[ -n "$version" && ( -z "$rest" || "$rest" == floating ) ]] ||
    die "$lock: bad line '$package $version $rest'"
  locked[$package]=$version
  [[ "$rest" == floating ]] && floating[$package]=1
  packages+=("$package")
done <"$lock"

# Installed versions of every locked package, from one dpkg-query call (it is slow per call).
declare -A installed=()
read_installed() {
  installed=()
  local package status version
  while IFS=$'\t' read -r package status version; do
    [[ "$status" == "install ok installed" ]] && installed[${package%%:*}]=$version
  done < <(dpkg-query -W -f='${Package}\t${Status}\t${Version}\n' "${packages[@]}" 2>/dev/null)
  return 0
}
installed_version() { echo "${installed[$1]:-}"; }
read_installed

missing=()
for package in "${packages[@]}"; do
  [[ -n "$(installed_version "$package")" ]] || missing+=("$package")
done

if ((${#missing[@]} > 0)); then
  $check_only && die "missing packages: ${missing[*]} (run tools/setup.sh to install)"
  sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "need root to install: ${missing[*]}"
    sudo=(sudo)
  fi
  say "installing ${#missing[@]} package(s): ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
    die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    die "apt-get install failed for: ${missing[*]}"
  read_installed
fi

# Debian versions are [epoch:]upstream[-revision]; the revision follows the last '-'.
upstream_of() { [[ "$1" == *-* ]] && echo "${1%-*}" || echo "$1"; }

failures=0
for package in "${packages[@]}"; do
  want=${locked[$package]}
  have=$(installed_version "$package")
  if [[ -z "$have" ]]; then
    printf 'setup: ERROR: %s is not installed\n' "$package" >&2
    failures=$((failures + 1))
  elif [[ "$have" == "$want" ]]; then
    :
  elif [[ -n "${floating[$package]:-}" ]]; then
    say "note: $package changed: locked $want, installed $have (floating: accepted)"
  elif [[ "$(upstream_of "$have")" == "$(upstream_of "$want")" ]]; then
    say "note: $package revision changed: locked $want, installed $have (accepted)"
  else
    printf 'setup: ERROR: %s upstream version changed: locked %s, installed %s.\n' \
      "$package" "$want" "$have" >&2
    printf '       Rebuild and rerun the tests with it, then update %s.\n' "$lock" >&2
    failures=$((failures + 1))
  fi
done
((failures == 0)) || die "$failures package(s) differ from $lock"
say "all ${#packages[@]} locked packages present and matching $lock"

cuda_root=${CUDA_PATH:-/usr/local/cuda}
if [[ -x "$cuda_root/bin/nvcc" && -e "$cuda_root/include/cudnn.h" ]]; then
  say "CUDA toolkit found at $cuda_root ($("$cuda_root/bin/nvcc" --version | grep -o 'release [0-9.]*')); --config=cuda is available"
else
  say "CUDA toolkit not found at $cuda_root (optional: needed only for --config=cuda)"
fi
