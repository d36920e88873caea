#!/bin/sh
# Installs every Debian 12 package Ladder needs to build, test and fuzz.
# Idempotent: apt-get skips what is already installed.
set -eu

PACKAGES="build-essential cmake pkg-config git openssl ca-certificates
libsqlite3-dev libjansson-dev libyajl-dev libcurl4-openssl-dev libgit2-dev
libmicrohttpd-dev libgnutls28-dev nettle-dev libcmocka-dev zlib1g-dev libdeflate-dev libcsv-dev
clang-14 libclang-rt-14-dev llvm-14 clang-format nodejs"

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
echo "install-deps: all packages present"
