"""Shell completion: what each flag completes to, and the bash, zsh and fish scripts that show it.

Typer's own scripts drop the kind of a completion (bash and zsh never complete a file for a
FILE flag, and an empty answer falls back to file names, so `-P <TAB>` offered files) and its
zsh script quotes descriptions in a way that loses apostrophes. apicli answers each request
with `KIND<TAB>VALUE<TAB>DESCRIPTION` lines (KIND is plain, file or dir) and its scripts turn
them into the shell's own completion calls, quoting values the shell's way.
"""

from __future__ import annotations

import os
import re
from typing import Any

from .typer_compat import (
    click_module,
    install_typer_completion,
    set_shell_complete,
    set_typer_completion_script,
    typer_completion_class,
    typer_completion_script,
)

COMPLETE_VAR = "_APICLI_COMPLETE"

BASH_SCRIPT = r"""
%(complete_func)s() {
    local kind value line files=0
    COMPREPLY=()
    while IFS= read -r line; do
        kind=${line%%%%$'\t'*}
        value=${line#*$'\t'}
        value=${value%%%%$'\t'*}
        case $kind in
            file) files=1; mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$value") ;;
            dir) files=1; mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$value") ;;
            plain) printf -v value '%%q' "$value"; COMPREPLY+=("$value") ;;
        esac
    done < <(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD="$COMP_CWORD" %(autocomplete_var)s=complete_bash "$1")
    # File names: let readline quote them and add a slash to directories.
    if (( files )); then compopt -o filenames 2>/dev/null; fi
    return 0
}

complete -F %(complete_func)s %(prog_name)s
"""

ZSH_SCRIPT = r"""
#compdef %(prog_name)s

%(complete_func)s() {
    local -a described plain
    local line kind rest value descr
    local -a response
    response=("${(@f)$(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" \
        %(autocomplete_var)s=complete_zsh %(prog_name)s)}")
    for line in "${response[@]}"; do
        [[ -n $line ]] || continue
        kind=${line%%%%$'\t'*}
        rest=${line#*$'\t'}
        value=${rest%%%%$'\t'*}
        descr=${rest#*$'\t'}
        case $kind in
            file) _path_files -f ;;
            dir) _path_files -/ ;;
            plain)
                if [[ -n $descr ]]; then
                    described+=("${value//:/\\:}:$descr")
                else
                    plain+=("$value")
                fi
                ;;
        esac
    done
    (( ${#described} )) && _describe -V %(prog_name)s described
    (( ${#plain} )) && compadd -V %(prog_name)s -- "${plain[@]}"
    return 0
}

compdef %(complete_func)s %(prog_name)s
"""

FISH_SCRIPT = r"""
function %(complete_func)s
    set -l args (commandline -cp)
    for line in (env _TYPER_COMPLETE_ARGS="$args" %(autocomplete_var)s=complete_fish %(prog_name)s)
        set -l parts (string split -m 2 \t -- $line)
        switch $parts[1]
            case file
                __fish_complete_path $parts[2]
            case dir
                __fish_complete_directories $parts[2]
            case plain
                if test -n "$parts[3]"
                    printf '%%s\t%%s\n' $parts[2] $parts[3]
                else
                    printf '%%s\n' $parts[2]
                end
        end
    end
end

complete --command %(prog_name)s --no-files --arguments '(%(complete_func)s)'
"""


def _line(item: Any) -> str:
    kind = item.type if item.type in ("file", "dir") else "plain"
    # Tabs and newlines separate fields and answers; descriptions are one line of plain text.
    value = re.sub(r"[\t\n\r]", " ", str(item.value))
    description = re.sub(r"\s+", " ", item.help or "").strip()
    return f"{kind}\t{value}\t{description}"


class _Answers:
    """The one answer format of apicli's scripts, for every shell."""

    def format_completion(self, item: Any) -> str:
        return _line(item)

    def complete(self) -> str:
        args, incomplete = self.get_completion_args()  # type: ignore[attr-defined]
        return "\n".join(_line(item) for item in self.get_completions(args, incomplete))  # type: ignore[attr-defined]


ApicliBash = typer_completion_class("bash", _Answers, BASH_SCRIPT)
ApicliZsh = typer_completion_class("zsh", _Answers, ZSH_SCRIPT)
ApicliFish = typer_completion_class("fish", _Answers, FISH_SCRIPT)


SCRIPTS = {"bash": BASH_SCRIPT, "zsh": ZSH_SCRIPT, "fish": FISH_SCRIPT}


def use_apicli_completion() -> None:
    """Answer completion requests, and install or show scripts, in apicli's format (after Typer's set-up)."""
    add_completion_class = click_module("shell_completion").add_completion_class
    for shell, cls in (("bash", ApicliBash), ("zsh", ApicliZsh), ("fish", ApicliFish)):
        add_completion_class(cls, shell)
        set_typer_completion_script(shell, SCRIPTS[shell])


def install_or_show(flag: str, shell: str) -> int:
    """`--install-completion SHELL` or `--show-completion SHELL`, for the shell the user named."""
    use_apicli_completion()
    if flag == "--show-completion":
        print(typer_completion_script(prog_name="apicli", complete_var=COMPLETE_VAR, shell=shell))
        return 0
    _shell, path = install_typer_completion(shell=shell, prog_name="apicli", complete_var=COMPLETE_VAR)
    print(f"{shell} completion installed in {path}")
    print("Completion will take effect once you restart the terminal")
    return 0


# What a flag's value completes to, beyond its type (an Enum's choices and a Path's files come free).
def complete_profile(ctx: Any, param: Any, incomplete: str) -> list[Any]:
    """The profile names in the config file, each described by its base URL; nothing if it cannot be read."""
    from ..config.profiles import config_path, read_config
    from ..errors import ApicliError

    try:
        config = read_config(config_path(os.environ))
    except ApicliError:
        return []
    if config is None:
        return []
    item = _completion_item()
    return [
        item(name, help=profile.base_url or "")
        for name, profile in sorted(config.profiles.items())
        if name.startswith(incomplete)
    ]


def complete_checksum(ctx: Any, param: Any, incomplete: str) -> list[Any]:
    from ..downloads.jobs import DIGEST_LENGTHS

    item = _completion_item()
    return [item(f"{name}:") for name in sorted(DIGEST_LENGTHS) if f"{name}:".startswith(incomplete)]


def _completion_item() -> Any:
    return click_module("shell_completion").CompletionItem


def complete_file(ctx: Any, param: Any, incomplete: str) -> list[Any]:
    """Ask the shell for file names (Typer's Path answers nothing, leaving it to a fallback we don't use)."""
    return [_completion_item()(incomplete, type="file")]


def complete_directory(ctx: Any, param: Any, incomplete: str) -> list[Any]:
    return [_completion_item()(incomplete, type="dir")]


VALUE_COMPLETIONS = {"--profile": complete_profile, "--checksum": complete_checksum, "--dir": complete_directory}


def attach_completions(command: Any) -> None:
    """Give each flag its completion through the whole command tree: files for a Path, and VALUE_COMPLETIONS."""
    for param in command.params:
        if hasattr(param.type, "file_okay") and hasattr(param.type, "dir_okay"):
            set_shell_complete(param, complete_file if param.type.file_okay else complete_directory)
        for name in param.opts:
            if name in VALUE_COMPLETIONS:
                set_shell_complete(param, VALUE_COMPLETIONS[name])
    for sub in getattr(command, "commands", {}).values():
        attach_completions(sub)
