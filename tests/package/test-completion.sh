#!/bin/bash
# The bash completion (conf/completion/approvald), loaded as bash-completion
# loads it, completes approvald's commands, each command's options (read
# from the built program), and the files and folders those options take.
#   test-completion.sh COMPLETION_FILE BUILD_DIR
# Not -e: completion functions may end on a false test, as bash allows.
set -u
file=$(realpath "$1") bindir=$(realpath "$2")
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bc=/usr/share/bash-completion/bash_completion
if [ -r "$bc" ]; then
        # shellcheck disable=SC1090
        . "$bc"
else
        echo "note: bash-completion is not installed; testing the file's own fallback"
fi
# shellcheck disable=SC1090
. "$file"
export PATH="$bindir:$PATH"
complete -p approvald >/dev/null || { echo "FAIL: no completion registered for approvald"; exit 1; }

# expect LINE WANT...: completing at the end of LINE offers exactly WANT.
expect() {
        local line=$1 got want
        shift
        read -ra COMP_WORDS <<<"$line"
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$line COMP_POINT=${#line}
        COMPREPLY=()
        _approvald approvald "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
        want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
        if [ "$got" = "$want" ]; then
                echo "ok: '$line' -> $got"
        else
                echo "FAIL: '$line' -> '$got', want '$want'"
                fail=$((fail + 1))
        fi
}

cd "$tmp"
mkdir state other.d
touch rules.yaml notes.txt order.json
expect "approvald " run check explain evaluate resync journal stats holds approve reject probe help --help --version
expect "approvald stats --si" --since
expect "approvald stats --since 7" 7d
expect "approvald ch" check
expect "approvald run --" --config --once --dry-run --state-dir --help
expect "approvald run --st" --state-dir
expect "approvald check -" -c --config --for-service --help
expect "approvald explain --j" --json
expect "approvald journal " dump verify
expect "approvald journal dump --state-dir " state other.d
expect "approvald help ex" explain
# -c takes a rules file: YAML files and folders, not other files
expect "approvald check -c " rules.yaml state other.d
expect "approvald run --once -c r" rules.yaml

[ "$fail" = 0 ] || { echo "FAIL: $fail completions wrong"; exit 1; }
echo "completion: all as expected"
