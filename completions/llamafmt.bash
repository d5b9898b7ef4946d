# bash completion for llamafmt(1)                          -*- shell-script -*-
#
# Installed as share/bash-completion/completions/llamafmt, where
# bash-completion loads it on first use; or source it from ~/.bashrc.
# It needs nothing from bash-completion itself.  Completes the options (long
# and short), the values of options that take one of a fixed set of words, file
# names for file arguments and inputs, and directories for -O.
# tests/install/check_completion.sh checks it against `llamafmt --help`.

_llamafmt() {
    local cur prev opt val
    local -a words=("${COMP_WORDS[@]}")
    local cword=$COMP_CWORD
    cur=${words[cword]}
    prev=
    ((cword > 0)) && prev=${words[cword - 1]}
    COMPREPLY=()

    # After "--" every word is a file.
    local i
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
            _llamafmt_files
            return 0
        fi
    done

    # The option whose value is being completed, and the value so far.
    # readline splits "--to=te" into "--to" "=" "te" when '=' is in
    # COMP_WORDBREAKS (the default); without it the word is "--to=te".
    opt=
    if [[ $cur == --*=* ]]; then
        opt=${cur%%=*}
        val=${cur#*=}
    elif [[ $cur == = && $prev == --* ]]; then
        opt=$prev
        val=
    elif [[ $prev == = && $cword -ge 2 && ${words[cword - 2]} == --* ]]; then
        opt=${words[cword - 2]}
        val=$cur
    elif [[ $prev == -* && $prev != *=* ]]; then
        # a separate argument: "--to te", "-p of".  Options with an optional
        # argument (--stats, --count-tokens, --shuffle) take it only as
        # "--stats=json", so the word after them is an input.
        case $prev in
        --stats | --count-tokens | --shuffle) ;;
        *)
            if _llamafmt_takes_arg "$prev"; then
                opt=$prev
                val=$cur
            fi
            ;;
        esac
    fi

    if [[ -n $opt ]]; then
        _llamafmt_value "$opt" "$val"
        # "--to=te" as one word: readline replaces the whole word
        if [[ $cur == --*=* ]]; then
            local j
            for j in "${!COMPREPLY[@]}"; do
                COMPREPLY[j]=$opt=${COMPREPLY[j]}
            done
        fi
        return 0
    fi

    if [[ $cur == -* ]]; then
        if [[ $cur == --* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$(_llamafmt_long)" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$(_llamafmt_short) $(_llamafmt_long)" -- "$cur")
        fi
        return 0
    fi

    _llamafmt_files
}

# The long options, as `llamafmt --help` lists them.
_llamafmt_long() {
    printf '%s\n' \
        --from --messages-key --role-key --content-key --role-map \
        --alpaca-joiner --system --special-tokens --max-record-size \
        --tools --builtin-tools --tools-in --lenient-tool-calls \
        --profile --date --bos --no-bos --end-of-text --no-end-of-text \
        --generation-prompt \
        --to --spans --train-on --split-turns --output --separator --null \
        --keep --attention-mask \
        --tokenizer --max-tokens --overlong --count-tokens \
        --check --parse \
        --dedup --split --shuffle --seed \
        --recursive --output-dir --compress --force --update \
        --follow-symlinks --progress --no-progress \
        --threads \
        --on-error --rejects --stats --verbose --quiet --color --colour \
        --help --version
}

_llamafmt_short() {
    printf '%s\n' -f -p -t -o -0 -r -O -j -v -q -h -V
}

# Whether option $1 takes an argument (required or optional).
_llamafmt_takes_arg() {
    case $1 in
    -f | -p | -t | -o | -O | -j) return 0 ;;
    --from | --messages-key | --role-key | --content-key | --role-map | \
        --alpaca-joiner | --system | --special-tokens | --max-record-size | \
        --tools | --builtin-tools | --tools-in | --profile | --date | --to | \
        --train-on | --output | --separator | --keep | --tokenizer | \
        --max-tokens | --overlong | --count-tokens | --split | --shuffle | \
        --seed | --output-dir | --compress | --threads | --on-error | \
        --rejects | --stats | --color | --colour) return 0 ;;
    esac
    return 1
}

# COMPREPLY for the value $2 of option $1.
_llamafmt_value() {
    local choices=
    case $1 in
    -f | --from) choices="auto messages sharegpt alpaca flat" ;;
    -p | --profile) choices="official meta guide" ;;
    -t | --to) choices="jsonl text prompt-completion segments messages tokens" ;;
    --special-tokens) choices="error strip allow" ;;
    --tools-in) choices="user system" ;;
    --train-on) choices="assistant last all" ;;
    --on-error) choices="fail skip" ;;
    --stats) choices="text json" ;;
    --compress) choices="none gz zst" ;;
    --overlong) choices="drop drop-turns truncate error" ;;
    --count-tokens) choices="per-sample total" ;;
    --color | --colour) choices="auto always never" ;;
    --builtin-tools)
        # a comma-separated list: complete its last item
        local done_=${2%"${2##*,}"} item
        for item in brave_search wolfram_alpha code_interpreter; do
            [[ ,$done_ == *,$item,* ]] || choices+=" $done_$item"
        done
        ;;
    -o | --output | --rejects | --tools | --tokenizer)
        _llamafmt_files "$2"
        return 0
        ;;
    -O | --output-dir)
        _llamafmt_dirs "$2"
        return 0
        ;;
    *) return 0 ;; # free text or a number: nothing to offer
    esac
    mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$2")
}

# File names (directories too, to descend into), for inputs and file options.
_llamafmt_files() {
    local cur=${1-${COMP_WORDS[COMP_CWORD]}}
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}

_llamafmt_dirs() {
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -d -- "$1")
}

complete -F _llamafmt llamafmt
