"""`python -m promptspec`: the same as the `promptspec` command."""

from __future__ import annotations

from promptspec.cli import main

if __name__ == "__main__":
    main()
