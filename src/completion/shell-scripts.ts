// Shell scripts for completing the standalone `kubectl-gw` executable. Each asks
// `kubectl-gw __complete -- WORDS... WORD` (the protocol kubectl uses for `kubectl gw`) and decodes
// its answer: candidate lines (`value<TAB>description`), then `:<directive>` (cobra's bits:
// 2 no space, 4 no file completion).

export const completionShells = ['bash', 'zsh', 'fish'] as const
export type CompletionShell = (typeof completionShells)[number]

const bash = `# bash completion for kubectl-gw; load it with: source <(kubectl-gw completion bash)
# (kubectl gw <TAB> is completed by kubectl itself through kubectl_complete-gw)
_kubectl_gw() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" out directive line
  out=$(kubectl-gw __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null) || return
  directive=\${out##*:}
  out=\${out%:*}
  COMPREPLY=()
  while IFS= read -r line; do
    [[ -n $line ]] && COMPREPLY+=("\${line%%$'\\t'*}")
  done <<< "$out"
  (( directive & 2 )) && compopt -o nospace 2>/dev/null
  if (( \${#COMPREPLY[@]} == 0 && (directive & 4) == 0 )); then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _kubectl_gw kubectl-gw
`

const zsh = `#compdef kubectl-gw
# zsh completion for kubectl-gw; load it with: source <(kubectl-gw completion zsh)
_kubectl_gw() {
  local out directive line value description
  local -a lines described
  out=$(kubectl-gw __complete -- "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  directive=\${lines[-1]#:}
  for line in "\${(@)lines[1,-2]}"; do
    [[ -z $line ]] && continue
    value=\${line%%$'\\t'*}
    description=\${line#*$'\\t'}
    [[ $description == "$line" ]] && description=''
    described+=("\${value//:/\\\\:}\${description:+:$description}")
  done
  if (( \${#described} > 0 )); then
    if (( directive & 2 )); then _describe -t values 'kubectl-gw' described -S ''; else _describe -t values 'kubectl-gw' described; fi
  elif (( (directive & 4) == 0 )); then
    _files
  fi
}
if [[ $funcstack[1] == _kubectl_gw ]]; then _kubectl_gw "$@"; else compdef _kubectl_gw kubectl-gw; fi
`

const fish = `# fish completion for kubectl-gw; load it with: kubectl-gw completion fish | source
function __kubectl_gw_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l out (kubectl-gw __complete -- $tokens[2..-1] "$current" 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    set -l candidates $out[1..-2]
    if test (count $candidates) -eq 0; and test (math "bitand($directive, 4)") -eq 0
        __fish_complete_path "$current"
        return
    end
    printf '%s\\n' $candidates
end
complete -c kubectl-gw -f -a '(__kubectl_gw_complete)'
`

export const completionScripts: Record<CompletionShell, string> = {bash, zsh, fish}
