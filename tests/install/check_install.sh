#!/usr/bin/env bash
# What `cmake --install` puts where.
#
# usage: check_install.sh LLAMAFMT_BIN BUILD_DIR CMAKE
#   BUILD_DIR  the configured and built tree LLAMAFMT_BIN belongs to
#   CMAKE      the cmake that configured it
#
# Installs the build tree into a scratch prefix and into a DESTDIR staging
# area, checks that the binary, the man page, both completions and the
# documents land in the standard places and are the built or committed
# files, that man(1), bash-completion and zsh find them there, and that the
# installed binary runs.  (The .deb: check_deb.sh.)  Cases whose tool is
# missing (man, bash-completion, zsh) are skipped, exit 77 at the end; in CI
# (CI=true) they fail.
#
# Prints one line per failure and finally `install: N passed, M failed`.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
# shellcheck source=SCRIPTDIR/common.sh
. "$HERE/common.sh"

if [ "$#" -ne 3 ]; then
    echo "usage: ${0##*/} LLAMAFMT_BIN BUILD_DIR CMAKE" >&2
    exit 2
fi
harness_args "$1"
BUILD=$(cd "$2" && pwd) || exit 2
CMAKE=$3
SRC=$(cd "$HERE/../.." && pwd)
[ -f "$BUILD/cmake_install.cmake" ] || { echo "${0##*/}: $BUILD is not a configured build tree" >&2; exit 2; }
harness_tmp install

version_line=$("$BIN" --version)

# the installed files, relative to the prefix, and where each comes from
files=(
    "bin/llamafmt|$BIN"
    "share/man/man1/llamafmt.1|$BUILD/llamafmt.1"
    "share/bash-completion/completions/llamafmt|$SRC/completions/llamafmt.bash"
    "share/zsh/vendor-completions/_llamafmt|$SRC/completions/_llamafmt"
    "share/doc/llamafmt/README.md|$SRC/README.md"
    "share/doc/llamafmt/LICENSE|$SRC/LICENSE"
)

# want_tree ROOT: exactly the files above under ROOT, with their bytes
want_tree() {
    local root=$1 f rel from
    for f in "${files[@]}"; do
        rel=${f%%|*}
        from=${f#*|}
        if [ ! -f "$root/$rel" ]; then
            flunk "$rel not installed"
        elif ! cmp -s "$root/$rel" "$from"; then
            flunk "$rel is not $from"
        fi
    done
    [ -x "$root/bin/llamafmt" ] || flunk "bin/llamafmt is not executable"
    (cd "$root" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) >tree
    printf '%s\n' "${files[@]%%|*}" | LC_ALL=C sort >want-tree
    cmp -s tree want-tree || flunk "installed files differ:
$(diff want-tree tree)"
}

# ------------------------------------------------------- cmake --install

begin "cmake --install --prefix puts every file in its place"
"$CMAKE" --install "$BUILD" --prefix "$TMP/root" >out 2>err
st=$?
want_status 0
want_tree "$TMP/root"
end

begin "the installed binary runs"
"$TMP/root/bin/llamafmt" --version >out 2>err
st=$?
want_status 0
[ "$(cat out)" = "$version_line" ] || flunk "--version: $(show out), want $version_line"
"$TMP/root/bin/llamafmt" --help >out 2>err
st=$?
want_status 0
grep -q '^Usage: llamafmt' out || flunk "--help: $(show out)"
printf '%s\n' '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}' |
    "$TMP/root/bin/llamafmt" >out 2>err
st=$?
want_status 0
"$BIN" <<<'{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}' >want 2>/dev/null
want_out_file want
end

begin "DESTDIR staging: everything under DESTDIR/PREFIX, nothing elsewhere"
DESTDIR=$TMP/dest "$CMAKE" --install "$BUILD" --prefix /usr >out 2>err
st=$?
want_status 0
want_tree "$TMP/dest/usr"
extra=$(cd "$TMP/dest" && find . -mindepth 1 -maxdepth 1 ! -name usr)
[ -z "$extra" ] || flunk "outside DESTDIR/usr: $extra"
end

if with man -- "man -w finds the installed page"; then
    begin "man -w finds the installed page"
    MANPATH=$TMP/root/share/man man -w llamafmt >out 2>err
    st=$?
    want_status 0
    [ "$(cat out)" = "$TMP/root/share/man/man1/llamafmt.1" ] || flunk "man -w: $(show out) $(show err)"
    end
fi

if [ -f /usr/share/bash-completion/bash_completion ]; then
    begin "bash-completion loads the installed completion on demand"
    # bash-completion's default completion (complete -D) loads
    # DATADIR/bash-completion/completions/CMD for each DATADIR of XDG_DATA_DIRS
    env -i PATH="$PATH" HOME="$TMP" XDG_DATA_DIRS="$TMP/root/share" bash --norc --noprofile -c '
        . /usr/share/bash-completion/bash_completion || exit 3
        complete -p llamafmt 2>/dev/null && exit 4
        loader=$(complete -p -D | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
        [ -n "$loader" ] || exit 5
        "$loader" llamafmt
        complete -p llamafmt' >out 2>err
    st=$?
    want_status 0
    [ "$(tail -1 out)" = "complete -F _llamafmt llamafmt" ] || flunk "after loading: $(show out) $(show err)"
    end
elif in_ci; then
    begin "bash-completion loads the installed completion on demand"
    flunk "bash-completion is not installed (required in CI)"
    end
else
    skip "bash-completion loads the installed completion on demand" "needs bash-completion"
fi

if with zsh -- "zsh finds the installed completion"; then
    begin "zsh finds the installed completion"
    HOME=$TMP zsh -f -c "fpath=('$TMP/root/share/zsh/vendor-completions' \$fpath)"'
        autoload -Uz compinit; compinit -u -D; print -r -- ${_comps[llamafmt]}' >out 2>err
    st=$?
    want_status 0
    [ "$(cat out)" = _llamafmt ] || flunk "_comps[llamafmt] is '$(cat out)': $(show err)"
    if [ -f /etc/debian_version ]; then
        # Debian's zsh searches /usr/share/zsh/vendor-completions by default
        zsh -f -c 'print -l $fpath' | grep -qx /usr/share/zsh/vendor-completions ||
            flunk "this zsh does not search /usr/share/zsh/vendor-completions"
    fi
    end
fi

install_done install
