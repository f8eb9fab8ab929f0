"""curate list — every registered builder with version, configs and a one-line description."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list the registered dataset builders")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from curate.registry import all_builders

    for name, cls in all_builders().items():
        configs = ",".join(c.name for c in cls.configs)
        summary = cls.description.strip().splitlines()[0] if cls.description.strip() else ""
        print(f"{name}\t{cls.version}\t{configs}\t{summary}")
    return 0
