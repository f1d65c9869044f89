"""The click group: a command's module is imported only when that command runs."""

from __future__ import annotations

import importlib

import click

from promptspec import __version__

__all__ = ["make_group"]


class LazyGroup(click.Group):
    """Commands named in a table of "module:attribute" targets, imported on first use."""

    def __init__(self, *args: object, table: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.table = table

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.table)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.table.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name == module_name:
                return None  # not built yet
            raise
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command


def make_group(table: dict[str, str]) -> click.Group:
    """The `promptspec` group over the command table."""

    @click.group(cls=LazyGroup, table=table,
                 context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="promptspec")
    def cli() -> None:
        """Compile, lint and run image-generation prompt specs for the Astria API."""

    return cli
