"""Resuming a download cut short part-way: the next attempt asks only for the rest (`Range: bytes=N-`).

Within one `download()` call, an attempt that fails after N body bytes were written (connection cut, stall
deadline, transient error) keeps its temp file, its sha256 state and its byte count in the `sink.FileSink`,
and the retry asks for `Range: bytes=N-` with `If-Range: <validator>` and `Accept-Encoding: identity` —
only when that is safe: the first answer was a 200 that advertised `Accept-Ranges: bytes`, carried a strong
validator (a quoted `ETag` such as `"abc"`, not `W/"abc"` nor the non-conforming unquoted `abc`, else a
`Last-Modified` at least one second older than its `Date`, RFC 9110 8.8.2.2) and was not content-encoded
(ranges count encoded bytes, the sink writes decoded ones). The answer is then judged (`answer`): an
unencoded `206` whose `Content-Range` is `bytes N-(T-1)/T`, T equal to the first answer's length when
known, continues the file; a `200` is the whole file again (the validator no longer matches, or the server
ignores ranges): the temp starts over, hash included; a `416`, any other range, a content-encoded 206, or
a 206 naming another `ETag`/`Last-Modified` than the validator (a server ignoring `If-Range`) is refused
(`RangeRefused`) before any body byte is read: the partial is dropped and the request sent again at once
from byte 0, not counted as a retry (`restart_if_refused`, once per attempt): bytes are never spliced
across versions, and a server refusing ranges costs no retry. Any other answer to a resumed request
(503, 404...) starts the file over too and is handled like any answer. A continued answer is reported
as the first one (status 200, its headers), so the cache records the whole file, never a 206.
`get()`/`post()` never send a range.
"""

from __future__ import annotations

import email.utils
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from requests.structures import CaseInsensitiveDict

from curate.fetch.errors import redact_url

if TYPE_CHECKING:
    from curate.fetch.sink import FileSink

log = logging.getLogger("curate.fetch")
_CONTENT_RANGE = re.compile(r"\s*bytes\s+(\d+)-(\d+)/(\d+)\s*$", re.IGNORECASE)
_STRONG_ETAG = re.compile(r'"[^"]*"')  # RFC 9110 8.8.3: quoted; `W/"..."` is weak, an unquoted one malformed
_T = TypeVar("_T")


class ResumeError(Exception):
    """A download's body cannot be used as it stands; retried like a network failure. Raised when a body
    ended before the first answer's length (`check_complete`): the partial stays resumable (its bytes are
    sound, its temp open) and the retry continues from where it ended; and when a 206 answers a request
    that asked for no range: nothing to continue, the temp is dropped."""


class RangeRefused(ResumeError):
    """The answer to a resumed request cannot continue the partial (416, another range or total, another
    version, content-encoded), found before any body byte was read: the partial is dropped (no longer
    resumable) and `restart_if_refused` sends the request again at once from byte 0."""


@dataclass(frozen=True)
class Partial:
    """What a later attempt needs to resume: the first answer's validator and length, and the answer
    itself (status, headers, reason), which is what a continued download reports and the cache records."""

    validator: str
    total: int | None
    status: int
    headers: CaseInsensitiveDict
    reason: str


def validator_of(headers: Any) -> str | None:
    """The `If-Range` validator of a 200 answer a download may later resume, or None when it may not."""
    if "bytes" not in (unit.strip().lower() for unit in headers.get("Accept-Ranges", "").split(",")):
        return None
    if headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
        return None  # a range counts encoded bytes; the sink holds decoded ones
    etag = headers.get("ETag", "").strip()
    if _STRONG_ETAG.fullmatch(etag):  # so a validator starting with `"` is an ETag, any other a date
        return etag
    modified, date = headers.get("Last-Modified"), headers.get("Date")
    try:  # a Last-Modified is a strong validator only if the answer was dated at least 1 s after it
        if modified and date and (email.utils.parsedate_to_datetime(date)
                                  - email.utils.parsedate_to_datetime(modified)).total_seconds() >= 1:
            return modified.strip()
    except (TypeError, ValueError):
        pass
    return None


def same_version(validator: str, headers: Any) -> bool:
    """A 206 naming another version than `validator` (a server that ignored `If-Range`) is refused."""
    now = headers.get("ETag" if validator.startswith('"') else "Last-Modified")
    return now is None or now.strip() == validator


def resumable(sink: FileSink | None) -> bool:
    """The sink holds the start of a body that a next attempt may continue (its temp still open)."""
    partial = getattr(sink, "resume", None)
    return (partial is not None and sink.is_open and sink.size > 0
            and (partial.total is None or sink.size < partial.total))


def request_headers(headers: dict, sink: FileSink | None) -> dict:
    """The headers to send: the caller's, plus `Range`/`If-Range` when the sink holds a resumable partial,
    with `Accept-Encoding: identity` (a range of a gzipped body counts encoded bytes; the partial holds
    decoded ones). A new dict: the request key was computed from the caller's headers and stays as it was."""
    if not resumable(sink):
        return headers
    return {**headers, "Range": f"bytes={sink.size}-", "If-Range": sink.resume.validator,
            "Accept-Encoding": "identity"}


def answer(sink: FileSink | None, url: str, response: Any, stats: Counter) -> tuple[int, CaseInsensitiveDict, str]:
    """Ready `sink` for `response`'s body and return (status, headers, reason) to report: a 206 continuing
    the partial appends to it and reports the first answer; any other answer starts the file over."""
    own = (response.status_code, CaseInsensitiveDict(response.headers), response.reason or "")
    if sink is None:
        return own
    partial, offset = (sink.resume, sink.size) if resumable(sink) else (None, 0)
    if response.status_code == 206 or (partial is not None and response.status_code == 416):
        got = response.headers.get("Content-Range", "")
        match = _CONTENT_RANGE.match(got)
        if (partial is not None and response.status_code == 206 and match and int(match[1]) == offset
                and int(match[2]) == int(match[3]) - 1 and partial.total in (None, int(match[3]))
                and response.headers.get("Content-Encoding", "identity").strip().lower() in ("", "identity")
                and same_version(partial.validator, response.headers)):
            stats["download_resumes"] += 1
            stats["download_resumed_bytes"] += offset
            log.info("%s: resuming the download at byte %d", redact_url(url), offset)
            sink.resume = Partial(partial.validator, int(match[3]), partial.status, partial.headers, partial.reason)
            return partial.status, partial.headers, partial.reason
        sink.discard()  # never splice: the next attempt starts from byte 0
        coding = response.headers.get("Content-Encoding")
        got = f"Content-Range {got!r}" + (f", Content-Encoding {coding!r}" if coding else "")
        if partial is None:
            raise ResumeError(f"HTTP {response.status_code} with {got} to a request for no range")
        raise RangeRefused(f"HTTP {response.status_code} with {got} to a request for bytes={offset}-; "
                           "the partial download is dropped")
    sink.begin(url)  # a first answer, or a 200 to a resumed request (the whole file again): new temp, new hash
    validator = validator_of(response.headers) if response.status_code == 200 else None
    length = response.headers.get("Content-Length", "")
    sink.resume = Partial(validator, int(length) if length.isdigit() else None, *own) if validator else None
    return own


def check_complete(sink: FileSink) -> None:
    """A body that ended before the length the first answer declared is not whole (urllib3 checks each
    answer's own `Content-Length`; this checks that a continued file reached the first one's)."""
    partial = getattr(sink, "resume", None)
    if partial is not None and partial.total is not None and sink.size != partial.total:
        raise ResumeError(f"the body ended at byte {sink.size} of {partial.total}")


def restart_if_refused(attempt: Callable[[], _T], before: Callable[[], None], stats: Counter, url: str) -> _T:
    """`attempt()`, and once more at once (after `before()`, the rate limit) when its resumed request was
    refused before any body byte (`RangeRefused`): not one of the retries, so a server that refuses ranges
    costs none. The partial is gone, so the second request sends no range and cannot be refused this way:
    at most one free restart per attempt; whatever it raises is the attempt's failure."""
    try:
        return attempt()
    except RangeRefused as exc:
        log.info("%s: %s; starting over from byte 0 at once (not a retry)", redact_url(url), exc)
        before()
        stats["requests"] += 1
        return attempt()
