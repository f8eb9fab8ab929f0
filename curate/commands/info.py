"""curate info NAME — everything a builder declares: configs, splits, schema, sources, licence, citation."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="describe a dataset builder")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from curate.registry import get_builder

    builder = get_builder(args.name)
    info = builder.describe()
    info["schema"] = {c.name: _schema(builder, c) for c in builder.configs}
    info["splits"] = {c.name: list(builder.splits_for(c)) for c in builder.configs}
    info["build_options"] = [{"flag": f, "help": kw.get("help", "")} for f, kw in builder.extra_build_options()]
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    print(f"{info['name']} {info['version']}\n\n{info['description'].strip()}\n")
    print(f"homepage: {info['homepage'] or '-'}\nlicence:  {info['license'] or '-'}\n")
    print("configs:")
    for c in info["configs"]:
        print(f"  {c['name']}: {c['description']} (splits: {', '.join(info['splits'][c['name']])})")
        for field, dtype in info["schema"][c["name"]].items():
            print(f"      {field}: {dtype}")
    print("\nsources:")
    for s in info["sources"]:
        where = s.get("url") or s.get("path") or ("manual download" if s.get("manual") else "")
        print(f"  {s['name']}: {where}" + (f"  sha256={s['sha256']}" if s.get("sha256") else ""))
    if info["build_options"]:
        print("\nbuild options:")
        for o in info["build_options"]:
            print(f"  {o['flag']}: {o['help']}")
    if info["manual_download_instructions"]:
        print(f"\nmanual download:\n{info['manual_download_instructions'].strip()}")
    if info["citation"]:
        print(f"\ncitation:\n{info['citation'].strip()}")
    return 0


def _schema(builder, config) -> dict[str, str]:
    return {f.name: str(f.type) for f in builder.features(config).arrow_schema}
