"""curate info NAME — everything a builder declares: configs, splits, schema, sources, options, licence, citation.

`--json` prints the same as one JSON object (stable keys, for scripts and docs):
`name, version, description, homepage, license, citation, languages, task_categories, default_configs,
configs[{name, description, languages, splits, features, schema}], sources[{name, url, sha256, path, manual,
license, description}], options[{name, flag, type, default, choices, comma_list, minimum, must_exist, help}],
endpoints{key: default URL}, manual_download_instructions`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="describe a dataset builder")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def builder_info(builder: Any) -> dict[str, Any]:
    """The builder's declarations as JSON-able data (what `curate info NAME --json` prints)."""
    from curate.options import describe

    base = builder.describe()
    configs = []
    for c in builder.configs:
        features = builder.features(c)
        configs.append({"name": c.name, "description": c.description, "languages": list(c.languages),
                        "splits": list(builder.splits_for(c)), "features": features.to_dict(),
                        "schema": {f.name: str(f.type) for f in features.arrow_schema}})
    return {
        "name": builder.name, "version": builder.version, "description": builder.description.strip(),
        "homepage": builder.homepage, "license": builder.license, "citation": builder.citation.strip(),
        "languages": list(builder.languages), "task_categories": list(builder.task_categories),
        "default_configs": list(builder.default_configs or [c.name for c in builder.configs]),
        "configs": configs,
        "sources": [dict(s) for s in base["sources"]],
        "options": describe(builder.Options),
        "endpoints": dict(base.get("endpoints", {})),
        "manual_download_instructions": builder.manual_download_instructions,
    }


def run(args: argparse.Namespace) -> int:
    from curate.registry import get_builder

    info = builder_info(get_builder(args.name))
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    print(f"{info['name']} {info['version']}\n\n{info['description']}\n")
    print(f"homepage: {info['homepage'] or '-'}\nlicence:  {info['license'] or '-'}\n")
    print(f"configs (default: {', '.join(info['default_configs'])}):")
    for c in info["configs"]:
        print(f"  {c['name']}: {c['description']} (splits: {', '.join(c['splits'])})")
        for field, dtype in c["schema"].items():
            print(f"      {field}: {dtype}")
    print("\nsources:")
    for s in info["sources"]:
        where = s.get("url") or s.get("path") or ("manual download" if s.get("manual") else "")
        print(f"  {s['name']}: {where}" + (f"  sha256={s['sha256']}" if s.get("sha256") else ""))
    if info["options"]:
        print(f"\nbuild options (curate build {info['name']} ...):")
        for o in info["options"]:
            print(f"  {o['flag']} ({o['type']}): {_option_line(o)}")
    if info["endpoints"]:
        print("\nendpoints (--endpoint KEY=URL):")
        for key, url in info["endpoints"].items():
            print(f"  {key}: {url}")
    if info["manual_download_instructions"]:
        print(f"\nmanual download:\n{info['manual_download_instructions'].strip()}")
    if info["citation"]:
        print(f"\ncitation:\n{info['citation']}")
    return 0


def _option_line(o: dict[str, Any]) -> str:
    text = o["help"]
    if o["comma_list"]:
        text += " (comma list)"
    if o["choices"] is not None:
        text += f"; valid: {', '.join(o['choices'])}"
    if o["type"] != "bool" and o["default"] not in (None, []):
        default = ",".join(map(str, o["default"])) if isinstance(o["default"], list) else o["default"]
        default = "all" if o["choices"] and o["default"] == o["choices"] else default
        text += f"; default: {default}"
    return text
