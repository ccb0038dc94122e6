#!/usr/bin/env bash
# What tests/test_browser.py needs, installed only when missing (idempotent, quiet):
# Debian's Chromium (/usr/bin/chromium, via apt-get), CJK fonts so that pages and screenshots
# show Chinese rather than empty boxes (fonts-noto-cjk), and the `playwright` Python package in
# the project's .venv, used only as a driver for that Chromium (`playwright install` is never
# run: its browser download fails on this network). Exits 0 when both are present.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${ROOT}/.venv/bin/python"
CHROMIUM=/usr/bin/chromium

CJK_FONT=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

if [ ! -x "${CHROMIUM}" ] || [ ! -f "${CJK_FONT}" ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    ${SUDO} apt-get update -qq >/dev/null
    ${SUDO} apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
fi

if ! "${PYTHON}" -c "import playwright.async_api" >/dev/null 2>&1; then
    "${PYTHON}" -m pip install --quiet --disable-pip-version-check playwright
fi

"${CHROMIUM}" --version >/dev/null 2>&1
"${PYTHON}" -c "import playwright.async_api"
