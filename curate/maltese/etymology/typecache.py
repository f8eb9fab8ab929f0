"""Per-type work of the etymology tagger, done once per type per process.

Everything the native model computes from a token *type* (character CNN, lexical features, memoriser
distribution, all folded through the word projection: `EtymologyModel.project_types`) is stored in
one preallocated tensor, one row per type, on the model's device. A batch looks its distinct types up,
computes only the new ones (one batched featurisation + one encoder call), and gathers rows per
token. Least recently used types are evicted when the store is full, so memory is fixed by
`capacity`, not by the corpus: a 250M-token stream holds the same few hundred MB as a 1M-token one.

Labels do not depend on the cache state: a type's row is computed with fixed-width character input
(`max_chars`), so the same type gives the same row whichever batch first saw it (up to float noise
of the BLAS kernels, far below any label margin).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Sequence

import numpy as np
import torch

# types whose vectors a batch needs -> rows; computes the new ones with `compute(new_types) -> [n, dim]`
Compute = Callable[[list[str]], torch.Tensor]


class TypeStore:
    """A bounded LRU map from type string to a row of `data` ([capacity, dim])."""

    def __init__(self, dim: int, capacity: int, device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32):
        if capacity < 1:
            raise ValueError("type cache capacity must be >= 1")
        self.capacity = capacity
        self.data = torch.zeros((capacity, dim), dtype=dtype, device=device)
        self._slot: OrderedDict[str, int] = OrderedDict()  # oldest use first
        self._free = list(range(capacity - 1, -1, -1))
        self.hits = self.misses = self.evictions = 0

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, token: str) -> bool:
        return token in self._slot

    def clear(self) -> None:
        self._slot.clear()
        self._free = list(range(self.capacity - 1, -1, -1))

    def slots(self, types: Sequence[str], compute: Compute) -> np.ndarray:
        """Row index of each of `types` (distinct strings), computing and inserting the missing ones."""
        slot = self._slot
        found = list(map(slot.get, types))
        missing = [t for t, s in zip(types, found) if s is None]
        hits = len(types) - len(missing)
        self.hits += hits
        if hits:  # refresh recency in C: a hit costs a dict lookup and a relink, no Python frame
            deque(map(slot.move_to_end, (t for t, s in zip(types, found) if s is not None)), maxlen=0)
        if missing:
            if len(missing) + hits > self.capacity:
                raise ValueError(f"a batch has {len(types)} distinct types, more than the type cache holds "
                                 f"({self.capacity}); raise the cache size or lower batch_tokens")
            self.misses += len(missing)
            new_slots = self._take(len(missing))
            self.data[torch.as_tensor(new_slots, device=self.data.device)] = compute(missing).to(self.data.dtype)
            slot.update(zip(missing, new_slots))
            fill = iter(new_slots)
            found = [s if s is not None else next(fill) for s in found]
        return np.asarray(found, dtype=np.int64)

    def _take(self, n: int) -> list[int]:
        # the batch's hits were just moved to the end, so the oldest entries are never this batch's types
        while len(self._free) < n:
            _, freed = self._slot.popitem(last=False)
            self._free.append(freed)
            self.evictions += 1
        taken = self._free[-n:]
        del self._free[-n:]
        return taken

    def stats(self) -> dict[str, int]:
        return {"types_cached": len(self._slot), "type_hits": self.hits, "type_misses": self.misses,
                "type_evictions": self.evictions}
