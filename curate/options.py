"""Typed builder options: one frozen dataclass per builder is the flag, the check, the default and the fingerprint.

The idea is tfds's `BuilderConfig` dataclass (`WikipediaConfig(language=, date=)`), applied to build-time
settings. A builder declares

    @dataclass(frozen=True)
    class Options(BuilderOptions):
        languages: tuple[str, ...] = option(LANGS, help="languages to build", choices=LANGS, csv=True)
        seed: int = option(0, help="sampling seed", minimum=0)

and the core generates `--languages`/`--seed`, turns `"en,de"` into `("en", "de")`, checks every value
when the object is made (so a typo fails before anything is written to `--out`), hands the object to the
builder as `ctx.options` and records `fingerprint(options)` for the resume check. The object is checked in
`__post_init__`, so options built in Python (tests, scripts) get exactly the checks the CLI gets.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curate.errors import OptionError

_KINDS = {bool: "bool", int: "int", float: "float", str: "str", Path: "path"}


def option(default: Any, *, help: str, choices: Sequence[str] | None = None, csv: bool = False,
           normalize: Callable[[str], str] | None = None, minimum: float | None = None, exists: str | None = None,
           flag: str | None = None, metavar: str | None = None) -> Any:
    """A field of a builder's options. `csv`: a comma list (`none` means empty); `normalize` maps each item
    before `choices` is checked (e.g. `kg` → `ky`); `exists`: "file", "dir" or "path" must exist;
    `flag` overrides the generated `--field-name` (a bool defaulting to True gets `--no-field-name`)."""
    meta = {"help": help, "choices": tuple(choices) if choices is not None else None, "csv": csv,
            "normalize": normalize, "minimum": minimum, "exists": exists, "flag": flag, "metavar": metavar}
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class Kind:
    """What a field holds: a scalar type, optionally None, optionally a tuple of them."""

    base: type
    optional: bool = False
    many: bool = False

    def __str__(self) -> str:
        name = _KINDS[self.base]
        name = f"list[{name}]" if self.many else name
        return f"{name} | None" if self.optional else name


def _kind(hint: Any, where: str) -> Kind:
    optional = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional, hint = True, args[0] if len(args) == 1 else None
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis and args[0] in _KINDS and args[0] is not bool:
            return Kind(args[0], optional, many=True)
    if hint in _KINDS:
        return Kind(hint, optional)
    raise TypeError(f"{where}: option type must be bool, int, float, str, Path, a tuple[X, ...] of those, "
                    f"or X | None; got {hint!r}")


def option_fields(cls: type) -> list[tuple[dataclasses.Field, Kind]]:
    hints = typing.get_type_hints(cls)
    return [(f, _kind(hints[f.name], f"{cls.__name__}.{f.name}")) for f in dataclasses.fields(cls)]


def flag_of(f: dataclasses.Field) -> str:
    if f.metadata.get("flag"):
        return f.metadata["flag"]
    name = f.name.replace("_", "-")
    return f"--no-{name}" if f.default is True else f"--{name}"


@dataclass(frozen=True)
class BuilderOptions:
    """Base of every builder's options dataclass; subclass it with `@dataclass(frozen=True)`."""

    def __post_init__(self) -> None:
        for f, kind in option_fields(type(self)):
            object.__setattr__(self, f.name, _coerce(f, kind, getattr(self, f.name)))
        self.check()

    def check(self) -> None:
        """Rules that involve several fields; raise `OptionError` naming the flags."""


@dataclass(frozen=True)
class NoOptions(BuilderOptions):
    """The options of a builder that declares none."""


def _coerce(f: dataclasses.Field, kind: Kind, value: Any) -> Any:
    flag, meta = flag_of(f), f.metadata
    if value is None:
        if kind.optional:
            return None
        raise OptionError(f"{flag} needs a value")
    if kind.many:
        if isinstance(value, str):
            if not meta.get("csv"):
                value = [value]
            else:
                value = [] if value.strip().lower() == "none" else value.split(",")
        elif not isinstance(value, (list, tuple)):
            raise OptionError(f"{flag}: expected a list, got {value!r}")
        items, unknown = [], []
        for v in value:
            if isinstance(v, str) and not v.strip():
                continue
            try:
                items.append(_scalar(flag, kind.base, meta, v))
            except UnknownValue as exc:
                unknown.append(exc.value)
        if unknown:  # name every bad value at once, not one per attempt
            raise UnknownValue(flag, unknown, meta["choices"])
        return tuple(dict.fromkeys(items))  # a value given twice counts once; order kept
    return _scalar(flag, kind.base, meta, value)


def _scalar(flag: str, base: type, meta: Mapping[str, Any], value: Any) -> Any:
    if base is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise OptionError(f"{flag}: expected true or false, got {value!r}")
    if base in (int, float):
        try:
            if isinstance(value, bool) or (base is int and isinstance(value, float) and not value.is_integer()):
                raise ValueError
            number = base(value)
        except (TypeError, ValueError):
            raise OptionError(f"{flag}: expected {'an integer' if base is int else 'a number'}, "
                              f"got {value!r}") from None
        if meta.get("minimum") is not None and number < meta["minimum"]:
            raise OptionError(f"{flag} must be at least {meta['minimum']}, got {number}")
        return number
    if base is Path:
        path = Path(value).expanduser().absolute()  # workers on other nodes or folders read the same file
        _check_exists(flag, meta.get("exists"), path)
        return path
    text = str(value).strip()
    if meta.get("normalize"):
        try:
            text = meta["normalize"](text)
        except ValueError as exc:  # e.g. an unknown language code
            raise OptionError(f"{flag}: {exc}") from None
    choices = meta.get("choices")
    if choices is not None and text not in choices:
        raise UnknownValue(flag, [text], choices)
    return text


class UnknownValue(OptionError):
    def __init__(self, flag: str, values: list[str], choices: Sequence[str]):
        super().__init__(f"{flag}: unknown value{'s' if len(values) > 1 else ''} {', '.join(map(repr, values))}; "
                         f"valid values: {', '.join(choices)}")
        self.value = values[0]


def _check_exists(flag: str, exists: str | None, path: Path) -> None:
    if exists == "file" and not path.is_file():
        raise OptionError(f"{flag}: {path} is not a file" if path.exists() else f"{flag}: no such file {path}")
    if exists == "dir" and not path.is_dir():
        raise OptionError(f"{flag}: {path} is not a folder" if path.exists() else f"{flag}: no such folder {path}")
    if exists == "path" and not path.exists():
        raise OptionError(f"{flag}: {path} does not exist")


# ---- the three things the core does with an options class ----------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> typing.NoReturn:  # argparse would print usage and exit; say it our way
        raise OptionError(f"{self.prog}: {message}")


def add_arguments(parser: argparse.ArgumentParser | Any, cls: type[BuilderOptions]) -> None:
    """One flag per field; values stay strings here and are converted and checked by the dataclass."""
    for f, kind in option_fields(cls):
        meta = f.metadata
        kwargs: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS, "help": help_text(f, kind)}
        if kind.base is bool:
            kwargs["action"] = "store_false" if f.default is True else "store_true"
        else:
            kwargs["metavar"] = meta.get("metavar") or ("A,B,..." if meta.get("csv") else f.name.upper())
            if kind.many and not meta.get("csv"):
                kwargs["nargs"] = "+"
        parser.add_argument(flag_of(f), **kwargs)


def help_text(f: dataclasses.Field, kind: Kind) -> str:
    meta, text = f.metadata, f.metadata.get("help", "")
    if meta.get("csv"):
        text += " (comma list; none for empty)"
    choices = meta.get("choices")
    if choices and len(choices) <= 12:
        text += f"; one of {', '.join(choices)}" if not kind.many else f"; from {', '.join(choices)}"
    if kind.base is not bool and f.default not in (None, ()):
        shown = ",".join(map(str, f.default)) if kind.many else f.default
        if kind.many and choices and tuple(f.default) == tuple(choices):
            shown = "all"
        text += f" (default {shown})"
    return text


def parse_args(cls: type[BuilderOptions], argv: Sequence[str], prog: str) -> BuilderOptions:
    """The builder's flags from the command line, converted and checked (`OptionError` on any mistake)."""
    parser = _Parser(prog=prog, add_help=False, allow_abbrev=False)
    add_arguments(parser, cls)
    known, unknown = parser.parse_known_args(list(argv))
    if unknown:
        flags = ", ".join(flag_of(f) for f, _ in option_fields(cls)) or "(none)"
        raise OptionError(f"unrecognised option(s) {' '.join(unknown)} for {prog}; its own options: {flags}")
    return cls(**vars(known))


def resolve(cls: type[BuilderOptions], value: BuilderOptions | Mapping[str, Any] | None) -> BuilderOptions:
    """The builder's options from what a caller passed: its dataclass, a dict of field values (None = default)."""
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise OptionError(f"unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(names)) or '(none)'}")
        return cls(**{k: v for k, v in value.items() if v is not None})
    raise OptionError(f"options must be a {cls.__name__} or a dict, got {type(value).__name__}")


def fingerprint(options: BuilderOptions) -> dict[str, Any]:
    """Every field, JSON-able: two builds resume into each other only if these are equal."""
    return {f.name: _jsonable(getattr(options, f.name)) for f in dataclasses.fields(options)}


def describe(cls: type[BuilderOptions]) -> list[dict[str, Any]]:
    """The options as `curate info --json` lists them."""
    out = []
    for f, kind in option_fields(cls):
        meta = f.metadata
        out.append({"name": f.name, "flag": flag_of(f), "type": str(kind), "default": _jsonable(f.default),
                    "choices": list(meta["choices"]) if meta.get("choices") is not None else None,
                    "comma_list": bool(meta.get("csv")), "minimum": meta.get("minimum"),
                    "must_exist": meta.get("exists"), "help": meta.get("help", "")})
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
