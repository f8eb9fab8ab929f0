"""Writes `cassette/` for `curate build entity-cs --sample` (run: python make_cassette.py /work/shared/data/wiki).

The replies are HAND-WRITTEN in the real API formats (formatversion=2 `prop=pageprops`, `wbgetentities`),
because no recorded replies exist for these requests:
- pageprops replies resolve only the titles whose Wikidata items have real label fixtures (Q42 Douglas Adams,
  Q131261 Oliver Kahn, Q2112 Bielefeld, Q571 book). Titles of the real 3-page dump are given their MediaWiki
  first-letter normalisation but no page entry, so they resolve to no QID (we have no recorded QIDs or labels
  for them). The redirect `Douglas Noël Adams` → `Douglas Adams` is written by hand.
- the wbgetentities reply is assembled from the REAL recorded entities (labels only): Q42 and Q131261 from the
  Wikidata-Toolkit wbgetentities replies, Q571 and Q2112 from the wikibase-sdk entity files (CC0).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

from curate.builders.entity_cs.dump import iter_pages  # noqa: E402
from curate.builders.entity_cs.pipeline import page_sentences  # noqa: E402
from curate.builders.entity_cs.recipe import Recipe  # noqa: E402
from curate.builders.entity_cs.source import SAMPLE_DUMPS  # noqa: E402
from curate.builders.entity_cs.wikidata import BATCH, WIKIDATA_API, WIKIPEDIA_API  # noqa: E402

KNOWN = {"Douglas Adams": "Q42", "Oliver Kahn": "Q131261", "Bielefeld": "Q2112", "Book": "Q571"}
REDIRECTS = {"Douglas Noël Adams": "Douglas Adams"}
NOTE_PAGEPROPS = ("hand-written in the real prop=pageprops formatversion=2 format (not recorded): only titles with "
                  "real Wikidata label fixtures resolve; other titles get no page entry")
NOTE_LABELS = ("assembled from real recorded Wikidata entities (labels only; CC0): Q42/Q131261 from "
               "Wikidata-Toolkit wbgetentities replies, Q571/Q2112 from wikibase-sdk entity files")


def pageprops_reply(titles: list[str]) -> dict:
    normalized, redirects, pages = [], [], []
    for t in titles:
        norm = t[:1].upper() + t[1:]
        if norm != t:
            normalized.append({"fromencoded": False, "from": t, "to": norm})
        target = REDIRECTS.get(norm, norm)
        if target != norm:
            redirects.append({"from": norm, "to": target})
        if target in KNOWN and all(p["title"] != target for p in pages):
            pages.append({"ns": 0, "title": target, "pageprops": {"wikibase_item": KNOWN[target]}})
        elif target.startswith("Lake Curatesample"):
            pages.append({"ns": 0, "title": target, "missing": True})
    query: dict = {}
    if normalized:
        query["normalized"] = normalized
    if redirects:
        query["redirects"] = redirects
    query["pages"] = pages
    return {"batchcomplete": True, "query": query}


def main(shared: Path) -> None:
    out = HERE / "cassette"
    (out / "bodies").mkdir(parents=True, exist_ok=True)
    lines = []
    recipe = Recipe()
    for i, name in enumerate(SAMPLE_DUMPS):
        titles = sorted({lk.target for p in iter_pages(HERE / name) if p.redirect is None
                         for s in page_sentences(p, recipe, lambda r: None) for lk in s.sent.links})
        for j in range(0, len(titles), BATCH):
            batch = titles[j:j + BATCH]
            body = f"bodies/pageprops-{i}-{j // BATCH}.json"
            (out / body).write_text(json.dumps(pageprops_reply(batch), ensure_ascii=False, indent=1) + "\n")
            params = {"action": "query", "prop": "pageprops", "ppprop": "wikibase_item", "redirects": "1",
                      "formatversion": "2", "titles": "|".join(batch), "format": "json", "maxlag": "5"}
            lines.append({"method": "GET", "url": WIKIPEDIA_API, "params": params, "status": 200,
                          "headers": {"Content-Type": "application/json; charset=utf-8"}, "body": body,
                          "note": NOTE_PAGEPROPS})
    api = shared / "wikidata" / "api"
    entities = {
        "Q42": json.loads((api / "wbgetentities-Douglas-Adams.json").read_text())["entities"]["Q42"],
        "Q131261": json.loads((api / "wbgetentites-Oliver-Kahn.json").read_text())["entities"]["Q131261"],
        "Q571": json.loads((shared / "wikidata/entity/Q571.wikibase-sdk.json").read_text()),
        "Q2112": json.loads((shared / "wikidata/entity/Q2112.wikibase-sdk.json").read_text()),
    }
    entities = {q: {"type": "item", "id": q, "labels": e["labels"]} for q, e in sorted(entities.items())}
    (out / "bodies/wbgetentities-labels.json").write_text(
        json.dumps({"entities": entities, "success": 1}, ensure_ascii=False) + "\n")
    params = {"action": "wbgetentities", "props": "labels", "ids": "|".join(sorted(entities)), "format": "json",
              "maxlag": "5"}
    lines.append({"method": "GET", "url": WIKIDATA_API, "params": params, "status": 200,
                  "headers": {"Content-Type": "application/json; charset=utf-8"},
                  "body": "bodies/wbgetentities-labels.json", "note": NOTE_LABELS})
    with open(out / "index.jsonl", "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"wrote {len(lines)} exchanges to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/wiki"))
