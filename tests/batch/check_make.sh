#!/usr/bin/env bash
# The examples/Makefile data-preparation step, run as a user would.
#
# usage: check_make.sh LLAMAFMT_BIN
#
# Copies examples/Makefile, examples/raw/ and examples/raw-bad/ into a
# temporary directory (removed on exit) and runs `make -C examples
# LLAMAFMT=BIN` there: the converted files and the train/validation split
# must be right, a second make must do nothing, touching one raw file must
# convert only that file again, new flags must convert everything again, and
# `make bad` must fail naming the bad record as FILE:LINE:COLUMN.
#
# Needs bash, GNU make, coreutils and python3 (or $PYTHON).  Prints one line
# per failure, and finally exactly `make: N passed, M failed`; exits 1 when
# M > 0 and 2 on a usage error.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
harness_args "$@"

REPO=$(cd "$HERE/../.." && pwd)

harness_tmp make
unset MAKEFLAGS MFLAGS MAKELEVEL

mkdir examples
cp -R "$REPO/examples/Makefile" "$REPO/examples/raw" "$REPO/examples/raw-bad" examples/ || exit 2
EX=$TMP/examples
# the raw files are old, so that anything written now is newer than them
find "$EX/raw" "$EX/raw-bad" -exec touch -d '2 hours ago' {} +

# ------------------------------------------------------------------ harness

show() {
    head -c 800 "$1" | cat -v
}

# mk ARGS...: make -C examples LLAMAFMT=BIN ARGS...; stdout -> out,
# stderr -> err, status -> $st
mk() {
    make -C "$EX" LLAMAFMT="$BIN" "$@" </dev/null >out 2>err
    st=$?
}

want_status() {
    [ "$st" -eq "$1" ] || flunk "make exit status $st, want $1; stderr: $(show err)"
}

# snap DIR: every file under DIR with its inode and mtime (stat %Y.%y),
# llamafmt's own options stamp left out
snap() {
    local p
    find "$1" -type f ! -name .llamafmt-options -printf '%P\n' | sort | while IFS= read -r p; do
        printf '%s %s\n' "$p" "$(stat -c '%i %Y.%y' -- "$1/$p")"
    done
}

# changed SNAP1 SNAP2: files rewritten, added or removed, space-separated
changed() {
    diff "$1" "$2" | sed -n 's/^[<>] \([^ ]*\) .*/\1/p' | sort -u | tr '\n' ' '
}

# raw_files: the raw data files, relative to raw/, in the Makefile's order
raw_files() {
    (cd "$EX/raw" && find . -type f \( -name '*.jsonl' -o -name '*.json' -o -name '*.ndjson' \) ! -path '*/.*' |
        sed 's|^\./||' | sort)
}

# converted REL: raw/REL's converted file, relative to build/train
converted() {
    printf '%s.jsonl\n' "${1%.*}"
}

# want_converted FLAGS...: build/train holds exactly one file per raw file,
# each equal to that raw file converted alone with FLAGS
want_converted() {
    local rel want got
    want=$(raw_files | while IFS= read -r rel; do converted "$rel"; done | sort)
    got=$(cd "$EX/build/train" 2>/dev/null && find . -type f ! -name .llamafmt-options | sed 's|^\./||' | sort)
    [ "$got" = "$want" ] || flunk "build/train holds [$(echo "$got" | tr '\n' ' ')], want [$(echo "$want" | tr '\n' ' ')]"
    while IFS= read -r rel; do
        "$BIN" "$@" "$EX/raw/$rel" </dev/null >want.conv 2>/dev/null
        cmp -s want.conv "$EX/build/train/$(converted "$rel")" ||
            flunk "build/train/$(converted "$rel") is not raw/$rel converted with [$*]"
    done < <(raw_files)
}

# want_split: build/train.jsonl and build/val.jsonl are the converted files
# in order, every 10th line to validation
want_split() {
    local rel
    : >all.jsonl
    while IFS= read -r rel; do
        cat "$EX/build/train/$(converted "$rel")" >>all.jsonl
    done < <(raw_files)
    "$PY" - all.jsonl <<'EOF'
import sys
lines = open(sys.argv[1], "rb").read().splitlines(keepends=True)
open("want.train", "wb").write(b"".join(l for i, l in enumerate(lines) if (i + 1) % 10 != 0))
open("want.val", "wb").write(b"".join(l for i, l in enumerate(lines) if (i + 1) % 10 == 0))
EOF
    cmp -s want.train "$EX/build/train.jsonl" || flunk "build/train.jsonl is not the expected split"
    cmp -s want.val "$EX/build/val.jsonl" || flunk "build/val.jsonl is not the expected split"
    [ -s want.val ] || flunk "the validation split is empty"
}

# want_no_llamafmt: make ran no llamafmt
want_no_llamafmt() {
    ! grep -Fq -- "$BIN" out || flunk "llamafmt was run: $(show out)"
}

# ================================================================= cases

begin "make converts raw/ and splits it"
mk
want_status 0
grep -Fq -- "$BIN -r raw -O build/train --update" out || flunk "no llamafmt -r ... --update run: $(show out)"
want_converted
want_split
[ -z "$(find "$EX/build" -name '.*.tmp-*' -o -name '*.tmp')" ] || flunk "temporary files left in build/"
end

begin "a second make does nothing"
snap "$EX/build" >s1
mk
want_status 0
grep -q "Nothing to be done" out || flunk "make did something: $(show out)"
want_no_llamafmt
snap "$EX/build" >s2
[ -z "$(changed s1 s2)" ] || flunk "files rewritten: $(changed s1 s2)"
make -q -C "$EX" LLAMAFMT="$BIN" </dev/null >/dev/null 2>&1 || flunk "make -q says the outputs are out of date"
end

begin "touching one raw file converts only it again"
snap "$EX/build/train" >s1
touch "$EX/raw/instruct/guide.ndjson"
mk
want_status 0
grep -Fq -- "$BIN -r raw -O build/train --update" out || flunk "llamafmt was not run: $(show out)"
snap "$EX/build/train" >s2
got=$(changed s1 s2)
[ "$got" = "instruct/guide.jsonl " ] || flunk "build/train files rewritten: [$got], want [instruct/guide.jsonl ]"
want_converted
want_split
end

begin "make check passes"
mk check
want_status 0
grep -q "^check: ok" out || flunk "no 'check: ok' line: $(show out)"
end

begin "make bad fails at the bad record"
mk bad
[ "$st" -ne 0 ] || flunk "make bad succeeded"
grep -Eq 'raw-bad/scraped\.jsonl:3:[0-9]+: ' err || flunk "stderr lacks raw-bad/scraped.jsonl:3:COL: $(show err)"
grep -q 'raw-bad/scraped\.jsonl:3:24: messages\[0\]\.role: unknown role "human"' err ||
    flunk "not the expected message: $(show err)"
[ ! -e "$EX/build/bad/scraped.jsonl" ] || flunk "partial build/bad/scraped.jsonl left"
[ -z "$(find "$EX/build/bad" -name '.*.tmp-*' 2>/dev/null)" ] || flunk "temporary files left in build/bad"
end

begin "new LLAMAFMT_FLAGS convert everything again"
snap "$EX/build/train" >s1
mk LLAMAFMT_FLAGS='-p meta'
want_status 0
snap "$EX/build/train" >s2
want=$(raw_files | while IFS= read -r rel; do converted "$rel"; done | sort | tr '\n' ' ')
[ "$(changed s1 s2)" = "$want" ] || flunk "rewritten: [$(changed s1 s2)], want [$want]"
want_converted -p meta
want_split
# and the same flags again: nothing to do
mk LLAMAFMT_FLAGS='-p meta'
want_no_llamafmt
end

begin "removing a raw file drops its samples"
mk
want_status 0
rm "$EX/raw/chat/forum.json"
mk
want_status 0
want_split
grep -q 'Why do cats purr' "$EX/build/train.jsonl" "$EX/build/val.jsonl" && flunk "samples of the removed file still in the split"
end

begin "make clean"
mk clean
want_status 0
[ ! -e "$EX/build" ] || flunk "build/ still there"
end

# ================================================================= summary

harness_done make
