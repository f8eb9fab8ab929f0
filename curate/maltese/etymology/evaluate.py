"""K-fold cross-validation over annotated sentences, with the seen/unseen split of the reference paper.

`unseen` tokens are those whose lower-cased form never occurs in the training folds. The plain
protocol shuffles sentences into folds like `sklearn.model_selection.KFold(shuffle=True)`; `grouped`
keeps exact duplicate sentences (51 of the 439) in one fold so a test sentence never has its twin in
training.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

import numpy as np

from curate.errors import OptionError
from curate.maltese.etymology.memoriser import duplicate_groups


def fold_assignment(sentences: Sequence[Sequence[str]], folds: int, seed: int, grouped: bool) -> list[int]:
    """Fold id of every sentence."""
    n = len(sentences)
    if folds < 2 or folds > n:
        raise OptionError(f"--folds: need 2 <= folds <= {n} sentences, got {folds}")
    if not grouped:  # KFold(shuffle=True): permute, then the first n % folds folds get one extra
        perm = np.random.RandomState(seed).permutation(n)
        sizes = [n // folds + (1 if k < n % folds else 0) for k in range(folds)]
        out, start = [0] * n, 0
        for k, size in enumerate(sizes):
            for i in perm[start : start + size]:
                out[int(i)] = k
            start += size
        return out
    groups = duplicate_groups(sentences)
    members: dict[int, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    order = list(members)
    np.random.RandomState(seed).shuffle(order)
    order.sort(key=lambda g: -len(members[g]))  # stable: big groups first, then shuffled order
    load = [0] * folds
    out = [0] * n
    for g in order:
        k = min(range(folds), key=lambda f: (load[f], f))
        load[k] += len(members[g])
        for i in members[g]:
            out[i] = k
    return out


def scores(gold: Sequence[str], pred: Sequence[str]) -> dict:
    """Accuracy and macro-F1 (over labels present in gold or predictions), like sklearn's defaults."""
    if not gold:
        return {"accuracy": None, "macro_f1": None, "tokens": 0}
    per = per_label(gold, pred)
    f1s = [v["f1"] for v in per.values()]
    return {
        "accuracy": sum(g == p for g, p in zip(gold, pred)) / len(gold),
        "macro_f1": sum(f1s) / len(f1s),
        "tokens": len(gold),
    }


def per_label(gold: Sequence[str], pred: Sequence[str]) -> dict[str, dict]:
    out = {}
    for label in sorted(set(gold) | set(pred)):
        tp = sum(g == p == label for g, p in zip(gold, pred))
        n_pred = sum(p == label for p in pred)
        n_gold = sum(g == label for g in gold)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {"precision": precision, "recall": recall, "f1": f1, "support": n_gold}
    return out


LEXICONS = ("full", "none")
SPLITS = ("sentences", "documents")


def fit_and_predict(
    options: dict, labels: Sequence[str], train_sentences: list, train_ids: list, test_sentences: list,
    threads: int = 1, lexicons: Sequence[str] = ("full",),
) -> dict[str, list[list[str]]]:
    """Train one fold's tagger from `options` (a --model-config dict) and tag its test sentences once per
    lexicon protocol: `full` with the translation tables, `none` as if no token were in them."""
    import torch

    from curate.maltese.etymology.inference import EtymologyEngine
    from curate.maltese.etymology.train import split_options, train_tagger

    torch.set_num_threads(threads)
    train, model_kwargs = split_options(options)
    train.threads = threads
    # the test fold's forms stay out of table distillation: `none` must mean never met in any form
    backend = train_tagger(train_sentences, train_ids, labels, train, model_kwargs,
                           exclude={t.lower() for s in test_sentences for t in s})
    out = {}
    full = getattr(backend, "featurizer", None)
    for lexicon in lexicons:
        if full is not None:  # a backbone reads no table evidence: both protocols are the same for it
            backend.featurizer = full if lexicon == "full" else full.without_tables()
        engine = EtymologyEngine(backend, device="cpu", threads=threads)
        out[lexicon] = [tags for tags, _ in engine.tag(test_sentences)]
    return out


def _assignment(sentences, folds: int, seed: int, grouped: bool, documents: Sequence[str] | None) -> tuple[list[int], int]:
    if documents is None:
        return fold_assignment(sentences, folds, seed, grouped), folds
    names = list(dict.fromkeys(documents))  # one fold per document, in order of first appearance
    if len(names) < 2:
        raise ValueError(f"leave-one-document-out needs at least 2 documents, got {len(names)}")
    index = {d: k for k, d in enumerate(names)}
    return [index[d] for d in documents], len(names)


def cross_validate(
    sentences: Sequence[Sequence[str]],
    gold_labels: Sequence[Sequence[str]],
    labels: Sequence[str],
    options: dict | None = None,
    folds: int = 10,
    seed: int = 0,
    grouped: bool = False,
    jobs: int = 1,
    progress: Callable[[str], None] | None = None,
    lexicons: Sequence[str] = ("full",),
    documents: Sequence[str] | None = None,
    first_folds: int | None = None,
) -> dict[str, dict]:
    """Train and test fold by fold; one report per lexicon protocol (`{lexicon: report}`), from the same
    fold models. `documents` (one id per sentence) makes the folds leave-one-document-out; `first_folds`
    runs only the first N folds (for choosing settings on a small protocol). `jobs` > 1 trains folds in
    parallel processes of one thread each (on a small model, one thread per fold beats several threads
    fighting over one fold)."""
    options = dict(options or {})
    options.setdefault("seed", seed)
    unknown = [x for x in lexicons if x not in LEXICONS]
    if unknown or not lexicons:
        raise ValueError(f"lexicon protocols must be among {LEXICONS}, got {list(lexicons)}")
    assignment, folds = _assignment(sentences, folds, seed, grouped, documents)
    run_folds = range(min(folds, first_folds or folds))
    label_id = {label: i for i, label in enumerate(labels)}
    tasks = []
    for k in run_folds:
        train_idx = [i for i, f in enumerate(assignment) if f != k]
        test_idx = [i for i, f in enumerate(assignment) if f == k]
        tasks.append((train_idx, test_idx, (
            options, list(labels), [list(sentences[i]) for i in train_idx],
            [[label_id[x] for x in gold_labels[i]] for i in train_idx], [list(sentences[i]) for i in test_idx],
            1, tuple(lexicons),
        )))
    start = time.perf_counter()
    if jobs > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=multiprocessing.get_context("spawn"))
        with pool:
            futures = [pool.submit(fit_and_predict, *args) for _, _, args in tasks]
            predictions = []
            for k, future in enumerate(futures):
                predictions.append(future.result())
                if progress:
                    progress(f"fold {k} done ({time.perf_counter() - start:.1f} s)")
    else:
        predictions = []
        for k, (_, _, args) in enumerate(tasks):
            predictions.append(fit_and_predict(*args))
            if progress:
                progress(f"fold {k} done ({time.perf_counter() - start:.1f} s)")
    seconds = round(time.perf_counter() - start, 1)
    protocol = {
        "folds": folds, "folds_run": len(tasks), "seed": seed, "grouped": grouped,
        "split": "documents" if documents is not None else "sentences", "sentences": len(sentences),
        "options": options,
        "effective_options": _effective(options),  # the report names its training recipe, defaults included
    }
    if documents is not None:
        protocol["documents"] = {d: sum(x == d for x in documents) for d in dict.fromkeys(documents)}
    return {
        lexicon: _report(sentences, gold_labels, tasks, [p[lexicon] for p in predictions],
                         {**protocol, "lexicon": lexicon}, seconds)
        for lexicon in lexicons
    }


def _effective(options: dict) -> dict:
    """TrainConfig with its defaults filled in, plus the model-config keys given (EtymologyConfig's own
    defaults are in the saved config of any model trained with them)."""
    from curate.maltese.etymology.train import split_options

    train, model_kwargs = split_options(options)
    return {**dataclasses.asdict(train), **model_kwargs}


def _report(sentences, gold_labels, tasks, predictions, protocol: dict, seconds: float) -> dict:
    gold_all: list[str] = []
    pred_all: list[str] = []
    seen_all: list[bool] = []
    fold_reports = []
    for k, ((train_idx, test_idx, _), predicted) in enumerate(zip(tasks, predictions)):
        vocab = {t.lower() for i in train_idx for t in sentences[i]}
        g = [x for i in test_idx for x in gold_labels[i]]
        p = [x for sent in predicted for x in sent]
        s = [t.lower() in vocab for i in test_idx for t in sentences[i]]
        gold_all += g
        pred_all += p
        seen_all += s
        fold_reports.append({
            "fold": k, "train_sentences": len(train_idx), "test_sentences": len(test_idx),
            "all": scores(g, p),
            "unseen": scores([x for x, q in zip(g, s) if not q], [x for x, q in zip(p, s) if not q]),
        })
    return {
        "protocol": protocol,
        "all": scores(gold_all, pred_all),
        "seen": scores([x for x, q in zip(gold_all, seen_all) if q], [x for x, q in zip(pred_all, seen_all) if q]),
        "unseen": scores([x for x, q in zip(gold_all, seen_all) if not q], [x for x, q in zip(pred_all, seen_all) if not q]),
        "per_label": per_label(gold_all, pred_all),
        "folds": fold_reports,
        "seconds": seconds,
    }
