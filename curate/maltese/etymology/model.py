"""`EtymologyModel`: a small token classifier for Maltese etymology, trained from scratch.

Each token type is encoded once per batch (character CNN + projected lexical features), gathered
back to the token positions, joined with the token's memoriser and position features, and read in
sentence context by word-level convolutions (or a BiLSTM, `context_encoder="lstm"`). Saved and loaded
with `save_pretrained` / `from_pretrained` (safetensors); the memoriser counts, alphabet and n-grams travel in the config, so a model folder is
self-contained apart from the translation tables shipped with the package.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForTokenClassification, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import TokenClassifierOutput

from curate.errors import OptionError
from curate.maltese.etymology.features import ARABIC_FEATURES, PAD, PER_LANGUAGE, SHAPE_FEATURES, WORDLIST_FEATURES

CONTEXT_FEATURES = 3  # first token, follows sentence punctuation, last token


class EtymologyConfig(PretrainedConfig):
    model_type = "maltese-etymology"

    def __init__(
        self,
        labels: list[str] | None = None,
        alphabet: str = "",
        ngrams: list[str] | None = None,
        max_chars: int = 24,
        char_dim: int = 32,
        char_filters: int = 48,
        char_kernels: tuple[int, ...] = (2, 3, 4),
        feature_dim: int = 64,
        word_dim: int = 128,
        hidden: int = 64,
        context_encoder: str = "conv",  # "conv" (word-level convolutions, fast on CPU) or "lstm" (BiLSTM)
        context_layers: int = 2,
        dropout: float = 0.3,
        memory: dict[str, list[int]] | None = None,
        wordlists: bool = False,  # word-list frequency features (curate.maltese.etymology.wordlists)
        **kwargs,
    ):
        labels = list(labels or [])
        kwargs.setdefault("id2label", dict(enumerate(labels)))
        kwargs.setdefault("label2id", {label: i for i, label in enumerate(labels)})
        super().__init__(**kwargs)
        self.labels = labels
        self.alphabet = alphabet
        self.ngrams = list(ngrams or [])
        self.max_chars = max_chars
        self.char_dim = char_dim
        self.char_filters = char_filters
        self.char_kernels = list(char_kernels)
        self.feature_dim = feature_dim
        self.word_dim = word_dim
        self.hidden = hidden
        self.context_encoder = context_encoder
        self.context_layers = context_layers
        self.dropout = dropout
        self.memory = memory or {}
        self.wordlists = wordlists

    @property
    def n_features(self) -> int:
        return SHAPE_FEATURES + 2 * PER_LANGUAGE + ARABIC_FEATURES + len(self.ngrams) + WORDLIST_FEATURES * self.wordlists


class EtymologyModel(PreTrainedModel):
    config_class = EtymologyConfig
    base_model_prefix = "etymology"
    main_input_name = "token_types"

    def __init__(self, config: EtymologyConfig):
        super().__init__(config)
        n_labels = len(config.labels)
        self.char_embedding = nn.Embedding(len(config.alphabet) + 4, config.char_dim, padding_idx=PAD)
        self.char_convs = nn.ModuleList(
            nn.Conv1d(config.char_dim, config.char_filters, k, padding=k // 2) for k in config.char_kernels
        )
        self.feature_projection = nn.Linear(config.n_features, config.feature_dim)
        type_dim = config.char_filters * len(config.char_kernels) + config.feature_dim
        self.word_projection = nn.Linear(type_dim + n_labels + 3 + CONTEXT_FEATURES, config.word_dim)
        if config.context_encoder == "lstm":
            self.context = nn.LSTM(config.word_dim, config.hidden, batch_first=True, bidirectional=True)
        elif config.context_encoder == "conv":
            dims = [config.word_dim] + [2 * config.hidden] * config.context_layers
            self.context = nn.ModuleList(nn.Conv1d(a, b, 3, padding=1) for a, b in zip(dims, dims[1:]))
        else:
            raise OptionError(f"context_encoder must be 'lstm' or 'conv', got {config.context_encoder!r}")
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.word_dim + 2 * config.hidden, n_labels)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.1)
            with torch.no_grad():
                module.weight[PAD].zero_()

    def encode_types(self, type_chars: torch.Tensor, type_features: torch.Tensor) -> torch.Tensor:
        chars = self.char_embedding(type_chars).transpose(1, 2)  # [U, E, C]
        keep = (type_chars != PAD).unsqueeze(1).to(chars.dtype)
        length = type_chars.shape[1]
        # relu output is >= 0, so zeroing padded positions leaves the max over real characters
        pooled = [(torch.relu(conv(chars))[..., :length] * keep).amax(dim=2) for conv in self.char_convs]
        features = torch.relu(self.feature_projection(type_features))
        return torch.cat([*pooled, features], dim=1)

    def forward(
        self,
        token_types: torch.Tensor,  # [B, T] index into the batch's unique types
        type_chars: torch.Tensor,  # [U, C]
        type_features: torch.Tensor,  # [U, F]
        memory: torch.Tensor,  # [B, T, n_labels + 3]
        context: torch.Tensor,  # [B, T, 3]
        attention_mask: torch.Tensor,  # [B, T]
        labels: torch.Tensor | None = None,  # [B, T], -100 where ignored
        **kwargs,
    ) -> TokenClassifierOutput:
        types = self.encode_types(type_chars, type_features)
        words = torch.cat([types[token_types], memory.to(types.dtype), context.to(types.dtype)], dim=-1)
        words = torch.relu(self.word_projection(self.dropout(words)))
        hidden = self.read_context(words, attention_mask)
        logits = self.classifier(self.dropout(torch.cat([words, hidden.to(words.dtype)], dim=-1)))
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1))
        return TokenClassifierOutput(loss=loss, logits=logits)

    # ---- inference by type (curate.maltese.etymology.typecache): the same function as `forward`, split at the
    # word projection, which is linear in [type vector, memoriser, context]: each type's share of it is
    # computed once per type and cached; per token only the context share and the context encoder run.
    @torch.no_grad()
    def char_tables(self) -> torch.Tensor:
        """[offsets, alphabet, filters]: the char CNN folded into lookup tables (eval only).

        Embedding then convolution is linear, so filter f at position i is the sum over kernel offsets d
        of table[d, char[i + d]] plus the bias: a gather and adds per character instead of a matmul."""
        pad = max(k // 2 for k in self.config.char_kernels)
        span = 2 * pad + 1
        blocks = []
        for conv, k in zip(self.char_convs, self.config.char_kernels):
            table = torch.zeros(span, self.char_embedding.num_embeddings, conv.out_channels)
            for j in range(k):  # kernel tap j reads the character at offset j - k // 2
                table[j - k // 2 + pad] = self.char_embedding.weight @ conv.weight[:, :, j].T
            blocks.append(table)
        return torch.cat(blocks, dim=2).to(self.char_embedding.weight.device)

    def encode_types_by_tables(self, tables: torch.Tensor, type_chars: torch.Tensor, type_features: torch.Tensor) -> torch.Tensor:
        """`encode_types` computed with `char_tables()`: same function, ~30x fewer operations."""
        keep = type_chars != PAD
        type_chars = type_chars[:, : int(keep.sum(dim=1).max())]  # each position is its own sum: trim padding
        keep = keep[:, : type_chars.shape[1]]
        span, vocab, filters = tables.shape
        (n, length), pad = type_chars.shape, span // 2
        padded = nn.functional.pad(type_chars, (pad, pad), value=PAD)
        # row d * vocab + c of the flattened tables is offset d, character c: one summing bag per position
        index = torch.stack([padded[:, d : d + length] + d * vocab for d in range(span)], dim=-1)
        out = nn.functional.embedding_bag(index.reshape(-1, span), tables.reshape(-1, filters), mode="sum")
        out = out.reshape(n, length, filters).masked_fill_(~keep.unsqueeze(2), float("-inf"))
        # max over positions commutes with the monotonic +bias and relu: apply them to the pooled values
        bias = torch.cat([conv.bias for conv in self.char_convs])
        pooled = torch.relu(out.amax(dim=1) + bias.to(out.dtype))
        features = torch.relu(self.feature_projection(type_features))
        return torch.cat([pooled, features.to(pooled.dtype)], dim=1)

    def project_types(
        self, type_chars: torch.Tensor, type_features: torch.Tensor, memory: torch.Tensor,
        tables: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """[U, word_dim]: char CNN + lexical features + memoriser of each type, through the word projection."""
        if tables is None:
            types = self.encode_types(type_chars, type_features)
        else:
            types = self.encode_types_by_tables(tables, type_chars, type_features)
        weight = self.word_projection.weight
        d, m = types.shape[1], memory.shape[1]
        return types @ weight[:, :d].T + memory.to(types.dtype) @ weight[:, d : d + m].T

    def logits_from_projected(
        self, projected: torch.Tensor, context: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        """Logits [B, T, labels] from per-token projected types [B, T, word_dim] (eval mode: no dropout)."""
        weight = self.word_projection.weight
        words = torch.relu(projected + context.to(projected.dtype) @ weight[:, -CONTEXT_FEATURES:].T
                           + self.word_projection.bias)
        hidden = self.read_context(words, attention_mask)
        return self.classifier(torch.cat([words, hidden.to(words.dtype)], dim=-1))

    def read_context(self, words: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Sentence context per word; padding never reaches a real word (packed LSTM / zeroed conv input)."""
        if self.config.context_encoder == "lstm":
            lengths = attention_mask.sum(dim=1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(words, lengths, batch_first=True, enforce_sorted=False)
            hidden, _ = self.context(packed)
            hidden, _ = nn.utils.rnn.pad_packed_sequence(hidden, batch_first=True, total_length=words.shape[1])
            return hidden
        keep = attention_mask.unsqueeze(1).to(words.dtype)  # [B, 1, T]
        hidden = words.transpose(1, 2)
        for conv in self.context:
            hidden = torch.relu(conv(hidden * keep))
        return hidden.transpose(1, 2)


AutoConfig.register(EtymologyConfig.model_type, EtymologyConfig, exist_ok=True)
AutoModelForTokenClassification.register(EtymologyConfig, EtymologyModel, exist_ok=True)
