# cli-lib.sh: checks shared by the end-to-end tests of approvald's commands
# (sourced, not run).  The sourcing script sets $tmp (a scratch folder,
# where the command's stderr goes as $tmp/err) and reads $fail at the end:
# every check prints one "ok:" or "FAIL:" line and goes on.
fail=0

check() { # name expected actual
        if cmp -s "$2" "$3"; then
                echo "ok: $1"
        else
                echo "FAIL: $1"
                diff -u "$2" "$3" || true
                fail=1
        fi
}

has() { # name file fixed-string
        if grep -qF -- "$3" "$2"; then
                echo "ok: $1"
        else
                echo "FAIL: $1: no '$3' in:"
                cat "$2"
                fail=1
        fi
}

expect_rc() { # name want got
        if [ "$2" -eq "$3" ]; then
                echo "ok: $1 (exit $3)"
        else
                echo "FAIL: $1: exit $3, want $2"
                [ -f "$tmp/err" ] && cat "$tmp/err"
                fail=1
        fi
}
