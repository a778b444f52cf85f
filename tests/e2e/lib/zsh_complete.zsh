# Prints what a real interactive zsh shows when TAB is pressed after LINE (its argument):
# an interactive zsh runs in a pseudo-terminal (zsh/zpty) with compinit and the completion
# functions in $SSHM_ZSH_FPATH. LINE and a TAB are typed only once the line editor is
# reading keys (its zle-line-init hook prints a marker), then the line is cleared and a
# marker echoed, so everything up to that marker is the completion's own output.
zmodload zsh/zpty || exit 125
zpty z 'TERM=vt100 zsh -f -i'
zpty -w z "PS1='%% '; fpath=(${SSHM_ZSH_FPATH} \$fpath); autoload -Uz compinit; compinit -u -D; LISTMAX=10000; setopt nobeep"
zpty -w z "zle-line-init() { print -rn -- __ZLE_REA''DY__ }; zle -N zle-line-init; print -r -- __READ''Y__"
zpty -r z out '*__READY__*' || exit 1
zpty -r z out '*__ZLE_READY__*' || exit 1
zpty -wn z "$1"$'\t'
zpty -wn z $'\C-e\C-u'
zpty -w z "print -r -- __DO''NE__"
while zpty -r z out; do
  [[ $out == *__DONE__* ]] && break
  print -r -- "$out"
done
zpty -d z
