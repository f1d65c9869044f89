"""Review of a change before it spends: the lock file (`lock`, `lock --check`) and `diff`
against a git revision, whose files are read without a checkout.

    lock          promptspec.lock's lines: counts and a streamed digest of request ids
    diff          per prompt, requests and images added and removed; its three formats
    git_revision  a FileReader over one commit's tree (git ls-tree, git cat-file --batch)
"""

from __future__ import annotations

__all__: list[str] = []
