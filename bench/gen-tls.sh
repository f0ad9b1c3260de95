#!/usr/bin/env bash
# A throwaway CA and server certificate for 127.0.0.1/localhost (RSA 2048, like cert-manager's
# default) in $TLS_DIR, named like a kubernetes.io/tls Secret (ca.crt, tls.crt, tls.key) so the
# floor and `cvm-admission serve --certs-dir` read the same files. Adapted from the shared load
# harness (provenance in bench/SOURCES.md): only the file names differ.
set -euo pipefail
mkdir -p "${TLS_DIR:?}" && cd "${TLS_DIR}"
[ -s tls.key ] && [ -s tls.crt ] && [ -s ca.crt ] && exit 0
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=perf-harness-ca" \
  -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout tls.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
  -extfile ext.cnf -out tls.crt 2>/dev/null
rm -f server.csr ext.cnf ca.srl ca.key
echo "tls: generated ca.crt tls.crt tls.key in ${TLS_DIR}" >&2
