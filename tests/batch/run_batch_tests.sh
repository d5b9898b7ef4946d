#!/usr/bin/env bash
# End-to-end tests of batch conversion: -r DIR... -O OUTDIR and friends.
#
# usage: run_batch_tests.sh LLAMAFMT_BIN
#
# Every case runs the binary in a private temporary directory (removed on
# exit) on one fixed tree of inputs:
#
#   data/a/al.json          alpaca array        data/a.jsonl      messages
#   data/a/b/mid.jsonl      ~3 MB generated     data/bad.jsonl    line 2 is bad
#   data/a/b/sg.json        sharegpt array      data/top.jsonl    pretty-printed stream
#   data/a/f.ndjson         flat JSONL          data/z/gz.jsonl.gz, data/z/zs.json.zst
#   data/link.jsonl -> ../extra/linked.jsonl    data/linkdir -> ../extra/dir (d.jsonl)
#   data/.hidden.jsonl, data/.cache/x.jsonl     data/notes.txt, data/README.md
#
# and checks the set of files written, their bytes (each output must equal
# the conversion of its input alone), exit statuses, stderr, and that no
# temporary file (.NAME.tmp-*) is ever left behind.  Order is the byte
# order of the names within each directory (walk.h), so data/a/ comes
# before data/a.jsonl.
#
# Needs bash, coreutils, gzip, zstd and python3 (or $PYTHON); GNU parallel
# and script(1) are used when installed.  Prints one line per failure, and
# finally exactly `batch: N passed, M failed`; exits 1 when M > 0 and 2 on
# a usage error.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
harness_args "$@"
for tool in gzip zstd cmp find stat; do
    if ! command -v "$tool" >/dev/null; then
        echo "${0##*/}: $tool is required" >&2
        exit 2
    fi
done

REPO=$(cd "$HERE/../.." && pwd)
GEN=$REPO/../shared/bench/gen_data.py

harness_tmp batch
bg_pid=
on_cleanup() {
    if [ -n "$bg_pid" ]; then
        kill "$bg_pid" 2>/dev/null
        wait "$bg_pid" 2>/dev/null
    fi
}

# ------------------------------------------------------------------ harness

want_err_match() {
    grep -Eq -- "$1" err || flunk "stderr does not match /$1/: $(show err)"
}

# outputs DIR: the data files under DIR, relative, sorted (the options stamp
# .llamafmt-options is not a data file)
outputs() {
    [ -d "$1" ] || return 0
    find "$1" \( -type f -o -type l \) ! -path "$1/.llamafmt-options" -printf '%P\n' | sort
}

# want_outputs DIR REL...: the data files under DIR are exactly REL...
want_outputs() {
    local dir=$1 want got
    shift
    want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
    got=$(outputs "$dir")
    if [ "$got" != "$want" ]; then
        flunk "files under $dir differ:
--- want: $(echo "$want" | tr '\n' ' ')
--- got:  $(echo "$got" | tr '\n' ' ')"
    fi
}

# want_no_tmp DIR: no temporary output (.NAME.tmp-*) anywhere under DIR
want_no_tmp() {
    local left
    [ -d "$1" ] || return 0
    left=$(find "$1" -name '.*.tmp-*' | head -5)
    [ -z "$left" ] || flunk "temporary files left behind: $left"
}

# decomp FILE: FILE's bytes, decompressed by its suffix
decomp() {
    case $1 in
    *.gz) gzip -dc -- "$1" ;;
    *.zst) zstd -dcq -- "$1" ;;
    *) cat -- "$1" ;;
    esac
}

# want_bytes FILE EXPECTED: FILE, decompressed by its suffix, equals EXPECTED
want_bytes() {
    if [ ! -f "$1" ]; then
        flunk "$1 missing"
    elif ! decomp "$1" 2>/dev/null | cmp -s - "$2"; then
        flunk "$1 differs from $2 (converted alone): $(decomp "$1" 2>&1 | head -c 200 | cat -v)"
    fi
}

# snap DIR: every data file under DIR with its inode and mtime (stat %Y.%y)
snap() {
    local p
    outputs "$1" | while IFS= read -r p; do
        printf '%s %s\n' "$p" "$(stat -c '%i %Y.%y' -- "$1/$p")"
    done
}

# changed SNAP1 SNAP2: the files whose inode or mtime differ, or that
# appeared or disappeared, one per line
changed() {
    diff "$1" "$2" | sed -n 's/^[<>] \([^ ]*\) .*/\1/p' | sort -u
}

want_changed() {
    local what=$1 got want
    got=$(changed "$2" "$3" | tr '\n' ' ')
    want=$4
    [ "$got" = "$want" ] || flunk "$what: files rewritten: [$got], want [$want]"
}

# ------------------------------------------------------------------ inputs

# gen_big SIZE_MB SEED OUT: realistic chat JSONL, with the benchmark
# generator when it is there, else a small stand-in
gen_big() {
    if [ -f "$GEN" ]; then
        "$PY" "$GEN" --format messages --size-mb "$1" --seed "$2" -o "$3" >/dev/null 2>&1 && return
    fi
    "$PY" - "$1" "$2" "$3" <<'EOF'
import json, random, sys
size, seed, out = float(sys.argv[1]) * 1e6, int(sys.argv[2]), sys.argv[3]
rnd = random.Random(seed)
words = "llama alpaca 라마 données café 🦙 token sample train assistant user".split()
n = 0
with open(out, "w", encoding="utf-8") as f:
    while n < size:
        msgs = [{"role": "system", "content": "Be helpful."}] if rnd.random() < 0.5 else []
        for _ in range(rnd.randint(1, 4)):
            for role in ("user", "assistant"):
                k = int(rnd.lognormvariate(4, 1.2)) + 1
                msgs.append({"role": role, "content": " ".join(rnd.choice(words) for _ in range(k))})
        line = json.dumps({"messages": msgs}, ensure_ascii=rnd.random() < 0.3) + "\n"
        f.write(line)
        n += len(line.encode())
EOF
}

mkdir -p src extra/dir data/a/b data/z data/.cache
cat >src/al.json <<'EOF'
[
  {"instruction": "Summarize the text.", "input": "Llamas are domesticated camelids.", "output": "Llamas are camelids."},
  {"instruction": "Give a colour.", "input": "", "output": "Red."},
  {"system": "You are terse.", "instruction": "And 3*3?", "output": "9", "history": [["What is 2*2?", "4"]]}
]
EOF
cat >src/sg.json <<'EOF'
[
  {"id": "sg-1", "system": "One sentence.", "conversations": [{"from": "human", "value": "Why is the sky blue?"}, {"from": "gpt", "value": "Rayleigh scattering."}]},
  {"id": "sg-2", "conversations": [{"from": "human", "value": "A prime?"}, {"from": "gpt", "value": "7"}]}
]
EOF
cat >src/f.ndjson <<'EOF'
{"system": "당신은 상냥한 챗봇입니다.", "user": "안녕?", "assistant": "안녕하세요!"}
{"user": "u", "assistant": "a"}
EOF
cat >src/a.jsonl <<'EOF'
{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
EOF
cat >src/bad.jsonl <<'EOF'
{"messages": [{"role": "user", "content": "one"}, {"role": "assistant", "content": "1"}]}
{"messages": [{"role": "gpt", "content": "two"}, {"role": "assistant", "content": "2"}]}
{"messages": [{"role": "user", "content": "three"}, {"role": "assistant", "content": "3"}]}
EOF
cat >src/top.jsonl <<'EOF'
{
  "messages": [
    {"role": "user", "content": "  pretty  "},
    {"role": "assistant", "content": "printed"}
  ]
}
{
  "messages": [{"role": "user", "content": "é😀"}, {"role": "assistant", "content": "ok"}]
}
EOF
cat >src/gz.jsonl <<'EOF'
{"messages": [{"role": "user", "content": "from a gzip file"}, {"role": "assistant", "content": "yes"}]}
{"messages": [{"role": "user", "content": "second"}, {"role": "assistant", "content": "record"}]}
EOF
cat >src/zs.json <<'EOF'
[{"user": "from a zstd array", "assistant": "yes"}, {"system": "s", "user": "u", "assistant": "a"}]
EOF
cat >src/linked.jsonl <<'EOF'
{"messages": [{"role": "user", "content": "linked file"}, {"role": "assistant", "content": "seen"}]}
EOF
cat >src/d.jsonl <<'EOF'
{"messages": [{"role": "user", "content": "linked dir"}, {"role": "assistant", "content": "seen"}]}
EOF
gen_big 3 5 src/mid.jsonl

cp src/al.json src/f.ndjson data/a/
cp src/sg.json src/mid.jsonl data/a/b/
cp src/a.jsonl src/bad.jsonl src/top.jsonl data/
gzip -9 -n -c src/gz.jsonl >data/z/gz.jsonl.gz
zstd -q -c src/zs.json >data/z/zs.json.zst
cp src/linked.jsonl extra/linked.jsonl
cp src/d.jsonl extra/dir/d.jsonl
ln -s ../extra/linked.jsonl data/link.jsonl
ln -s ../extra/dir data/linkdir
cp src/a.jsonl data/.hidden.jsonl
cp src/a.jsonl data/.cache/x.jsonl
echo "not data" >data/notes.txt
echo "# not data" >data/README.md
# the inputs are old, so that anything written now is newer than them
find data extra -exec touch -h -d '2 hours ago' {} +

# what each output holds: OUTPUT:SOURCE (the source converted alone)
MAP=(a/al.jsonl:al.json a/b/mid.jsonl:mid.jsonl a/b/sg.jsonl:sg.json a/f.jsonl:f.ndjson
    a.jsonl:a.jsonl bad.jsonl:bad.jsonl top.jsonl:top.jsonl z/gz.jsonl.gz:gz.jsonl z/zs.jsonl.zst:zs.json)
MAP_LINKS=(link.jsonl:linked.jsonl linkdir/d.jsonl:d.jsonl)
OUTS=("${MAP[@]%%:*}")
OUTS_LINKS=("${MAP_LINKS[@]%%:*}")
# the inputs in the documented order
ORDER=(a/al.json a/b/mid.jsonl a/b/sg.json a/f.ndjson a.jsonl bad.jsonl top.jsonl z/gz.jsonl.gz z/zs.json.zst)
# the outputs finished before data/bad.jsonl stops a run
MAP_BEFORE=("${MAP[@]:0:5}")
OUTS_BEFORE=("${MAP_BEFORE[@]%%:*}")

# all_outs: every output of MAP, sorted, space-separated (want_changed form)
all_outs() {
    printf '%s\n' "${OUTS[@]}" | sort | tr '\n' ' '
}

# empty_or_absent DIR: DIR does not exist or holds nothing
empty_or_absent() {
    [ ! -e "$1" ] || [ -z "$(find "$1" -mindepth 1 | head -1)" ]
}

# expect TAG FLAGS...: exp/TAG/SOURCE = each source converted alone, with
# --on-error=skip for the one with a bad record
expect() {
    local tag=$1 s
    shift
    mkdir -p "exp/$tag"
    for s in al.json mid.jsonl sg.json f.ndjson a.jsonl top.jsonl gz.jsonl zs.json linked.jsonl d.jsonl; do
        "$BIN" "$@" "src/$s" >"exp/$tag/$s" 2>/dev/null </dev/null
    done
    "$BIN" --on-error=skip -q "$@" src/bad.jsonl >"exp/$tag/bad.jsonl" 2>/dev/null </dev/null
}

# want_contents DIR TAG OUTPUT:SOURCE...: each OUTPUT under DIR equals its
# SOURCE converted alone (exp/TAG/SOURCE), compressed ones once decompressed
want_contents() {
    local dir=$1 tag=$2 m
    shift 2
    for m in "$@"; do
        want_bytes "$dir/${m%%:*}" "exp/$tag/${m#*:}"
    done
}

expect plain
expect meta -p meta

# ================================================================ the walk

begin "-r -O: the exact set of outputs"
lf -r data -O o --on-error=skip
want_status 0
want_out_empty
want_outputs o "${OUTS[@]}"
want_no_tmp o
[ -f o/.llamafmt-options ] || flunk "no options stamp o/.llamafmt-options"
# the one rejected record, in one summary line
[ "$(wc -l <err)" -eq 1 ] || flunk "stderr is not one summary line: $(show err)"
want_err_has "data/bad.jsonl:2:24:"
end

begin "-r -O: each output equals its input converted alone"
want_contents o plain "${MAP[@]}"
end

begin "-r -O: compressed inputs, compressed outputs"
[ "$(head -c 2 o/z/gz.jsonl.gz | od -An -tx1 | tr -d ' ')" = 1f8b ] || flunk "o/z/gz.jsonl.gz is not gzip"
[ "$(head -c 4 o/z/zs.jsonl.zst | od -An -tx1 | tr -d ' ')" = 28b52ffd ] || flunk "o/z/zs.jsonl.zst is not zstd"
"$BIN" data/z/gz.jsonl.gz </dev/null 2>/dev/null | cmp -s - exp/plain/gz.jsonl || flunk "llamafmt FILE.gz differs from the uncompressed input"
"$BIN" data/z/zs.json.zst </dev/null 2>/dev/null | cmp -s - exp/plain/zs.json || flunk "llamafmt FILE.zst differs from the uncompressed input"
gzip -t o/z/gz.jsonl.gz 2>/dev/null || flunk "o/z/gz.jsonl.gz fails gzip -t"
zstd -tq o/z/zs.jsonl.zst 2>/dev/null || flunk "o/z/zs.jsonl.zst fails zstd -t"
end

begin "--follow-symlinks includes the links"
lf -r data -O outl --on-error=skip --follow-symlinks
want_status 0
want_outputs outl "${OUTS[@]}" "${OUTS_LINKS[@]}"
want_contents outl plain "${MAP[@]}" "${MAP_LINKS[@]}"
want_no_tmp outl
end

begin "--follow-symlinks: a symlink loop ends"
mkdir -p loop/s
cp src/a.jsonl loop/s/a.jsonl
ln -s .. loop/s/up
ln -s . loop/self
timeout 60 "$BIN" -r loop -O loopo --follow-symlinks </dev/null >out 2>err
st=$?
[ "$st" -ne 124 ] || flunk "still walking after 60 s"
[ -f loopo/s/a.jsonl ] || flunk "loopo/s/a.jsonl missing (status $st: $(show err))"
want_no_tmp loopo
end

begin "a FIFO named *.jsonl is not read"
mkdir -p fifo
cp src/a.jsonl fifo/a.jsonl
if mkfifo fifo/p.jsonl 2>/dev/null; then
    timeout 30 "$BIN" -r fifo -O fifoo </dev/null >out 2>err
    st=$?
    [ "$st" -ne 124 ] || flunk "blocked on the FIFO"
    want_status 0
    want_outputs fifoo a.jsonl
else
    flunk "mkfifo failed"
fi
end

begin "--stats: one line per file in order, then totals"
lf -r data -O outs --on-error=skip --stats
want_status 0
prev=0
for i in "${ORDER[@]}"; do
    n=$(grep -nF -- "data/$i -> " err | head -1 | cut -d: -f1)
    if [ -z "$n" ]; then
        flunk "no --stats line for data/$i: $(show err)"
    elif [ "$n" -le "$prev" ]; then
        flunk "--stats line of data/$i out of order"
    else
        prev=$n
    fi
done
n=$(grep -n '^files: ' err | head -1 | cut -d: -f1)
if [ -z "$n" ] || [ "$n" -le "$prev" ]; then
    flunk "no totals after the per-file lines: $(show err)"
fi
grep -q '^files: 9$' err || flunk "totals do not count 9 files: $(grep '^files' err)"
grep -q '^records rejected: 1$' err || flunk "totals do not count 1 rejected record"
end

begin "files named directly keep their base name"
lf data/a/al.json data/z/gz.jsonl.gz -O outn
want_status 0
want_outputs outn al.jsonl gz.jsonl.gz
want_contents outn plain al.jsonl:al.json gz.jsonl.gz:gz.jsonl
end

begin "-t text writes .txt outputs"
lf -r data -O outt -t text --on-error=skip -q
want_status 0
want_outputs outt a/al.txt a/b/mid.txt a/b/sg.txt a/f.txt a.txt bad.txt top.txt z/gz.txt.gz z/zs.txt.zst
"$BIN" -t text src/sg.json </dev/null 2>/dev/null >exp.sg.txt
want_bytes outt/a/b/sg.txt exp.sg.txt
end

# ========================================================== error policy

begin "--on-error=fail: the bad record stops the run"
lf -r data -O outf
want_status 1
want_out_empty
want_err_has "data/bad.jsonl:2:24:"
want_err_has "unknown role"
# the files before it are finished, the bad one and the rest are not written
want_outputs outf "${OUTS_BEFORE[@]}"
want_no_tmp outf
want_contents outf plain "${MAP_BEFORE[@]}"
end

begin "--on-error=fail with -j 4: the same"
lf -r data -O outf4 -j 4
want_status 1
want_err_has "data/bad.jsonl:2:24:"
want_outputs outf4 "${OUTS_BEFORE[@]}"
want_no_tmp outf4
end

begin "--on-error=skip: every other file converts"
lf -r data -O outk --on-error=skip -j 4
want_status 0
want_outputs outk "${OUTS[@]}"
want_contents outk plain "${MAP[@]}"
[ "$(wc -l <outk/bad.jsonl)" -eq 2 ] || flunk "outk/bad.jsonl does not hold the 2 good records"
want_err_match "^llamafmt: 1 record rejected"
end

# corrupt compressed inputs: a truncated gzip stream, and garbage named .gz/.zst
mkdir -p cor
cp src/a.jsonl cor/a.jsonl
cp src/top.jsonl cor/c.jsonl
"$PY" - <<'EOF'
import gzip, os
data = open("src/mid.jsonl", "rb").read()[:200000]
z = gzip.compress(data, mtime=0)
open("cor/b.jsonl.gz", "wb").write(z[: len(z) // 2])
open("cor/d.json.gz", "wb").write(b"this is not gzip at all\n")
open("cor/e.jsonl.zst", "wb").write(b"\x28\xb5\x2f\xfd" + os.urandom(64))
EOF

begin "a corrupt .gz input: exit 3 and a clear message"
lf -r cor -O coro
want_status 3
want_err_has "cor/b.jsonl.gz"
want_err_match "corrupt|truncated|compress|gzip"
want_no_tmp coro
[ ! -e coro/b.jsonl.gz ] || flunk "partial output coro/b.jsonl.gz left"
[ ! -e coro/c.jsonl ] || flunk "coro/c.jsonl converted after the failure"
end

begin "a corrupt .gz input under --on-error=skip: the others convert"
lf -r cor -O corok --on-error=skip
want_status 3
want_outputs corok a.jsonl c.jsonl
want_contents corok plain a.jsonl:a.jsonl c.jsonl:top.jsonl
want_no_tmp corok
want_err_has "cor/b.jsonl.gz"
want_err_has "cor/d.json.gz"
want_err_has "cor/e.jsonl.zst"
want_err_match "could not"
end

# ================================================================ --update

begin "--update: a second run rewrites nothing"
lf -r data -O upd --on-error=skip
want_status 0
snap upd >upd.1
lf -r data -O upd --on-error=skip --update
want_status 0
snap upd >upd.2
want_changed "second run" upd.1 upd.2 ""
want_no_tmp upd
end

begin "--update: the options stamp is not rewritten when it holds the same options"
stamp1=$(stat -c '%i %Y.%y' upd/.llamafmt-options 2>&1)
lf -r data -O upd --on-error=skip --update
want_status 0
stamp2=$(stat -c '%i %Y.%y' upd/.llamafmt-options 2>&1)
[ "$stamp1" = "$stamp2" ] || flunk "upd/.llamafmt-options rewritten by a run that changed nothing: $stamp1 -> $stamp2"
end

begin "--update: touching one input rewrites exactly its output"
snap upd >upd.1
touch data/a/f.ndjson
lf -r data -O upd --on-error=skip --update
want_status 0
snap upd >upd.2
want_changed "after touching data/a/f.ndjson" upd.1 upd.2 "a/f.jsonl "
want_contents upd plain "${MAP[@]}"
want_no_tmp upd
end

begin "--update: a deleted output is made again, alone"
rm -f upd/top.jsonl
snap upd >upd.1
lf -r data -O upd --on-error=skip --update
want_status 0
snap upd >upd.2
want_changed "after deleting upd/top.jsonl" upd.1 upd.2 "top.jsonl "
want_bytes upd/top.jsonl exp/plain/top.jsonl
end

begin "--update with another output option (-p meta) rewrites all"
snap upd >upd.1
lf -r data -O upd --on-error=skip --update -p meta
want_status 0
snap upd >upd.2
want_changed "-p meta" upd.1 upd.2 "$(all_outs)"
want_contents upd meta "${MAP[@]}"
# and back again
lf -r data -O upd --on-error=skip --update
want_contents upd plain "${MAP[@]}"
end

begin "--update after a failed run with other options rewrites what that run wrote"
# all outputs made with -p meta, then a default (official) run that stops at
# data/bad.jsonl after rewriting the files before it: a later -p meta run
# must not take those official outputs for up to date
lf -r data -O upf --on-error=skip -p meta
want_status 0
lf -r data -O upf --update
want_status 1
lf -r data -O upf --on-error=skip --update -p meta
want_status 0
want_contents upf meta "${MAP[@]}"
end

begin "--update notices a changed --tools file"
mkdir -p tl
cp src/a.jsonl tl/a.jsonl
touch -d '2 hours ago' tl/a.jsonl
echo '[{"type": "function", "function": {"name": "alpha", "parameters": {}}}]' >tools.json
lf -r tl -O tlo --tools tools.json
want_status 0
echo '[{"type": "function", "function": {"name": "beta", "parameters": {}}}]' >tools.json
lf -r tl -O tlo --tools tools.json --update
want_status 0
"$BIN" --tools tools.json tl/a.jsonl </dev/null 2>/dev/null >exp.tools
want_bytes tlo/a.jsonl exp.tools
end

# ============================================================ --force

begin "an existing output is refused without --force or --update"
rm -f upd/a.jsonl
snap upd >upd.1
lf -r data -O upd --on-error=skip
want_status 2
want_err_match "exists"
want_err_has "--force"
snap upd >upd.2
want_changed "refused run" upd.1 upd.2 ""
[ ! -e upd/a.jsonl ] || flunk "upd/a.jsonl written by a refused run"
want_no_tmp upd
end

begin "--force overwrites every output"
snap upd >upd.1
lf -r data -O upd --on-error=skip --force
want_status 0
snap upd >upd.2
want_changed "--force" upd.1 upd.2 "$(all_outs)"
want_contents upd plain "${MAP[@]}"
want_no_tmp upd
end

# ============================================================ threads

begin "-j 1 and -j 4 give the same files"
lf -r data -O j1 -j 1 --on-error=skip --follow-symlinks
want_status 0
lf -r data -O j4 -j 4 --on-error=skip --follow-symlinks
want_status 0
if [ "$(outputs j1)" != "$(outputs j4)" ]; then
    flunk "different files: $(outputs j1 | tr '\n' ' ') / $(outputs j4 | tr '\n' ' ')"
fi
for f in $(outputs j1); do
    cmp -s "j1/$f" "j4/$f" || flunk "$f differs between -j 1 and -j 4"
done
end

# ===================================================== refused before writing

mkdir -p col
cp src/a.jsonl col/0first.jsonl
cp src/a.jsonl col/a.json
cp src/a.jsonl col/a.jsonl
cp src/a.jsonl col/b.jsonl

begin "a collision (a.json and a.jsonl) is refused before anything is written"
lf -r col -O colo
want_status 2
want_err_has "col/a.json"
want_err_has "col/a.jsonl"
empty_or_absent colo || flunk "colo not empty: $(find colo | tr '\n' ' ')"
mkdir -p colo2
lf -r col -O colo2 --force
want_status 2
empty_or_absent colo2 || flunk "colo2 not empty: $(find colo2 | tr '\n' ' ')"
end

begin "two directories writing one output are refused"
mkdir -p d1 d2
cp src/a.jsonl d1/x.jsonl
cp src/top.jsonl d2/x.ndjson
cp src/a.jsonl d1/0.jsonl
lf -r d1 d2 -O dd
want_status 2
want_err_has "dd/x.jsonl"
empty_or_absent dd || flunk "dd not empty: $(find dd | tr '\n' ' ')"
end

begin "a path with '..' is refused"
lf -r data/../data -O dotdot
want_status 2
want_err_has ".."
empty_or_absent dotdot || flunk "dotdot not empty: $(find dotdot | tr '\n' ' ')"
end

begin "an empty directory converts to nothing"
mkdir -p empty nodata
echo "x" >nodata/readme.txt
lf -r empty -O emptyo
want_status 0
want_outputs emptyo
lf -r nodata -O nodatao
want_status 0
want_outputs nodatao
lf -r empty
want_status 0
want_out_empty
end

# ================================================================ stdout

begin "-r without -O writes every file to stdout in order"
: >cat.exp
for m in al.json mid.jsonl sg.json f.ndjson a.jsonl bad.jsonl top.jsonl gz.jsonl zs.json; do
    cat "exp/plain/$m" >>cat.exp
done
lf -r data --on-error=skip
want_status 0
cmp -s out cat.exp || flunk "stdout is not the files converted one by one, in order"
end

begin "-r with -o FILE.zst: one compressed output"
lf -r data --on-error=skip -q -o all.jsonl.zst
want_status 0
want_bytes all.jsonl.zst cat.exp
end

# ============================================================= --compress

begin "--compress=zst makes .zst outputs"
lf -r data -O cz --compress=zst --on-error=skip -q
want_status 0
want_outputs cz a/al.jsonl.zst a/b/mid.jsonl.zst a/b/sg.jsonl.zst a/f.jsonl.zst a.jsonl.zst bad.jsonl.zst top.jsonl.zst z/gz.jsonl.zst z/zs.jsonl.zst
want_contents cz plain a/al.jsonl.zst:al.json a/b/mid.jsonl.zst:mid.jsonl bad.jsonl.zst:bad.jsonl z/gz.jsonl.zst:gz.jsonl z/zs.jsonl.zst:zs.json
end

begin "--compress=gz and --compress=none"
lf -r data -O cg --compress=gz --on-error=skip -q
want_status 0
want_outputs cg a/al.jsonl.gz a/b/mid.jsonl.gz a/b/sg.jsonl.gz a/f.jsonl.gz a.jsonl.gz bad.jsonl.gz top.jsonl.gz z/gz.jsonl.gz z/zs.jsonl.gz
want_contents cg plain a/f.jsonl.gz:f.ndjson z/zs.jsonl.gz:zs.json
lf -r data -O cn --compress=none --on-error=skip -q
want_status 0
want_outputs cn a/al.jsonl a/b/mid.jsonl a/b/sg.jsonl a/f.jsonl a.jsonl bad.jsonl top.jsonl z/gz.jsonl z/zs.jsonl
want_contents cn plain z/gz.jsonl:gz.jsonl z/zs.jsonl:zs.json
end

# ============================================================= progress

mkdir -p good
cp src/al.json src/sg.json src/a.jsonl good/

begin "--progress writes \\r-updated progress on stderr"
lf -r good -O prog --progress
want_status 0
want_out_empty
grep -q $'\r' err || flunk "no \\r in stderr: $(show err)"
want_err_has "files"
want_outputs prog al.jsonl sg.jsonl a.jsonl
# with stdout as the output, progress stays out of it
"$BIN" -r data --on-error=skip -q --progress </dev/null >out 2>err
cmp -s out cat.exp || flunk "--progress changed stdout"
end

begin "--no-progress writes nothing extra"
lf -r good -O noprog --no-progress
want_status 0
want_err_empty
lf -r data -O noprog2 --no-progress --on-error=skip
cp err err.noprog
lf -r data -O noprog3 --on-error=skip
cmp -s err err.noprog || flunk "stderr differs from a run without progress: $(show err.noprog)"
end

begin "progress by default only on a terminal"
lf -r good -O deftty
want_err_empty
if command -v script >/dev/null && script -q -e -c true /dev/null </dev/null >/dev/null 2>&1; then
    script -q -e -c "$(printf '%q ' "$BIN" -r good -O tty1)" /dev/null </dev/null >tty.out 2>&1
    grep -q $'\r' tty.out || flunk "no progress on a terminal: $(show tty.out)"
    script -q -e -c "$(printf '%q ' "$BIN" -r good -O tty2 --no-progress)" /dev/null </dev/null >tty.out 2>&1
    ! grep -q $'\r' tty.out || flunk "progress on a terminal despite --no-progress: $(show tty.out)"
    want_outputs tty1 al.jsonl sg.jsonl a.jsonl
else
    echo "  (script(1) cannot open a terminal here: only the non-terminal half was checked)"
fi
end

# =========================================================== GNU parallel

if command -v parallel >/dev/null && parallel --will-cite --version >/dev/null 2>&1; then
    begin "parallel --pipe --keep-order -N 100 = one run"
    "$BIN" src/mid.jsonl </dev/null >par.one 2>/dev/null
    parallel --will-cite --pipe --keep-order -N 100 "$BIN" <src/mid.jsonl >par.out 2>par.err
    st=$?
    [ "$st" -eq 0 ] || flunk "parallel exit status $st: $(show par.err)"
    cmp -s par.out par.one || flunk "output differs from a single run"
    cat src/mid.jsonl data/a.jsonl src/gz.jsonl src/f.ndjson >par.in
    "$BIN" par.in </dev/null >par.one 2>/dev/null
    parallel --will-cite --pipe --keep-order --block 256k "$BIN" <par.in >par.out 2>par.err
    cmp -s par.out par.one || flunk "--block 256k: output differs from a single run"
    end
else
    skip "parallel --pipe" "GNU parallel is not installed"
fi

# ================================================================ SIGINT

begin "SIGINT in the middle of a big batch"
mkdir -p big
for s in 1 2 3; do
    gen_big 30 "$s" "src/big$s.jsonl"
    "$BIN" "src/big$s.jsonl" </dev/null >"exp/big$s" 2>/dev/null
done
for i in 1 2 3 4 5 6 7 8 9; do
    ln "src/big$(((i - 1) % 3 + 1)).jsonl" "big/b$i.jsonl"
done
# started with SIGINT at its default (a background job of a script has it
# ignored), so that the signal reaches llamafmt as it would from a terminal
"$PY" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$BIN" -r big -O bigo </dev/null >out 2>err &
bg_pid=$!
for ((i = 0; i < 1200; i++)); do
    [ -e bigo/b1.jsonl ] && break
    kill -0 "$bg_pid" 2>/dev/null || break
    sleep 0.05
done
kill -INT "$bg_pid" 2>/dev/null
wait "$bg_pid"
st=$?
bg_pid=
want_status 130
want_no_tmp bigo
n=0
for i in 1 2 3 4 5 6 7 8 9; do
    if [ -e "bigo/b$i.jsonl" ]; then
        n=$((n + 1))
        cmp -s "bigo/b$i.jsonl" "exp/big$(((i - 1) % 3 + 1))" || flunk "bigo/b$i.jsonl is partial"
    fi
done
[ "$n" -lt 9 ] || flunk "every file was finished: the signal came after the run"
[ -z "$(find bigo -type f ! -name 'b*.jsonl' ! -name .llamafmt-options 2>/dev/null)" ] ||
    flunk "stray files: $(find bigo -type f | tr '\n' ' ')"
end

# ================================================================= summary

harness_done batch
