#!/usr/bin/env bash
# Installs the system tools the test suite drives for real (Debian packages), if any is missing:
#   ip       (iproute2)      - network namespaces for the partition tests
#   dig      (dnsutils)      - a second DNS implementation that checks the cloud's DNS answers
#   dnsmasq  (dnsmasq-base)  - the reference server in the DNS benchmark
#   haproxy  (haproxy)       - the reverse proxy with sticky cookies the proxy tests run in front of nodes
#   openssl  (openssl)       - makes the proxy tests' TLS certificate at run time
#   chromium (chromium)      - the browser bundle's tests and benchmark, driven by playwright-core
#   prometheus (prometheus)  - scrapes a running cloud's /metrics in the metrics test
# Runs before `npm test` and in CI. Without root or apt-get it only says what is missing; the tests
# that need a tool then fail under CI=true and are skipped (with the reason shown) otherwise.
set -uo pipefail
declare -A packages=([ip]=iproute2 [dig]=dnsutils [dnsmasq]=dnsmasq-base [haproxy]=haproxy [openssl]=openssl [chromium]=chromium [prometheus]=prometheus)
missing=()
for tool in "${!packages[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${packages[$tool]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages for the tests: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit $?
fi
echo "note: missing system packages for some tests: ${missing[*]} (install them with apt-get as root)" >&2
exit 0
