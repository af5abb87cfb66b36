# Usage: zsh -f zsh-capture.zsh FPATH_DIR "command line": prints each completion zsh offers
# for the line, one per line. Drives a real interactive zsh in a pseudo-terminal (zsh/zpty):
# compinit loads the _driftd found in FPATH_DIR, TAB runs it, and a compadd wrapper prints
# every match it adds (the technique of Valodim/zsh-capture-completion).
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z 'compadd () {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  typeset -a __hits; builtin compadd -A __hits "$@"
  local h; for h in $__hits; do print -r -- "<HI""T>$h</HIT>"; done
  builtin compadd "$@"
}'
zpty -w z "bindkey -e; bindkey '^I' complete-word; print -r -- '<RE''ADY>'"
local all="" chunk deadline=$(( SECONDS + 25 ))
while (( SECONDS < deadline )); do
  if zpty -r -t z chunk; then all+=$chunk; [[ $all == *'<READY>'* ]] && break; else sleep 0.05; fi
done
all=""
zpty -n -w z "$2"$'\t'
zpty -w z $'\C-u'"print -r -- '<E''ND>'"
deadline=$(( SECONDS + 25 ))
while (( SECONDS < deadline )); do
  if zpty -r -t z chunk; then all+=$chunk; [[ $all == *'<END>'* ]] && break; else sleep 0.05; fi
done
zpty -d z
print -r -- "${all//$'\r'/}" | grep -o "<HIT>.*</HIT>" | sed "s/<HIT>//; s#</HIT>##"
