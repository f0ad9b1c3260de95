// CODER_BOOTSTRAP_SCRIPT (docs/cvm-form.md, "The bootstrap"). envbox feeds it to `/bin/sh -s` in
// the inner container as the inner user, with the environment it copied there: the user's
// variables under our encoded names. The script gives them their own names back (envFrom sources
// first, in order, then env, so later definitions win as in the kubelet), removes the encoded
// ones, writes the restored variables where login shells of the inner user read them, and execs
// the user's command. The script is the same for every pod apart from its argument count and the
// number of envFrom sources; it uses only POSIX sh builtins (the image may have nothing else), and
// its own variables are CVM_* names, which no user variable may take. It holds no `$(` and no `$$`,
// so the kubelet's $(VAR) expansion passes it through unchanged.

import { envFromPrefix } from "./env-names.js";
import { ARGV_PREFIX, USER_ENV_PREFIX } from "./names.js";

/** Names exported with prefix $1 (a line of `export -p` that a multi-line value fakes is checked by ${NAME+set}). */
const LIST_NAMES = `cvm_names() {
  export -p | while IFS= read -r CVM_L; do
    CVM_L=\${CVM_L#export }; CVM_L=\${CVM_L#declare -x }; CVM_L=\${CVM_L%%=*}
    case $CVM_L in "$1"*[!A-Za-z0-9_]*) ;; "$1"*) printf '%s\\n' "$CVM_L" ;; esac
  done
}
`;

/** $1 single-quoted for sh. */
const QUOTE = `cvm_quote() {
  CVM_Q=$1; CVM_O=
  while :; do
    case $CVM_Q in *"'"*) CVM_H=\${CVM_Q%%"'"*}; CVM_O="$CVM_O$CVM_H'\\\\''"; CVM_Q=\${CVM_Q#*"'"} ;; *) break ;; esac
  done
  printf "'%s%s'" "$CVM_O" "$CVM_Q"
}
`;

/** Restores every name with prefix $CVM_P and appends its export line to $CVM_F. */
const RESTORE = `for CVM_P in $CVM_PREFIXES; do
  for CVM_N in \`cvm_names "$CVM_P"\`; do
    eval "[ \\"\\\${$CVM_N+set}\\" = set ]" || continue
    eval "CVM_V=\\\${$CVM_N}"
    unset "$CVM_N"
    CVM_R=\${CVM_N#"$CVM_P"}
    case $CVM_R in ''|[0-9]*|CVM_*) continue ;; esac
    export "$CVM_R=$CVM_V"
    CVM_S=\`cvm_quote "$CVM_V"\`
    printf 'export %s=%s\\n' "$CVM_R" "$CVM_S" >> "$CVM_F"
  done
done
`;

/** Login shells read the restored variables from ~/.cvm/env (the inner user's home, which envbox made writable). */
const LOGIN_FILE = `CVM_D="\${BINARY_DIR%/*}/.cvm"
mkdir -p "$CVM_D" && chmod 700 "$CVM_D"
CVM_F="$CVM_D/env"
: > "$CVM_F"
{ printf '[ -r "$HOME/.cvm/env" ] && . "$HOME/.cvm/env"\\n' > /etc/profile.d/cvm-env.sh; } 2>/dev/null || :
`;

export function bootstrapScript(envFromCount: number, argc: number): string {
  const prefixes = [...Array.from({ length: envFromCount }, (_, i) => envFromPrefix(i)), USER_ENV_PREFIX];
  const args = Array.from({ length: argc }, (_, k) => `"$${ARGV_PREFIX}${k}"`);
  const argNames = Array.from({ length: argc }, (_, k) => `${ARGV_PREFIX}${k}`);
  const run = argc === 0 ? "" : `set -- ${args.join(" ")}\nunset ${argNames.join(" ")}\nexec "$@"\n`;
  return (
    LIST_NAMES +
    QUOTE +
    LOGIN_FILE +
    `CVM_PREFIXES="${prefixes.join(" ")}"\n` +
    RESTORE +
    "unset CVM_L CVM_H CVM_S CVM_Q CVM_O CVM_P CVM_N CVM_R CVM_V CVM_D CVM_F CVM_PREFIXES\n" +
    run
  );
}
