#!/usr/bin/env bash
# The Debian package that `cpack -G DEB` builds: its file name, control
# fields (Depends computed by dpkg-shlibdeps) and contents, and the binary,
# man page, changelog and copyright inside it.  Installing it (dpkg -i) needs
# root and is CI's part (.ci/run), which also runs this script on the package
# it installs.
#
# usage: check_deb.sh LLAMAFMT_BIN BUILD_DIR CPACK|DEB
#   BUILD_DIR  the configured and built tree LLAMAFMT_BIN belongs to
#   CPACK      its cpack: build the package into a scratch directory.  cpack
#              first builds the tree's `preinstall` target (whatever is out
#              of date), so CTest runs this test alone (RUN_SERIAL).
#   DEB        or a package built already (ends in .deb)
#
# Needs dpkg-deb (skipped without it, exit 77; required when CI=true).
# Prints one line per failure and finally `deb: N passed, M failed`.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
# shellcheck source=SCRIPTDIR/common.sh
. "$HERE/common.sh"

if [ "$#" -ne 3 ]; then
    echo "usage: ${0##*/} LLAMAFMT_BIN BUILD_DIR CPACK|DEB" >&2
    exit 2
fi
harness_args "$1"
BUILD=$(cd "$2" && pwd) || exit 2
DEB=
CPACK=
case $3 in
*.deb)
    case $3 in /*) DEB=$3 ;; *) DEB=$PWD/$3 ;; esac
    [ -f "$DEB" ] || { echo "${0##*/}: no such package: $DEB" >&2; exit 2; }
    ;;
*) CPACK=$3 ;;
esac
SRC=$(cd "$HERE/../.." && pwd)
need dpkg-deb dpkg
harness_tmp deb

version_line=$("$BIN" --version)
version=$(printf '%s\n' "$version_line" | sed -n 's/^llamafmt \([^ ]*\).*/\1/p')

arch=$(dpkg --print-architecture)
if [ -z "$DEB" ]; then
    begin "cpack -G DEB builds one package"
    "$CPACK" -G DEB --config "$BUILD/CPackConfig.cmake" -B "$TMP/pkg" >out 2>err
    st=$?
    want_status 0
    debs=("$TMP"/pkg/*.deb)
    if [ "${#debs[@]}" -ne 1 ] || [ ! -f "${debs[0]}" ]; then
        flunk "packages: ${debs[*]}; cpack said: $(show out) $(show err)"
        end
        harness_done deb
        exit 1
    fi
    DEB=${debs[0]}
    end
fi

begin "the package file is named as Debian names it"
[ "${DEB##*/}" = "llamafmt_${version}_$arch.deb" ] || flunk "package file ${DEB##*/}, want llamafmt_${version}_$arch.deb"
end

begin "the package's control fields"
field() { dpkg-deb -f "$DEB" "$1" 2>/dev/null; }
[ "$(field Package)" = llamafmt ] || flunk "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || flunk "Version: $(field Version), want $version"
[ "$(field Architecture)" = "$arch" ] || flunk "Architecture: $(field Architecture)"
[ "$(field Section)" = utils ] || flunk "Section: $(field Section)"
[ "$(field Priority)" = optional ] || flunk "Priority: $(field Priority)"
[[ $(field Maintainer) =~ ^[^\<]+\ \<[^@\>]+@[^\>]+\>$ ]] || flunk "Maintainer: $(field Maintainer)"
field Description | head -1 | grep -q 'Llama 3.1' || flunk "Description: $(field Description | head -1)"
field Description | awk 'length > 80 { bad = 1 } END { exit bad }' || flunk "description lines over 80 columns"
# every shared library the binary needs, from its package
depends=$(field Depends)
for lib in libc6 libcjson1 zlib1g libzstd1; do
    [[ ", $depends," == *", $lib "* || ", $depends," == *", $lib,"* ]] || flunk "Depends lacks $lib: $depends"
done
if objdump -p "$BIN" 2>/dev/null | grep -q 'NEEDED.*libutf8proc'; then
    [[ $depends == *libutf8proc* ]] || flunk "the binary needs libutf8proc; Depends: $depends"
fi
end

begin "the package's files"
dpkg-deb -c "$DEB" >listing 2>err
awk '{ print $6 }' listing | grep -v '/$' | LC_ALL=C sort >contents
LC_ALL=C sort >want-contents <<'EOF'
./usr/bin/llamafmt
./usr/share/bash-completion/completions/llamafmt
./usr/share/doc/llamafmt/README.md
./usr/share/doc/llamafmt/changelog.gz
./usr/share/doc/llamafmt/copyright
./usr/share/man/man1/llamafmt.1.gz
./usr/share/zsh/vendor-completions/_llamafmt
EOF
cmp -s contents want-contents || flunk "package contents differ:
$(diff want-contents contents)"
awk '$2 != "root/root" { print }' listing >bad-owner
[ ! -s bad-owner ] || flunk "not owned by root: $(show bad-owner)"
grep -q '^-rwxr-xr-x .*\./usr/bin/llamafmt$' listing || flunk "usr/bin/llamafmt mode: $(grep 'bin/llamafmt' listing)"
end

begin "the packaged binary runs, stripped; its man page renders"
dpkg-deb -x "$DEB" "$TMP/x" 2>err
"$TMP/x/usr/bin/llamafmt" --version >out 2>err
st=$?
want_status 0
[ "$(cat out)" = "$version_line" ] || flunk "--version: $(show out)"
if have readelf; then
    readelf -S "$TMP/x/usr/bin/llamafmt" | grep -qE '\.(symtab|debug_info)' && flunk "usr/bin/llamafmt is not stripped"
fi
gzip -dc "$TMP/x/usr/share/man/man1/llamafmt.1.gz" >page 2>err || flunk "man page: $(show err)"
cmp -s page "$BUILD/llamafmt.1" || flunk "the packaged man page is not $BUILD/llamafmt.1"
# gzip -n: no name and no time stamp (header bytes 3-7: flags, mtime)
[ "$(od -An -tx1 -j3 -N5 "$TMP/x/usr/share/man/man1/llamafmt.1.gz" | tr -d ' ')" = 0000000000 ] ||
    flunk "the man page was not compressed with gzip -n"
gzip -dc "$TMP/x/usr/share/doc/llamafmt/changelog.gz" | head -1 >out
grep -qx "llamafmt ($version) unstable; urgency=medium" out || flunk "changelog: $(show out)"
cmp -s "$TMP/x/usr/share/doc/llamafmt/copyright" "$SRC/LICENSE" || flunk "copyright is not LICENSE"
if have groff; then
    groff -ww -man -Tutf8 -z page 2>err
    want_err_empty
fi
end

install_done deb
