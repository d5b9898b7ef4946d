#!/usr/bin/env bash
# The manual page: it renders without a single warning, it carries the
# project's version, and it documents every option `llamafmt --help` lists,
# so that the page cannot fall behind the program.
#
# usage: check_man.sh LLAMAFMT_BIN MAN_PAGE
#   MAN_PAGE is the configured page (build/llamafmt.1).
#
# Needs groff (skipped without it, exit 77; required when CI=true); the
# man(1) case needs man-db.  Prints one line per failure and finally
# `man: N passed, M failed`.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
# shellcheck source=SCRIPTDIR/common.sh
. "$HERE/common.sh"

if [ "$#" -ne 2 ]; then
    echo "usage: ${0##*/} LLAMAFMT_BIN MAN_PAGE" >&2
    exit 2
fi
harness_args "$1"
case $2 in
/*) PAGE=$2 ;;
*) PAGE=$PWD/$2 ;;
esac
[ -f "$PAGE" ] || { echo "${0##*/}: no man page at $PAGE" >&2; exit 2; }
need groff
harness_tmp man

help_long_options >help-long
help_short_options >help-short
[ -s help-long ] && [ -s help-short ] || { echo "${0##*/}: no options found in --help" >&2; exit 2; }

# ---------------------------------------------------------------- rendering

# groff -ww: every warning on.  At the usual width and at a narrow one
# (long option names and examples must still fit or break cleanly).
for dev in utf8 ascii; do
    for width in '' -rLL=60n; do
        begin "groff -ww -man -T$dev ${width:-(default width)}"
        groff -ww -man -T"$dev" $width -z "$PAGE" >/dev/null 2>err
        st=$?
        want_status 0
        want_err_empty
        end
    done
done

if with man -- "man --warnings -l renders it cleanly"; then
    begin "man --warnings -l renders it cleanly"
    MANPAGER=cat MANWIDTH=80 man --warnings -l "$PAGE" >out 2>err
    st=$?
    want_status 0
    want_err_empty
    grep -q 'EXIT STATUS' out || flunk "man did not render the page: $(show out)"
    end
fi

# -Tascii without overstriking: the text as a reader sees it
groff -man -Tascii -P-c -P-b -P-u -P-o "$PAGE" >page.txt 2>/dev/null

begin "the rendered page has no hyphenated words"
# a word broken at a line end ("assist-" / "ant") is not copyable
# (the examples may end a line with "-": shards/train-)
if sed '/^EXAMPLES/,/^SEE ALSO/d' page.txt | grep -nE '[a-z]-$' >hy; then
    flunk "hyphenated line ends: $(head -5 hy)"
fi
end

# ---------------------------------------------------------------- contents

begin ".TH carries the version of the program"
version=$("$BIN" --version | sed -n 's/^llamafmt \([^ ]*\).*/\1/p')
th=$(grep -m1 '^\.TH ' "$PAGE")
[ -n "$version" ] || flunk "no version in: $("$BIN" --version)"
case $th in
*"\"llamafmt $version\""*) ;;
*) flunk "the .TH line does not say \"llamafmt $version\": $th" ;;
esac
grep -q '@[A-Za-z_]*@' "$PAGE" && flunk "unconfigured @VARIABLE@ left: $(grep -m1 '@[A-Za-z_]*@' "$PAGE")"
end

begin "the sections are there, in order"
want_sections=(NAME SYNOPSIS DESCRIPTION "INPUT SHAPES" PROFILES OPTIONS "OUTPUT FORMATS" TOKENS MODES
    "DATASET HYGIENE" BATCHES "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO")
got=$(sed -n 's/^\.SH "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$PAGE" | paste -sd '|')
want=$(printf '%s\n' "${want_sections[@]}" | paste -sd '|')
[ "$got" = "$want" ] || flunk "sections are
  $got
want
  $want"
end

begin "the option groups of --help are subsections of OPTIONS"
# "Input:", "Tool calling (record keys win over these):" ... in --help
"$BIN" --help | sed -n 's/^\([A-Z][A-Za-z ]*\)\( (.*)\)\{0,1\}:$/\1/p' |
    grep -vE '^(Usage|Examples|Exit status)' >groups
[ -s groups ] || flunk "no option groups found in --help"
while IFS= read -r g; do
    grep -qxF ".SS $g" "$PAGE" || flunk "no .SS $g"
done <groups
end

# The option entries: the tag line after each .TP of OPTIONS, with \- turned
# into -.
awk '/^\.SH/ { in_opts = ($0 ~ /^\.SH OPTIONS/) }
     tag { print; tag = 0 }
     in_opts && /^\.TP/ { tag = 1 }' "$PAGE" | sed 's/\\-/-/g' >tags
grep -oE -- '--[a-z][a-z0-9-]*' tags | LC_ALL=C sort -u >tag-long
grep -oE -- '(^|[^-a-z])-[A-Za-z0-9]([^a-z0-9-]|$)' tags | grep -oE -- '-[A-Za-z0-9]' | LC_ALL=C sort -u >tag-short

begin "every long option of --help has an entry"
missing=$(LC_ALL=C comm -23 help-long tag-long | paste -sd ' ')
[ -z "$missing" ] || flunk "not documented: $missing"
end

begin "every short option of --help has an entry"
missing=$(LC_ALL=C comm -23 help-short tag-short | paste -sd ' ')
[ -z "$missing" ] || flunk "not documented: $missing"
end

begin "every option entry is an option of --help"
# --colour is --color's other spelling, which --help does not list
extra=$(LC_ALL=C comm -13 help-long tag-long | grep -vx -- '--colour' | paste -sd ' ')
[ -z "$extra" ] || flunk "entries for options --help does not know: $extra"
extra=$(LC_ALL=C comm -13 help-short tag-short | paste -sd ' ')
[ -z "$extra" ] || flunk "entries for short options --help does not know: $extra"
end

begin "every long option shows in the rendered text"
while IFS= read -r o; do
    grep -qE -- "$o([^a-z0-9-]|\$)" page.txt || flunk "$o does not appear in the rendered page"
done <help-long
end

begin "the enumerated values of --help are documented"
# each word of a "fail (default): ...; skip: ..." style list in --help must
# appear in the entry of its option
for spec in from:auto,messages,sharegpt,alpaca,flat profile:official,meta,guide \
    to:jsonl,text,prompt-completion,segments,messages,tokens special-tokens:error,strip,allow \
    tools-in:user,system train-on:assistant,last,all on-error:fail,skip stats:text,json \
    compress:none,gz,zst overlong:drop,drop-turns,truncate,error count-tokens:per-sample,total \
    color:auto,always,never; do
    opt=${spec%%:*}
    entry=$(awk -v o="--$opt" '
        /^\.SH/ { in_opts = ($0 ~ /^\.SH OPTIONS/) }
        !in_opts { next }
        /^\.(TP|SS)/ { if (on) exit; tag = ($0 ~ /^\.TP/); next }
        tag { t = $0; gsub(/\\-/, "-", t); if (index(t, o "=") || index(t, o "\\f") || index(t, o "[") || t ~ o "$") on = 1; tag = 0 }
        on { print }' "$PAGE" | sed 's/\\-/-/g')
    [ -n "$entry" ] || { flunk "no entry for --$opt"; continue; }
    IFS=, read -ra vals <<<"${spec#*:}"
    for v in "${vals[@]}"; do
        "$BIN" --help | grep -qF -- "$v" || flunk "--help no longer mentions \"$v\" (update this test)"
        printf '%s\n' "$entry" | grep -qE -- "(^|[^a-z0-9_-])$v([^a-z0-9_-]|\$)" ||
            flunk "--$opt: value $v not in its entry"
    done
done
end

begin "EXIT STATUS lists 0, 1, 2, 3 and death by a signal"
st_sect=$(sed -n '/^EXIT STATUS/,/^[A-Z]/p' page.txt)
for code in 0 1 2 3 128+n; do
    printf '%s\n' "$st_sect" | grep -qE "^ +${code/+/\\+}( |\$)" || flunk "exit status $code not listed"
done
"$BIN" --help | grep -q '0 success; 1 bad input data; 2 usage error; 3 I/O or system error' ||
    flunk "--help's exit statuses changed; check EXIT STATUS"
end

begin "ENVIRONMENT names NO_COLOR"
sed -n '/^ENVIRONMENT/,/^[A-Z]/p' page.txt | grep -q NO_COLOR || flunk "NO_COLOR not in ENVIRONMENT"
end

begin "every llamafmt command of EXAMPLES is a valid command line"
# Each "llamafmt ARGS" (up to a pipe or a redirection, continuation lines
# joined) is parsed by the program itself: ARGS --version parses every
# option and checks how they combine, then prints the version without
# reading any file.  A renamed option or a bad combination fails here.
sed -n '/^EXAMPLES/,/^SEE ALSO/p' page.txt | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' |
    grep -oE 'llamafmt( [^|<>]*)?' | sed 's/ *$//' >examples
n=$(wc -l <examples)
[ "$n" -ge 10 ] || flunk "only $n llamafmt commands found in EXAMPLES"
while IFS= read -r cmd; do
    read -ra args <<<"${cmd#llamafmt}"
    "$BIN" "${args[@]}" --version >out 2>err
    st=$?
    [ "$st" -eq 0 ] && grep -q '^llamafmt ' out ||
        flunk "'$cmd' is not a valid command line (status $st): $(show err)"
done <examples
end

install_done man
