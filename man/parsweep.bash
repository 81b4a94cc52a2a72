# bash completion for parsweep: verbs, each verb's options, backend names
# after -b, templates after --template, and files by kind (specs, results
# files, endpoint files). Self-contained (no bash-completion helpers
# needed); installed as share/bash-completion/completions/parsweep.
# The option lists match each verb's --help (tests/build/test_man.py).

_parsweep() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=
  [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
  local verbs="run show info submit status worker"
  if [ "$COMP_CWORD" -le 1 ]; then
    mapfile -t COMPREPLY < <(compgen -W "$verbs --help --version" -- "$cur")
    return 0
  fi
  local verb=${COMP_WORDS[1]} opts= files=
  case $verb in
  run)
    opts="-o --output -b --backend -j --jobs --listen --resume --force
          --progress -q --quiet -h --help"
    files='@(yaml|yml)' ;;
  show)
    opts="--csv -h --help"
    files='@(h5|hdf5)' ;;
  info)
    opts="--json --topology -b --backend -j --jobs -h --help" ;;
  submit)
    opts="--template -N --nodes -t --time -p --partition -A --account
          --dry-run -h --help"
    files='@(yaml|yml)' ;;
  status)
    opts="-h --help"
    files='@(h5|hdf5)' ;;
  worker)
    opts="-c --connect -j --jobs --wait -h --help" ;;
  *) return 0 ;;
  esac
  case $prev in
  -b | --backend)
    mapfile -t COMPREPLY < <(compgen -W "auto serial threads fork mpi hybrid
      elastic" -- "$cur")
    return 0 ;;
  --template)
    mapfile -t COMPREPLY < <(compgen -W "hybrid node mpi chain elastic" \
      -- "$cur")
    return 0 ;;
  -o | --output)
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0 ;;
  -c | --connect)
    mapfile -t COMPREPLY < <(compgen -f -X '!*.endpoint' -- "$cur"
      compgen -d -- "$cur")
    return 0 ;;
  -j | --jobs | --listen | --topology | -N | --nodes | -t | --time | \
    -p | --partition | -A | --account | --wait)
    return 0 ;; # a value of the user's
  esac
  if [[ $cur == -* ]]; then
    # shellcheck disable=SC2086 # the option list splits on blanks
    mapfile -t COMPREPLY < <(compgen -W "$(echo $opts)" -- "$cur")
  elif [ -n "$files" ]; then
    # The patterns need extglob (bash-completion turns it on; a plain
    # shell may not have it): on for this call only.
    local restore
    restore=$(shopt -p extglob)
    shopt -s extglob
    mapfile -t COMPREPLY < <(compgen -f -X "!*.$files" -- "$cur"
      compgen -d -- "$cur")
    eval "$restore"
  fi
  return 0
}
complete -o filenames -F _parsweep parsweep
