#!/usr/bin/env bash
# The shell completions: completions/llamafmt.bash and completions/_llamafmt.
#
# usage: check_completion.sh LLAMAFMT_BIN BASH_COMPLETION ZSH_COMPLETION
#
# bash: the script is sourced by a plain non-interactive bash (no
# bash-completion, no rc files), `complete -p llamafmt` must name its
# function, and the function is called the way readline calls it
# (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT), split at '=' as readline
# splits with the default COMP_WORDBREAKS, and also without that split.
# Every long and short option of `llamafmt --help` must be offered, nothing
# else; every value offered for an option must be accepted by llamafmt.
# Then a real interactive bash on a pseudo-terminal (complete_pty.py) is
# asked to complete a few lines with TAB.
#
# zsh: `zsh -n` parses the script, every option of --help has a spec in it,
# compinit binds it to llamafmt, and a real interactive zsh completes a few
# lines with it.  Without zsh those cases are skipped (exit 77 at the end);
# in CI (CI=true) zsh is required.
#
# Prints one line per failure and finally `completion: N passed, M failed`.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../lib/harness.sh
. "$HERE/../lib/harness.sh"
# shellcheck source=SCRIPTDIR/common.sh
. "$HERE/common.sh"

if [ "$#" -ne 3 ]; then
    echo "usage: ${0##*/} LLAMAFMT_BIN BASH_COMPLETION ZSH_COMPLETION" >&2
    exit 2
fi
harness_args "$1"
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
BASH_COMP=$(abs "$2")
ZSH_COMP=$(abs "$3")
for f in "$BASH_COMP" "$ZSH_COMP"; do
    [ -f "$f" ] || { echo "${0##*/}: no such file: $f" >&2; exit 2; }
done
harness_tmp completion

help_long_options >help-long
help_short_options >help-short
[ -s help-long ] && [ -s help-short ] || { echo "${0##*/}: no options found in --help" >&2; exit 2; }

# files to complete, in files/ (the current directory of every completion):
# alpha.jsonl, alps/ (a directory), beta.json
mkdir -p files/alps
: >files/alpha.jsonl
: >files/beta.json
: >files/alps/inner.jsonl

# comp CWORD WORD...: call _llamafmt as readline would for the words, the
# cursor at the end of word CWORD; COMPREPLY one a line, sorted, into out.
comp() {
    local cword=$1
    shift
    env -i PATH="$PATH" HOME="$TMP" LC_ALL=C bash --norc --noprofile -c '
        . "$1" || exit 3
        cd files || exit 3
        cword=$2
        shift 2
        COMP_WORDS=("$@")
        COMP_CWORD=$cword
        COMP_LINE="${COMP_WORDS[*]:0:cword+1}"
        COMP_POINT=${#COMP_LINE}
        COMP_TYPE=9
        COMP_KEY=9
        _llamafmt llamafmt "${COMP_WORDS[cword]}" "${COMP_WORDS[cword-1]}" || exit 4
        printf "%s\n" "${COMPREPLY[@]}"' bash "$BASH_COMP" "$cword" "$@" 2>err | LC_ALL=C sort >out
    st=${PIPESTATUS[0]}
    [ "$st" -eq 0 ] || flunk "_llamafmt failed (status $st): $(show err)"
    [ ! -s err ] || flunk "_llamafmt wrote to stderr: $(show err)"
}

# want_reply WORD...: the completions are exactly these
want_reply() {
    local want
    want=$(printf '%s\n' "$@" | LC_ALL=C sort)
    [ "$(cat out)" = "$want" ] || flunk "completions
$(sed 's/^/    /' out)
want
$(printf '%s\n' "$want" | sed 's/^/    /')"
}

# ------------------------------------------------------------------ bash

begin "bash: the script defines its completion, needing nothing else"
env -i PATH="$PATH" bash --norc --noprofile -c '. "$1" && complete -p llamafmt' bash "$BASH_COMP" >out 2>err
st=$?
want_status 0
want_err_empty
[ "$(cat out)" = "complete -F _llamafmt llamafmt" ] || flunk "complete -p llamafmt: $(show out)"
end

begin "bash: --pro<TAB> gives --profile and --progress"
comp 1 llamafmt --pro
want_reply --profile --progress
end

begin "bash: --<TAB> offers every long option of --help, and nothing else"
comp 1 llamafmt --
if ! cmp -s out help-long; then
    flunk "missing: $(LC_ALL=C comm -13 out help-long | paste -sd ' ')
    not in --help: $(LC_ALL=C comm -23 out help-long | paste -sd ' ')"
fi
end

begin "bash: -<TAB> offers every short option of --help too"
comp 1 llamafmt -
grep -E -- '^-[^-]' out >got-short
if ! cmp -s got-short help-short; then
    flunk "short options: $(paste -sd ' ' got-short), want $(paste -sd ' ' help-short)"
fi
grep -qx -- --profile out || flunk "long options missing after -"
end

begin "bash: --profile <TAB> and -p <TAB> give official meta guide"
comp 2 llamafmt --profile ''
want_reply official meta guide
comp 2 llamafmt -p ''
want_reply official meta guide
comp 2 llamafmt --profile me
want_reply meta
end

begin "bash: --to=<TAB> with the default COMP_WORDBREAKS (--to, =, word)"
comp 2 llamafmt --to =
want_reply jsonl text prompt-completion segments messages tokens
comp 3 llamafmt --to = pr
want_reply prompt-completion
comp 3 llamafmt --stats = j
want_reply json
end

begin "bash: --to=<TAB> without '=' in COMP_WORDBREAKS (one word)"
comp 1 llamafmt --to=
want_reply --to=jsonl --to=text --to=prompt-completion --to=segments --to=messages --to=tokens
comp 1 llamafmt --on-error=s
want_reply --on-error=skip
end

# option: the values it completes, as --help lists them
enums=(
    "--from auto messages sharegpt alpaca flat"
    "-f auto messages sharegpt alpaca flat"
    "--profile official meta guide"
    "-p official meta guide"
    "--to jsonl text prompt-completion segments messages tokens"
    "-t jsonl text prompt-completion segments messages tokens"
    "--special-tokens error strip allow"
    "--tools-in user system"
    "--train-on assistant last all"
    "--on-error fail skip"
    "--stats text json"
    "--compress none gz zst"
    "--overlong drop drop-turns truncate error"
    "--count-tokens per-sample total"
    "--color auto always never"
)
begin "bash: the values of every enumerated option"
for e in "${enums[@]}"; do
    read -ra w <<<"$e"
    case ${w[0]} in
    --stats | --count-tokens) ;; # an optional value: only --stats=json
    *)
        comp 2 llamafmt "${w[0]}" ''
        want_reply "${w[@]:1}"
        ;;
    esac
    [[ ${w[0]} == --* ]] || continue
    comp 3 llamafmt "${w[0]}" = ''
    want_reply "${w[@]:1}"
    comp 1 llamafmt "${w[0]}="
    joined=()
    for v in "${w[@]:1}"; do
        joined+=("${w[0]}=$v")
    done
    want_reply "${joined[@]}"
done
end

begin "bash: llamafmt accepts every value the completion offers"
# A value llamafmt rejects is quoted in its error ("unknown shape \"x\"");
# options that need others (--to tokens needs --tokenizer) may fail, but
# never by naming the value.
for e in "${enums[@]}"; do
    read -ra w <<<"$e"
    [[ ${w[0]} == --* ]] || continue
    for v in "${w[@]:1}"; do
        "$BIN" "${w[0]}=$v" --version >/dev/null 2>err
        grep -qF "\"$v\"" err && flunk "${w[0]}=$v rejected: $(show err)"
    done
    # the check itself works: a bad value is named
    "$BIN" "${w[0]}=no-such-value" --version >/dev/null 2>err
    grep -qF '"no-such-value"' err || flunk "${w[0]}=no-such-value not rejected by name: $(show err)"
done
end

begin "bash: --stats <TAB> completes files (the value must be attached: --stats=json)"
comp 2 llamafmt --stats al
want_reply alpha.jsonl alps
comp 2 llamafmt --shuffle al
want_reply alpha.jsonl alps
end

begin "bash: --builtin-tools completes each item of its list"
comp 2 llamafmt --builtin-tools ''
want_reply brave_search wolfram_alpha code_interpreter
comp 2 llamafmt --builtin-tools brave_search,
want_reply brave_search,wolfram_alpha brave_search,code_interpreter
comp 2 llamafmt --builtin-tools brave_search,c
want_reply brave_search,code_interpreter
end

begin "bash: file names after -o, --output, --rejects, --tools, --tokenizer"
for o in -o --output --rejects --tools --tokenizer; do
    comp 2 llamafmt "$o" al
    want_reply alpha.jsonl alps
done
comp 3 llamafmt --output = b
want_reply beta.json
comp 2 llamafmt -o alps/
want_reply alps/inner.jsonl
end

begin "bash: directories only after -O and --output-dir"
comp 2 llamafmt -O al
want_reply alps
comp 2 llamafmt --output-dir ''
want_reply alps
end

begin "bash: inputs are file names"
comp 1 llamafmt ''
want_reply alpha.jsonl alps beta.json
comp 3 llamafmt -p meta a
want_reply alpha.jsonl alps
end

begin "bash: no values for free-form options, and only files after --"
comp 2 llamafmt --date ''
want_reply
comp 2 llamafmt --seed ''
want_reply
comp 3 llamafmt -- x --p
want_reply
end

# complete_pty SHELL FILE LINE...: what an interactive shell on a
# pseudo-terminal shows for each LINE followed by TAB TAB, into pty-out
complete_pty() {
    (cd files && timeout 300 "$PY" "$HERE/complete_pty.py" "$@") >pty-out 2>err
    st=$?
    [ "$st" -eq 0 ] || flunk "complete_pty.py $1 failed (status $st): $(show err)"
}

# shown LINE: the section of pty-out for LINE, into out
shown() {
    awk -v l="=== $1" '$0 == l { on = 1; next } /^=== / { on = 0 } on' pty-out >out
    [ -s out ] || flunk "nothing shown for '$1'"
}

# want_words WORD...: each is shown as a word of its own
want_words() {
    local w
    for w in "$@"; do
        grep -qE -- "(^|[ =])$w( |\$)" out || flunk "'$w' not shown: $(show out)"
    done
}

begin "bash: an interactive bash completes with TAB"
complete_pty bash "$BASH_COMP" 'llamafmt --pro' 'llamafmt --to=' 'llamafmt --profile ' 'llamafmt -O al' \
    'llamafmt --on-error=s'
shown 'llamafmt --pro'
want_words --profile --progress
shown 'llamafmt --to='
want_words jsonl prompt-completion segments tokens
shown 'llamafmt --profile '
want_words official meta guide
shown 'llamafmt -O al'
grep -q 'llamafmt -O alps/' out || flunk "-O al did not complete to alps/: $(show out)"
shown 'llamafmt --on-error=s'
grep -q 'llamafmt --on-error=skip' out || flunk "--on-error=s did not complete to skip: $(show out)"
end

# ------------------------------------------------------------------ zsh

if with zsh -- "zsh: zsh -n parses it"; then
    begin "zsh: zsh -n parses it"
    zsh -n "$ZSH_COMP" >out 2>err
    st=$?
    want_status 0
    want_err_empty
    head -1 "$ZSH_COMP" | grep -qx '#compdef llamafmt' || flunk "first line is not #compdef llamafmt"
    end
fi

begin "zsh: every option of --help has a spec, and no spec is unknown"
# specs start an argument of _arguments: '--x[', '(...)--x', {-x+,--x=}
grep -oE -- "['{,)]--[a-z][a-z0-9-]*" "$ZSH_COMP" | cut -c2- | LC_ALL=C sort -u >zsh-long
missing=$(LC_ALL=C comm -13 zsh-long help-long | paste -sd ' ')
[ -z "$missing" ] || flunk "no spec for: $missing"
extra=$(LC_ALL=C comm -23 zsh-long help-long | grep -vx -- --colour | paste -sd ' ')
[ -z "$extra" ] || flunk "specs for options --help does not know: $extra"
grep -oE -- "[{]-[A-Za-z0-9]" "$ZSH_COMP" | cut -c2- | LC_ALL=C sort -u >zsh-short
cmp -s zsh-short help-short || flunk "short options $(paste -sd ' ' zsh-short), want $(paste -sd ' ' help-short)"
end

if with zsh -- "zsh: compinit binds _llamafmt to llamafmt"; then
    begin "zsh: compinit binds _llamafmt to llamafmt"
    mkdir -p zfunc
    cp "$ZSH_COMP" zfunc/_llamafmt
    HOME=$TMP zsh -f -c 'fpath=(zfunc $fpath); autoload -Uz compinit; compinit -u -D; print -r -- ${_comps[llamafmt]}' >out 2>err
    st=$?
    want_status 0
    want_err_empty
    [ "$(cat out)" = _llamafmt ] || flunk "_comps[llamafmt] is '$(cat out)'"
    end
fi

if with zsh -- "zsh: an interactive zsh completes with TAB"; then
    begin "zsh: an interactive zsh completes with TAB"
    complete_pty zsh "$TMP/zfunc/_llamafmt" 'llamafmt --pro' 'llamafmt --to=' 'llamafmt --profile ' \
        'llamafmt --on-error ' 'llamafmt -O al' 'llamafmt --stats=' 'llamafmt -o al'
    shown 'llamafmt --pro'
    want_words --profile --progress
    shown 'llamafmt --to='
    want_words jsonl prompt-completion segments tokens
    shown 'llamafmt --profile '
    want_words official meta guide
    shown 'llamafmt --on-error '
    want_words fail skip
    shown 'llamafmt -O al'
    grep -q 'llamafmt -O alps/' out || flunk "-O al did not complete to alps/: $(show out)"
    shown 'llamafmt --stats='
    want_words text json
    shown 'llamafmt -o al'
    want_words alpha.jsonl alps/
    end
fi

install_done completion
