"""Model-family specifics for seq2seq MT: how NLLB, M2M100 and Marian name the languages they translate."""

from __future__ import annotations

from typing import Any

from curate.errors import CurateError

# ISO 639-1 -> the FLORES-200 codes NLLB uses.
NLLB_CODES = {
    "en": "eng_Latn", "de": "deu_Latn", "fr": "fra_Latn", "it": "ita_Latn", "es": "spa_Latn", "nl": "nld_Latn",
    "fi": "fin_Latn", "sv": "swe_Latn", "ru": "rus_Cyrl", "pt": "por_Latn", "zh": "zho_Hans", "ja": "jpn_Jpan",
    "fa": "pes_Arab", "ky": "kir_Cyrl", "ug": "uig_Arab", "tr": "tur_Latn", "sw": "swh_Latn", "so": "som_Latn",
    "ar": "arb_Arab", "kk": "kaz_Cyrl", "uz": "uzn_Latn", "az": "azj_Latn", "tk": "tuk_Latn", "tt": "tat_Cyrl",
    "mt": "mlt_Latn", "bg": "bul_Cyrl", "hu": "hun_Latn", "cs": "ces_Latn", "pl": "pol_Latn", "el": "ell_Grek",
    "hi": "hin_Deva", "ko": "kor_Hang", "th": "tha_Thai", "da": "dan_Latn",
}
ISO3 = {"en": "eng", "de": "deu", "fr": "fra", "it": "ita", "es": "spa", "nl": "nld", "fi": "fin", "sv": "swe",
        "ru": "rus", "pt": "por", "zh": "zho", "ja": "jpn", "fa": "fas", "ky": "kir", "ug": "uig", "tr": "tur",
        "sw": "swa", "so": "som", "ar": "ara", "kk": "kaz", "uz": "uzb", "az": "aze", "mt": "mlt"}


def language_setup(tok: Any, model_path: str, src: str, tgt: str) -> tuple[str, dict[str, Any]]:
    """Prefix for each source text and extra generate() kwargs, for the model family at hand.

    Sets `tok.src_lang` for NLLB and M2M100 tokenizers, which prepend the source language token."""
    vocab = tok.get_vocab()
    nllb_src, nllb_tgt = NLLB_CODES.get(src), NLLB_CODES.get(tgt)
    if "eng_Latn" in vocab or (nllb_tgt and nllb_tgt in vocab):  # NLLB
        if nllb_src not in vocab or nllb_tgt not in vocab:
            raise CurateError(f"{model_path}: NLLB model has no language token for {src}->{tgt} "
                              f"({nllb_src}, {nllb_tgt})")
        tok.src_lang = nllb_src
        return "", {"forced_bos_token_id": vocab[nllb_tgt]}
    if "__en__" in vocab or f"__{tgt}__" in vocab:  # M2M100
        if f"__{src}__" not in vocab or f"__{tgt}__" not in vocab:
            raise CurateError(f"{model_path}: M2M100 model has no language token for {src}->{tgt}")
        tok.src_lang = src
        return "", {"forced_bos_token_id": vocab[f"__{tgt}__"]}
    for marker in (f">>{ISO3.get(tgt, tgt)}<<", f">>{tgt}<<"):  # multi-target Marian
        if marker in vocab:
            return marker + " ", {}
    return "", {}  # a single-pair model (Marian opus-mt-en-xx, a fine-tuned T5 ...)
