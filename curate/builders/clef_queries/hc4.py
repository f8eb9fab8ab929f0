"""HC4 (Lawrie et al., ECIR 2022) topics and qrels, from `hltcoe/HC4` `resources/hc4/`.

Topics are JSON lines; each topic lists language versions tagged `original`, `human translation` or the
id of the MT system that produced them (train has six Persian MT versions per topic: all are kept, the
`mt_system` column tells them apart). Qrels are TREC 4-column files with grades 0, 1 and 3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from curate.builder import Source
from curate.errors import InputFormatError

from .langcodes import UnknownLanguageCode, normalize_language
from .qrels import Judgement, parse_qrels_text

HC4_COMMIT = "663f1766709f32ba525a815f137939c945ab8991"
HC4_BASE = f"https://raw.githubusercontent.com/hltcoe/HC4/{HC4_COMMIT}/resources/hc4"
HC4_SPLITS = ("train", "dev", "test")
HC4_DOC_LANGUAGES = ("fas", "rus", "zho")
HC4_GRADES = {0, 1, 3}

# sha256 of the files at HC4_COMMIT (their MD5s match the pins in ir_datasets' downloads.json).
HC4_SHA256: dict[str, str] = {
    "train.topics.v1-0.jsonl": "c9ab7b5874fd0275fb93fcfe883035c1dcfc7d28de531cea2b9952724782b8d1",
    "dev.topics.v1-0.jsonl": "8c6ca6ffeda3085e5c3fa004867911311f18dea5268622134808fc6355dbb3bf",
    "test.topics.v1-0.jsonl": "38afea0e85fedb479df33a0a3d20e15a3435552d6745f5c3491a3500ebc94ac7",
    "fas/train.qrels.v1-0.txt": "ab07ce1e58e051f04965bc01830c194dac43bc9b6d7d1b50cb3f7b688118e371",
    "fas/dev.qrels.v1-0.txt": "0bc3e847af48a87e5457ef8668420656c734b73043c826cdfb4cf1b79be927ff",
    "fas/test.qrels.v1-0.txt": "31d44d1f27f9b61266cd565b612f90e9ecb55c20c0b5dd76b4c9e2373f8eeff2",
    "rus/train.qrels.v1-0.txt": "a79eb1e83c1b28442df5fb431a8fc949b35f33b196ea332538bdb15fc7dc07a4",
    "rus/dev.qrels.v1-0.txt": "3f154315ca6981bcb9ae1bead457949d2b9127fb63077cb337c3b23e46968097",
    "rus/test.qrels.v1-0.txt": "33dd662bee3c1407da907f42d2311de9b5059f993312932a1e21bf64e67c4800",
    "zho/train.qrels.v1-0.txt": "015c388e1875a8eb673a9ced19e97830fcf204ee7915196718b4adfa2fe84d6d",
    "zho/dev.qrels.v1-0.txt": "45d26bbd4d258cd74a17d9aaa844bf9c23d2e08660cd1005d303706dc7609a2c",
    "zho/test.qrels.v1-0.txt": "54d16bd2bd696b92cd245304c8bb21931ea31e6b9143ebfe6e03be31bd917109",
}

HC4_SOURCES = [Source(name=f"hc4/{rel}", url=f"{HC4_BASE}/{rel}", sha256=sha, license="unspecified (no LICENSE upstream)",
                      description="HC4 v1.0 topics/qrels") for rel, sha in HC4_SHA256.items()]


def topics_file(split: str) -> str:
    return f"{split}.topics.v1-0.jsonl"


def qrels_file(lang3: str, split: str) -> str:
    return f"{lang3}/{split}.qrels.v1-0.txt"


@dataclass
class Hc4TopicVersion:
    topic_id: str
    language: str  # ISO 639-1
    origin: str  # original | human_translation | machine_translation
    mt_system: str | None
    title: str
    description: str
    languages_with_qrels: tuple[str, ...]


def _origin(source: str) -> tuple[str, str | None]:
    if source == "original":
        return "original", None
    if source == "human translation":
        return "human_translation", None
    return "machine_translation", source


def parse_topics_jsonl(text: str, path: str | Path) -> list[Hc4TopicVersion]:
    out = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
            tid = str(obj["topic_id"])
            with_qrels = tuple(normalize_language(c) for c in obj.get("languages_with_qrels", []))
            for version in obj["topics"]:
                origin, system = _origin(version["source"])
                out.append(Hc4TopicVersion(tid, normalize_language(version["lang"]), origin, system,
                                           " ".join(version["topic_title"].split()),
                                           " ".join(version["topic_description"].split()), with_qrels))
        except json.JSONDecodeError as exc:
            raise InputFormatError(path, n, f"not a JSON object: {exc.msg}") from None
        except KeyError as exc:
            raise InputFormatError(path, n, f"HC4 topic misses the key {exc.args[0]!r}") from None
        except UnknownLanguageCode as exc:
            raise InputFormatError(path, n, str(exc)) from None
    return out


def parse_qrels(text: str, path: str | Path) -> list[Judgement]:
    return parse_qrels_text(text, Path(path), allowed=HC4_GRADES)
