"""The language server, `promptspec lsp`: the lint engine in the editor, over stdio.

Diagnostics, hover, completion, go to definition, document symbols, formatting, code
actions and inlay hints for both syntaxes, built on pygls and lsprotocol (the extra
`promptspec[lsp]`). Everything it knows of specs it asks `promptspec.api`.
"""

from __future__ import annotations

__all__ = ["serve"]


def serve() -> int:
    """Speak the protocol on stdin/stdout until `exit`: 0 after `shutdown`, else 1."""
    from promptspec.lsp.server import build

    server = build()
    server.start_io()
    return 0 if server.shut_down else 1
