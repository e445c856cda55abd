# Shared by the `synack drill` CLI tests (source it; not a test itself). The caller sets CLI
# (the synack binary), out (a temporary file) and fails=0.

# run EXPECTED_STATUS ARGS...: runs the CLI, checks its exit status, keeps the output in $out
run() {
  local want=$1; shift
  "$CLI" drill "$@" >"$out" 2>&1
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAILED: synack drill $* exited $got, expected $want"; cat "$out"; fails=$((fails + 1))
  fi
}
# has TEXT: the last output must contain TEXT (fixed string)
has() {
  if ! grep -qF -- "$1" "$out"; then
    echo "FAILED: output lacks: $1"; cat "$out"; fails=$((fails + 1))
  fi
}
