"""Exceptions with messages a user can act on: each names the file, line, URL or valid choices."""

from __future__ import annotations


class CurateError(Exception):
    """Base class: the CLI prints these without a traceback and exits with status 2."""

    def __reduce__(self) -> tuple:
        # subclasses take other constructor arguments than their message: rebuild without calling __init__,
        # so the error survives the trip back from a worker process (one that cannot be unpickled there
        # leaves multiprocess's pool waiting for ever)
        return _rebuild, (type(self), self.args, dict(self.__dict__))


def _rebuild(cls: type, args: tuple, state: dict) -> CurateError:
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class UnknownNameError(CurateError):
    def __init__(self, kind: str, name: str, valid: list[str]):
        super().__init__(f"unknown {kind} {name!r}; valid choices: {', '.join(sorted(valid)) or '(none)'}")
        self.name = name
        self.valid = valid


class InputFormatError(CurateError):
    """Malformed input data: always says which file and line."""

    def __init__(self, path: object, line: int | None, message: str):
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line


class ManualDownloadError(CurateError):
    """Files the user must supply are missing; the message carries the builder's instructions."""


class SchemaError(CurateError):
    """A record does not match the declared features."""


class OptionError(CurateError, ValueError):
    """A flag, option or argument value the user gave is wrong: the message names it and the valid values.
    Also a ValueError, so library callers that catch the builtin keep working."""


class MissingExtraError(CurateError, ImportError):
    """An optional dependency is not installed: names the module and the pip extra that brings it."""

    def __init__(self, what: str, module: str, extra: str):
        super().__init__(f"{what} needs {module}, which is not installed: pip install 'curate[{extra}]'")
        self.module, self.extra = module, extra


class BuilderDefinitionError(CurateError):
    """A builder (ours or a plugin's) is declared inconsistently, e.g. two builders share a name."""
