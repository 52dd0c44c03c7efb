from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, home_files, operation

NAMES = (
    ".history", ".sh_history", ".ash_history", ".python_history", ".mysql_history",
    ".psql_history", ".sqlite_history", ".node_repl_history", ".rediscli_history", ".lesshst",
    ".viminfo", ".local/share/fish/fish_history", ".wget-hsts",
)  # fmt: skip


@operation(
    "tool-histories",
    profiles=EXTENDED,
    removes="every user's other shell, REPL and tool histories (python, mysql, psql, sqlite, "
    "node, redis-cli, less, vim, fish, wget)",
    verified_by=home_files.none_in_homes(*NAMES),
)
def tool_histories(ctx: SanitizeContext) -> None:
    """Remove the histories of shells and tools other than bash and zsh."""
    home_files.remove_in_homes(ctx, NAMES)
