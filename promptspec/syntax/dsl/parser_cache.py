"""Where the DSL parser's tables are cached: the user's own cache folder, never a shared one.

lark's default cache is a pickle at a predictable name in the system's temporary folder,
which another local user could plant. Here the tables live in
`$XDG_CACHE_HOME/promptspec` (else `~/.cache/promptspec`), a folder created with mode 0700;
the folder and the file are used only if they are what they claim (a real folder and a
regular file, owned by this user, writable by no one else). Otherwise nothing is cached and
the tables are built in memory (about 0.2 s).
"""

from __future__ import annotations

import hashlib
import os
import stat

from promptspec.paths import private_cache, trusted

__all__ = ["cache_file"]


def cache_file(grammar: str, version: str, flavour: str) -> str | None:
    """The cache file for these tables, or None when no trusted place exists."""
    folder = private_cache()
    if folder is None:
        return None
    key = hashlib.sha256(f"{version}\0{flavour}\0{grammar}".encode()).hexdigest()[:24]
    path = os.path.join(folder, f"dsl-parser-{key}.lark")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return path  # lark writes it, inside a folder no one else may write to
    except OSError:
        return None
    return path if trusted(st, stat.S_IFREG) else None
