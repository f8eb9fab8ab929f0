"""curate etymology eval|train — cross-validate or train the Maltese etymology tagger on the annotations."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    from curate.checks import at_least

    p = sub.add_parser("etymology", help="evaluate (k-fold CV) or train the Maltese etymology tagger")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--model-config", help="JSON object or path to a JSON file: model and training options "
                        '(e.g. \'{"epochs": 20, "context_encoder": "conv"}\' or \'{"backbone": "path/to/bert"}\')')
    common.add_argument("--labels", choices=["merged", "fine"], default="merged", help="label set (default merged, 5 labels)")
    common.add_argument("--seed", type=int, default=0)
    common.add_argument("--max-sentences", type=at_least(1), default=None, help="use only the first N annotated sentences")
    ev = actions.add_parser("eval", parents=[common], help="k-fold cross-validation over sentences")
    ev.add_argument("--folds", type=at_least(2), default=10)
    ev.add_argument("--grouped", action="store_true", help="keep exact duplicate sentences in one fold")
    ev.add_argument("--jobs", type=at_least(1), default=None, help="folds trained in parallel (default: CPU cores, max 2)")
    ev.add_argument("--lexicon", choices=["full", "none", "both"], default="full",
                    help="test-time translation-table evidence: full (every annotated token is in the tables), "
                         "none (as if no token were: text outside the tables), or both from the same fold models "
                         "(then the JSON holds one report per protocol)")
    ev.add_argument("--split", choices=["sentences", "documents"], default="sentences",
                    help="folds over sentences (--folds, --grouped) or leave-one-document-out over the 8 MUDT "
                         "documents the annotations come from")
    ev.add_argument("--first-folds", type=int, default=None,
                    help="train and test only the first N folds (a small protocol for choosing settings)")
    ev.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    tr = actions.add_parser("train", parents=[common], help="train on the annotations and write a model folder")
    tr.add_argument("--out", required=True, help="model folder to write (replaced atomically)")
    tr.add_argument("--split", choices=["all", "train", "test"], default="all",
                    help="all annotations, or the train/test side of the fixed grouped 90/10 split (seed 0)")
    p.set_defaults(func=run)


def _data(args: argparse.Namespace):
    from curate.maltese.resources import FINE_LABELS, MERGED_LABELS, read_annotations

    annotations = read_annotations()[: args.max_sentences]
    labels = MERGED_LABELS if args.labels == "merged" else FINE_LABELS
    gold = [list(a.merged if args.labels == "merged" else a.fine) for a in annotations]
    return [list(a.tokens) for a in annotations], gold, labels


def run(args: argparse.Namespace) -> int:
    import os

    from curate.maltese.etymology.train import parse_model_config

    options = parse_model_config(args.model_config)
    sentences, gold, labels = _data(args)
    if args.action == "eval":
        from curate.errors import CurateError
        from curate.maltese.etymology.documents import annotation_documents
        from curate.maltese.etymology.evaluate import cross_validate

        jobs = args.jobs or min(2, os.cpu_count() or 1)
        progress = None if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
        lexicons = ("full", "none") if args.lexicon == "both" else (args.lexicon,)
        documents = annotation_documents(sentences) if args.split == "documents" else None
        if args.first_folds is not None and args.first_folds < 1:
            raise CurateError(f"--first-folds must be at least 1, got {args.first_folds}")
        try:
            reports = cross_validate(sentences, gold, labels, options, folds=args.folds, seed=args.seed,
                                     grouped=args.grouped, jobs=jobs, progress=progress, lexicons=lexicons,
                                     documents=documents, first_folds=args.first_folds)
        except ValueError as exc:  # fold counts that do not fit the data
            raise CurateError(str(exc)) from exc
        if args.json:
            print(json.dumps(reports if args.lexicon == "both" else reports[args.lexicon], ensure_ascii=False))
        else:
            for lexicon, report in reports.items():
                for part in ("all", "seen", "unseen"):
                    s = report[part]
                    acc = "n/a" if s["accuracy"] is None else f"{100 * s['accuracy']:.2f}%"
                    f1 = "n/a" if s["macro_f1"] is None else f"{100 * s['macro_f1']:.2f}"
                    print(f"lexicon {lexicon:4s} {part:7s} accuracy {acc}  macro-F1 {f1}  tokens {s['tokens']}")
        return 0
    from curate.maltese.etymology.evaluate import fold_assignment
    from curate.maltese.etymology.train import save_backend, split_options, train_tagger

    exclude: set[str] = set()
    if args.split != "all":
        fold = fold_assignment(sentences, 10, 0, grouped=True)
        if args.split == "train":  # the held-out side's words stay out of table distillation too
            exclude = {t.lower() for s, f in zip(sentences, fold) if f == 0 for t in s}
        keep = [i for i, f in enumerate(fold) if (f != 0) == (args.split == "train")]
        sentences, gold = [sentences[i] for i in keep], [gold[i] for i in keep]
    options.setdefault("seed", args.seed)
    train, model_kwargs = split_options(options)
    label_id = {label: i for i, label in enumerate(labels)}
    backend = train_tagger(sentences, [[label_id[x] for x in g] for g in gold], labels, train, model_kwargs,
                           exclude=exclude)
    out = save_backend(backend, args.out)
    print(f"trained on {len(sentences)} sentences ({sum(map(len, sentences))} tokens); wrote {out}")
    return 0
