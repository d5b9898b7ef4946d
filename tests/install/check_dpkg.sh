#!/usr/bin/env bash
# The Debian package, installed for real: CI's packaging stage (.ci/run).
#
# usage: check_dpkg.sh BUILD_DIR
#
# Builds the package with `cpack -G DEB` in BUILD_DIR (built already),
# checks it with check_deb.sh, installs it with dpkg -i, and then, from the
# installed package only: runs `llamafmt --help` and a conversion, finds the
# man page with `man -w` and renders it with man --warnings, loads the bash
# completion through bash-completion's loader and the zsh one through a plain
# compinit, and completes with both in interactive shells.  Finally removes
# the package with dpkg -r and checks that its files are gone.
#
# Changes the system: needs root (or sudo), and refuses to run when a
# llamafmt package is installed already.  Needs dpkg, cpack, man-db,
# bash-completion, zsh and python3 (the Debian packages CI installs).
# Prints one line per failure and finally `dpkg: N passed, M failed`.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
# shellcheck source=SCRIPTDIR/common.sh
. "$HERE/common.sh"

if [ "$#" -ne 1 ]; then
    echo "usage: ${0##*/} BUILD_DIR" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd) || exit 2
harness_args "$BUILD/llamafmt"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
for t in dpkg dpkg-query cpack man zsh; do
    have "$t" || { echo "${0##*/}: $t is missing" >&2; exit 2; }
done
[ -f /usr/share/bash-completion/bash_completion ] || { echo "${0##*/}: bash-completion is missing" >&2; exit 2; }
if dpkg-query -W -f='${db:Status-Status}' llamafmt 2>/dev/null | grep -qx installed; then
    echo "${0##*/}: a llamafmt package is installed already; not touching it" >&2
    exit 2
fi
harness_tmp dpkg

installed=0
on_cleanup() {
    if [ "$installed" = 1 ]; then
        $SUDO dpkg -r llamafmt >/dev/null 2>&1
    fi
}

SAMPLE='{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}'

begin "cpack -G DEB builds the package"
(cd "$BUILD" && cpack -G DEB -B "$TMP/pkg") >out 2>err
st=$?
want_status 0
debs=("$TMP"/pkg/llamafmt_*.deb)
if [ "${#debs[@]}" -ne 1 ] || [ ! -f "${debs[0]}" ]; then
    flunk "no package: $(show out) $(show err)"
    end
    harness_done dpkg
    exit 1
fi
DEB=${debs[0]}
end

begin "check_deb.sh accepts the package"
bash "$HERE/check_deb.sh" "$BIN" "$BUILD" "$DEB" >out 2>err
st=$?
want_status 0
[ "$st" -eq 0 ] || cat out
end

begin "dpkg -i installs it"
# Docker's slim images exclude /usr/share/man and /usr/share/doc from every
# package (dpkg.cfg.d); bring ours back, later options win
$SUDO dpkg -i --path-include='/usr/share/man/man1/llamafmt.1.gz' \
    --path-include='/usr/share/doc/llamafmt/*' "$DEB" >out 2>err
st=$?
want_status 0
[ "$st" -eq 0 ] && installed=1
status=$(dpkg-query -W -f='${db:Status-Status} ${Version}' llamafmt 2>&1)
[ "$status" = "installed $(dpkg-deb -f "$DEB" Version)" ] || flunk "dpkg-query: $status"
end

begin "llamafmt --help runs from the installed package"
hash -r
[ "$(command -v llamafmt)" = /usr/bin/llamafmt ] || flunk "llamafmt is $(command -v llamafmt), not /usr/bin/llamafmt"
(cd / && llamafmt --help) >out 2>err
st=$?
want_status 0
want_err_empty
grep -q '^Usage: llamafmt' out || flunk "--help: $(show out)"
cmp -s out <("$BIN" --help) || flunk "the installed --help differs from the build's"
printf '%s\n' "$SAMPLE" | /usr/bin/llamafmt >out 2>err
st=$?
want_status 0
printf '%s\n' "$SAMPLE" | "$BIN" >want 2>/dev/null
want_out_file want
end

begin "man -w llamafmt finds the page, and man renders it without warnings"
man -w llamafmt >out 2>err
st=$?
want_status 0
[ "$(cat out)" = /usr/share/man/man1/llamafmt.1.gz ] || flunk "man -w: $(show out) $(show err)"
MANPAGER=cat MANWIDTH=80 man --warnings llamafmt >out 2>err
st=$?
want_status 0
want_err_empty
grep -q 'EXIT STATUS' out || flunk "man llamafmt: $(show out)"
end

begin "bash-completion loads the installed completion"
env -i PATH="$PATH" HOME="$TMP" bash --norc --noprofile -c '
    . /usr/share/bash-completion/bash_completion || exit 3
    loader=$(complete -p -D | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
    [ -n "$loader" ] || exit 4
    "$loader" llamafmt
    complete -p llamafmt || exit 5
    COMP_WORDS=(llamafmt --pro); COMP_CWORD=1; COMP_LINE="llamafmt --pro"; COMP_POINT=${#COMP_LINE}
    _llamafmt llamafmt --pro llamafmt
    printf "%s\n" "${COMPREPLY[@]}"' >out 2>err
st=$?
want_status 0
grep -qx 'complete -F _llamafmt llamafmt' out || flunk "not loaded: $(show out) $(show err)"
grep -qx -- --profile out || flunk "--pro did not complete to --profile: $(show out)"
(cd "$TMP" && timeout 120 "$PY" "$HERE/complete_pty.py" bash /usr/share/bash-completion/completions/llamafmt \
    'llamafmt --profile ') >out 2>err
st=$?
want_status 0
grep -qE '(^| )official( |$)' out || flunk "--profile <TAB>: $(show out) $(show err)"
end

begin "zsh finds the installed completion in its default fpath"
HOME=$TMP zsh -f -c 'autoload -Uz compinit; compinit -u -D; print -r -- ${_comps[llamafmt]}' >out 2>err
st=$?
want_status 0
[ "$(cat out)" = _llamafmt ] || flunk "_comps[llamafmt] is '$(cat out)': $(show err)"
(cd "$TMP" && timeout 120 "$PY" "$HERE/complete_pty.py" zsh /usr/share/zsh/vendor-completions/_llamafmt \
    'llamafmt --to=') >out 2>err
st=$?
want_status 0
grep -qE '(^| )prompt-completion( |$)' out || flunk "--to=<TAB>: $(show out) $(show err)"
end

begin "dpkg -r removes it, and every file with it"
$SUDO dpkg -r llamafmt >out 2>err
st=$?
want_status 0
[ "$st" -eq 0 ] && installed=0
for f in /usr/bin/llamafmt /usr/share/man/man1/llamafmt.1.gz /usr/share/bash-completion/completions/llamafmt \
    /usr/share/zsh/vendor-completions/_llamafmt /usr/share/doc/llamafmt; do
    [ ! -e "$f" ] || flunk "$f is still there"
done
status=$(dpkg-query -W -f='${db:Status-Status}' llamafmt 2>/dev/null)
[ "$status" != installed ] || flunk "still installed"
end

harness_done dpkg
