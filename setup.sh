#!/usr/bin/env bash
# Sets up everything the grader and its tests need, inside the project: the Debian/Ubuntu
# packages (bubblewrap for the sandbox, chromium and chromium-driver for the browser test,
# graphviz for the notebooks that call keras.utils.plot_model)
# where it may install them, and a virtual environment in .venv with the grader and its
# test extra. Idempotent: a second run only checks, in a second or two.
#
#   ./setup.sh                 # then .venv/bin/grader ... and .venv/bin/python -m pytest
#   PYTHON=python3.12 ./setup.sh   # another interpreter (3.10 or newer) for the venv
#   GRADER_VENV=/some/where ./setup.sh
set -euo pipefail
cd "$(dirname "$0")"

VENV=${GRADER_VENV:-.venv}
EXTRAS=${GRADER_EXTRAS:-test,notebook}
SYSTEM_PACKAGES=(bubblewrap chromium chromium-driver graphviz)

say() { printf 'setup: %s\n' "$*" >&2; }

# What a missing system package costs, in one line each.
cost() {
    case "$1" in
        bubblewrap) echo "bubblewrap: no sandbox; grading falls back to '--sandbox process' (submissions can read the grader's files and use the network; '--sandbox strict' refuses to grade)" ;;
        chromium | chromium-driver) echo "$1: the test that opens the HTML reports in a real browser is skipped" ;;
        graphviz) echo "graphviz: keras.utils.plot_model in a notebook fails (noted with a hint; the grade does not need it)" ;;
        python3-venv) echo "python3-venv: no virtual environment can be made; install it, or run with PYTHON=/path/to/a/python that has venv" ;;
    esac
}

# Whether every folder on the way to a file (links followed) lets other users through.
open_to_others() {
    local d
    d=$(dirname "$(readlink -f "$1")")
    while [ "$d" != / ]; do
        [ $((8#$(stat -c %a "$d") & 1)) -eq 1 ] || return 1
        d=$(dirname "$d")
    done
}

# The first Python 3.10+ of $PYTHON, python3, python, /usr/bin/python3. As root, one other
# users can run comes first: without bubblewrap each stage of a submission runs under a
# non-root uid that must start it (a pyenv or conda under /root would leave them as root).
python_for_venv() {
    local candidate path closed=""
    for candidate in ${PYTHON:-} python3 python /usr/bin/python3; do
        path=$(command -v "$candidate" 2>/dev/null) || continue
        "$path" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || continue
        if [ -z "${PYTHON:-}" ] && [ "$(id -u)" -eq 0 ] && ! open_to_others "$path"; then
            closed=${closed:-$path}
            continue
        fi
        echo "$path"
        return
    done
    if [ -n "$closed" ]; then
        say "$closed is in a folder other users cannot enter: without bubblewrap, submissions will run as root"
        echo "$closed"
        return
    fi
    say "no Python 3.10 or newer found (tried ${PYTHON:-} python3 python /usr/bin/python3); set PYTHON=/path/to/python"
    exit 1
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

system_packages() {
    local python=$1 missing=() sudo="" p
    if ! command -v dpkg-query >/dev/null 2>&1; then
        say "not a Debian/Ubuntu system: install these yourself if your system has them:"
        for p in "${SYSTEM_PACKAGES[@]}"; do say "  $(cost "$p")"; done
        return
    fi
    for p in "${SYSTEM_PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
    # Debian's own Python makes a venv only with python3-venv (ensurepip is split off).
    if [ ! -x "$VENV/bin/python" ] && ! "$python" -c 'import ensurepip' 2>/dev/null; then
        missing+=("python3-venv")
    fi
    [ ${#missing[@]} -eq 0 ] && return
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo"
        else
            say "cannot install ${missing[*]} (not root, no password-less sudo); run"
            say "  sudo apt-get install -y ${missing[*]}"
            for p in "${missing[@]}"; do say "  without $(cost "$p")"; done
            return
        fi
    fi
    say "installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null; }; then
        say "apt-get could not install ${missing[*]}; going on"
        for p in "${missing[@]}"; do installed "$p" || say "  without $(cost "$p")"; done
    fi
}

virtual_environment() {
    local python=$1
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating $VENV from $python"
        rm -rf "$VENV" # a half-made one (venv without ensurepip) would be taken for done
        "$python" -m venv "$VENV"
    fi
    # Reinstall only when what pip would install changed: the stamp is pyproject's hash.
    local stamp="$VENV/.grader-setup" want
    want="$(sha256sum pyproject.toml | cut -c1-64) $EXTRAS $(pwd)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/grader" ]; then
        return
    fi
    say "installing the grader and its Python packages into $VENV (a few minutes the first time)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[$EXTRAS]"
    echo "$want" >"$stamp"
}

main() {
    local python
    python=$(python_for_venv)
    if [ "$(id -u)" -eq 0 ] && ! open_to_others "$PWD/setup.sh"; then
        say "$PWD is in a folder other users cannot enter: without bubblewrap, submissions will run as root"
    fi
    system_packages "$python"
    virtual_environment "$python"
    say "ready: $VENV/bin/grader (or 'source $VENV/bin/activate'); tests: $VENV/bin/python -m pytest"
}

main "$@"
