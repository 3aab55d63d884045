#!/usr/bin/env bash
# Fetches real web applications from Debian and unpacks them into a benign corpus that the
# bundled rules must stay silent on (no finding at medium or above; see tests/benign_corpus.rs).
#
#   scripts/benign-corpus.sh [CACHE_DIR]      (default: target/benign-corpus, or $BENIGN_CORPUS)
#
# Layout: CACHE_DIR/debs/*.deb (downloads, reused) and CACHE_DIR/unpacked/<package>/ (dpkg -x).
# Needs apt-get and dpkg (Debian or Ubuntu) and access to the Debian archive. When they are
# missing it prints "skipped: ..." and exits 0, so CI without network does not fail on it.
# Packages that the configured suites do not have are skipped one by one.
set -uo pipefail
cd "$(dirname "$0")/.."

CACHE="${1:-${BENIGN_CORPUS:-target/benign-corpus}}"

# PHP, JSP, ASP.NET, Perl and Python web applications and the PHP libraries they ship.
PACKAGES=(
  # CMS, wikis, mail and groupware
  wordpress wordpress-theme-twentytwentythree mediawiki dokuwiki roundcube-core roundcube-plugins
  tt-rss davical php-horde php-horde-core php-horde-imp php-horde-kronolith php-horde-turba
  php-horde-util php-horde-ingo
  # database and directory admin tools
  phpmyadmin adminer phpldapadmin ldap-account-manager postfixadmin gosa
  # monitoring consoles
  icingaweb2 php-icinga icingaweb2-module-monitoring icingaweb2-module-director zabbix-frontend-php
  cacti nagvis nagios4-cgi ganglia-webfrontend zoneminder phpsysinfo munin awstats
  # PHP libraries that web apps bundle (eval-like code, shells out, base64, file managers)
  php-phpseclib php-tcpdf php-dompdf smarty4 php-twig php-pear php-getid3 php-htmlpurifier
  libphp-phpmailer php-laravel-framework php-symfony php-slim php-monolog composer phpunit
  php-codesniffer php-zend-code
  # Java servlet containers: JSP examples, manager and host-manager apps
  tomcat10-examples tomcat10-admin tomcat10-docs
  # ASP.NET (Mono XSP samples)
  asp.net-examples mono-xsp4
  # Perl and Python CGI / web apps
  gitweb request-tracker5 sympa mailman3-web python3-django
)

skip() { echo "skipped: $*"; exit 0; }

command -v apt-get >/dev/null 2>&1 || skip "apt-get not found (not a Debian-like system)"
command -v dpkg >/dev/null 2>&1 || skip "dpkg not found"

mkdir -p "$CACHE/debs" "$CACHE/unpacked" || skip "cannot create $CACHE"
DEBS="$(cd "$CACHE/debs" && pwd)"
OUT="$(cd "$CACHE/unpacked" && pwd)"

# Without package lists apt-get download finds nothing; refresh them once when we can.
if ! apt-cache show wordpress >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    timeout 300 apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed (no network?)"
  fi
fi

fetched=0
missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! ls "$DEBS/${pkg}_"*.deb >/dev/null 2>&1; then
    if ! apt-cache show "$pkg" >/dev/null 2>&1; then
      missing+=("$pkg (not in the package lists)")
      continue
    fi
    if ! (cd "$DEBS" && timeout 600 apt-get download -qq "$pkg" >/dev/null 2>&1); then
      missing+=("$pkg (download failed)")
      continue
    fi
  fi
  deb="$(ls "$DEBS/${pkg}_"*.deb 2>/dev/null | head -n 1)"
  [ -n "$deb" ] || { missing+=("$pkg (no .deb)"); continue; }
  if [ ! -d "$OUT/$pkg" ]; then
    mkdir -p "$OUT/$pkg.tmp" && dpkg -x "$deb" "$OUT/$pkg.tmp" && mv "$OUT/$pkg.tmp" "$OUT/$pkg" \
      || { rm -rf "$OUT/$pkg.tmp"; missing+=("$pkg (dpkg -x failed)"); continue; }
  fi
  fetched=$((fetched + 1))
done

if [ "$fetched" = 0 ]; then
  rmdir "$OUT" "$DEBS" "$CACHE" 2>/dev/null
  skip "no package could be downloaded (no network or no Debian archive): ${missing[*]:-}"
fi

for m in "${missing[@]}"; do echo "not included: $m"; done
echo "files per package (regular files):"
total=0
for d in "$OUT"/*/; do
  n=$(find "$d" -type f | wc -l)
  total=$((total + n))
  printf '  %-40s %6d\n' "$(basename "$d")" "$n"
done
printf '  %-40s %6d\n' TOTAL "$total"
echo "benign corpus ready in $CACHE/unpacked ($fetched packages)"
