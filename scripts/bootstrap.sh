#!/usr/bin/env bash
# Make this machine ready to run and test desktop_chat. Idempotent; fast when nothing is missing.
#
#   bash scripts/bootstrap.sh          # Debian libs + fonts for Qt offscreen, .venv, pip install,
#                                      # the compiled translations (.qm)
#   bash scripts/bootstrap.sh --x11    # also the Xvfb/xcb group (same as DESKTOP_CHAT_X11=1)
#
# It can also be sourced: it then only defines the functions (bootstrap, ensure_x11_packages, ...)
# and the caller runs them.

DESKTOP_CHAT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Libraries Qt needs for QT_QPA_PLATFORM=offscreen, plus fonts (without fonts every glyph is a box).
DESKTOP_CHAT_APT_BASE=(
    libgl1 libegl1 libxkbcommon0 libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3
    fonts-dejavu-core fonts-wqy-microhei fonts-noto-color-emoji
)
# The x11-marked tests: a real X server (xvfb, xauth for xvfb-run), a light window manager
# that gives activation, focus loss, minimize and restore (jwm), xdotool to drive it, and
# x11-apps (xlogo: another X client to take the focus; xwd: screenshots). Then every library
# Qt's xcb platform plugin and its GLX integration load (checked with ldd and QT_DEBUG_PLUGINS=1
# on PySide6 6.11.3; libxcb1, libx11-6 and libxcb-glx0 usually come with libgl1, listed anyway).
DESKTOP_CHAT_APT_X11=(
    xvfb xauth xdotool x11-apps jwm
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0
    libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1
    libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1
    libxcb1 libx11-6 libxcb-glx0
)
# The commands the x11 suite and scripts/test run (from the packages above).
DESKTOP_CHAT_X11_COMMANDS=(Xvfb xvfb-run xauth jwm xdotool xlogo xwd)
# The offscreen test part's programs: the cluster engines (a private PostgreSQL, Redis and
# HAProxy per test session), the validators of the .desktop file and AppStream metainfo, and
# dbus-daemon (the notification tests run a private session bus).
DESKTOP_CHAT_APT_CLUSTER=(postgresql redis-server haproxy desktop-file-utils appstream dbus-daemon)

_setup_log() { echo "[setup] $*" >&2; }

# ensure_apt_packages PKG... : install the Debian packages that are not installed yet.
ensure_apt_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    if [[ "$(id -u)" -ne 0 ]]; then
        _setup_log "missing Debian packages: ${missing[*]}"
        _setup_log "run this, then try again:"
        echo "sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
        return 1
    fi
    _setup_log "installing Debian packages: ${missing[*]}"
    apt-get update -qq || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null || return 1
}

ensure_base_packages() { ensure_apt_packages "${DESKTOP_CHAT_APT_BASE[@]}"; }

# ensure_x11_packages: the X11 group above, then a check that its commands are on PATH.
# Fast (one dpkg-query per package, no apt) when everything is installed already.
ensure_x11_packages() {
    if ! ensure_apt_packages "${DESKTOP_CHAT_APT_X11[@]}"; then
        _setup_log "the x11 test suite (Xvfb + jwm + xdotool) cannot run without these packages"
        return 1
    fi
    local cmd missing=()
    for cmd in "${DESKTOP_CHAT_X11_COMMANDS[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
    done
    if ((${#missing[@]})); then
        _setup_log "X11 packages are installed but these commands are missing: ${missing[*]}"
        _setup_log "reinstall them: apt-get install --reinstall ${DESKTOP_CHAT_APT_X11[*]:0:5}"
        return 1
    fi
}

# ensure_venv: .venv at the project root, with the project installed editable with [test].
# pip runs with -qq: errors are shown, progress and warnings are not.
ensure_venv() {
    local venv="$DESKTOP_CHAT_ROOT/.venv"
    local stamp="$venv/.desktop-chat-installed"
    local py="${DESKTOP_CHAT_PYTHON:-python3}"
    local fresh=0

    if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
        if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
            _setup_log "need Python >= 3.11 as '$py' (set DESKTOP_CHAT_PYTHON to choose another)"
            return 1
        fi
        _setup_log "creating .venv with $("$py" --version 2>&1)"
        rm -rf "$venv"
        "$py" -m venv "$venv" || return 1
        fresh=1
    fi

    local want have=""
    want="$(sha256sum "$DESKTOP_CHAT_ROOT/pyproject.toml" | cut -d' ' -f1)"
    [[ -f "$stamp" ]] && have="$(cat "$stamp")"
    if [[ "$want" == "$have" ]]; then
        return 0
    fi

    if ((fresh)); then
        "$venv/bin/python" -m pip install -qq --upgrade pip || return 1
    fi
    _setup_log "installing desktop-chat and its test tools into .venv (pip install -e '.[test]')"
    (cd "$DESKTOP_CHAT_ROOT" && "$venv/bin/python" -m pip install -qq -e '.[test]') || return 1
    echo "$want" >"$stamp"
}

# ensure_translations: compile resources/translations/*.ts into .qm files (pyside6-lrelease
# from .venv) when a .qm is missing or older than its .ts. The .qm files are not in git.
ensure_translations() {
    local lrelease="$DESKTOP_CHAT_ROOT/.venv/bin/pyside6-lrelease" ts qm
    for ts in "$DESKTOP_CHAT_ROOT"/desktop_chat/resources/translations/*.ts; do
        [[ -e "$ts" ]] || continue
        qm="${ts%.ts}.qm"
        if [[ ! -f "$qm" || "$ts" -nt "$qm" ]]; then
            _setup_log "compiling $(basename "$ts") into $(basename "$qm")"
            "$lrelease" -silent "$ts" -qm "$qm" || return 1
        fi
    done
}

ensure_cluster_packages() {
    if ! ensure_apt_packages "${DESKTOP_CHAT_APT_CLUSTER[@]}"; then
        _setup_log "the cluster tests (PostgreSQL, Redis, HAProxy) cannot run without these packages"
        return 1
    fi
}

# bootstrap: everything the run and test scripts need (the X11 group only if
# DESKTOP_CHAT_X11=1, the cluster engines only if DESKTOP_CHAT_CLUSTER=1).
bootstrap() {
    ensure_base_packages || return 1
    if [[ "${DESKTOP_CHAT_X11:-0}" == "1" ]]; then
        ensure_x11_packages || return 1
    fi
    if [[ "${DESKTOP_CHAT_CLUSTER:-0}" == "1" ]]; then
        ensure_cluster_packages || return 1
    fi
    ensure_venv || return 1
    ensure_translations || return 1
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    for arg in "$@"; do
        case "$arg" in
            --x11) export DESKTOP_CHAT_X11=1 ;;
            --cluster) export DESKTOP_CHAT_CLUSTER=1 ;;
            *) echo "usage: $0 [--x11] [--cluster]" >&2; exit 2 ;;
        esac
    done
    bootstrap
fi
