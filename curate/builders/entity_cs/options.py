"""`curate build entity-cs` flags, declared once: curate.options makes the flags, checks and fingerprint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from curate.builders.entity_cs.recipe import ENTITYCS_LANGUAGES, Recipe
from curate.options import BuilderOptions, option


@dataclass(frozen=True)
class EntityCsOptions(BuilderOptions):
    dump: tuple[Path, ...] = option((), exists="file", metavar="PATH",
                                    help="pages-articles XML dump(s) (.xml, .xml.bz2, multistream)")
    streams_per_unit: int = option(20, minimum=1, help="multistream bz2 streams per work unit")
    pages_per_batch: int = option(500, minimum=1, help="pages per title/label lookup batch")
    wikidata_dump: Path | None = option(None, exists="file", metavar="PATH",
                                        help="Wikidata JSON dump: labels and enwiki titles instead of the APIs")
    languages: tuple[str, ...] = option(ENTITYCS_LANGUAGES, csv=True, choices=ENTITYCS_LANGUAGES,
                                        help="target languages: the 92 EntityCS languages or some of them")
    num_translations: int = option(Recipe.num_translations, minimum=1,
                                   help="K target languages per sentence at most")
    seed: int = option(Recipe.seed, help="seed of the target-language sampling")
    mul_fallback: bool = option(Recipe.mul_fallback,
                                help="do not use `mul` labels for languages without their own")
    trail_outside_anchor: bool = option(False, help="EntityCS parity: [[tree]]s → <en>tree</en>s")
    title_case_fallback: bool = option(Recipe.title_case_fallback,
                                       help="EntityCS parity: also try str.title() of a link target")

    def recipe(self) -> Recipe:
        return Recipe(languages=tuple(sorted(self.languages)), num_translations=self.num_translations,
                      seed=self.seed, mul_fallback=self.mul_fallback, trail_in_anchor=not self.trail_outside_anchor,
                      title_case_fallback=self.title_case_fallback)
