#!/bin/sh
# Fails if clang-format would change any C file in the repository.
set -eu
cd "$(dirname "$0")/.."
git ls-files --cached --others --exclude-standard '*.c' '*.h' | xargs clang-format --dry-run --Werror
echo "check-format: clean"
