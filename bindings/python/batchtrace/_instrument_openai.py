"""The openai SDK's batch calls (see _instrument.py for what is common).

files.create(purpose="batch") keeps a reference to the input JSONL as given (a path, the
bytes, or a file object's bytes read and put back where they were), by the returned file id.
batches.create starts the batch from those requests under the caller's active span, adds
batchtrace_ctx to metadata when the caller's metadata leaves room, and binds the returned
batch id. retrieve and cancel keep the latest batch object and its output and error file
ids. files.content (or retrieve_content) of one of those files collects the bytes as they
pass, with the batch object and every file of the batch downloaded so far (collect needs all
of a batch's result files at once to finish it); a failed batch, which has no files, is
collected when it is seen.
"""

import collections
import io
import os
import pathlib
from collections.abc import Mapping

from . import _instrument as common

METADATA_KEY = "batchtrace_ctx"
METADATA_MAX_KEYS = 16        # OpenAI's limit on a batch's metadata
KEPT_INPUTS = 32              # uploaded input files remembered (references, not copies)
KEPT_BATCHES = 64             # batch objects remembered

_inputs = collections.OrderedDict()    # input file id -> pathlib.Path or bytes
_batches = collections.OrderedDict()   # batch id -> {"batch": wire dict, "files": {id: bytes}}
_file_batch = {}                       # output/error file id -> batch id


def _remember(table, key, value, limit):
    """table[key] = value, the oldest entries dropped past limit."""
    with common._lock:
        table[key] = value
        table.move_to_end(key)
        while len(table) > limit:
            table.popitem(last=False)


def _input_value(file):
    """What start reads for an uploaded file (FileTypes: a PathLike, bytes, a file object, or
    a (name, content, ...) tuple): a Path, or the bytes. A file object is read and put back
    at its position, so the SDK uploads the same bytes; one that cannot seek is skipped."""
    if isinstance(file, tuple):
        file = file[1] if len(file) > 1 else None
    if isinstance(file, os.PathLike):
        return pathlib.Path(os.fspath(file))
    if isinstance(file, bytes):
        return file
    if isinstance(file, (bytearray, memoryview)):
        return bytes(file)
    if isinstance(file, io.IOBase) or hasattr(file, "read"):
        if not (hasattr(file, "seekable") and file.seekable()):
            common.notice_once("openai:unseekable", "batchtrace: files.create got a file object "
                               "that cannot seek: its requests cannot be read without taking "
                               "them from the upload, so the batch is traced without them")
            return None
        position = file.tell()
        data = file.read()
        file.seek(position)
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return None


def _files_create_before(instance, arguments):
    if arguments.get("purpose") != "batch":
        return None
    value = _input_value(arguments.get("file"))
    return (value, None) if value is not None else None


def _files_create_after(value, arguments, result):
    file_id = getattr(result, "id", None)
    if value is not None and isinstance(file_id, str):
        _remember(_inputs, file_id, value, KEPT_INPUTS)


def _merged_metadata(metadata, token):
    """The metadata to send: the caller's keys and batchtrace_ctx, or None (send the
    caller's as given) when a batchtrace_ctx is already there or there is no room."""
    if isinstance(metadata, Mapping):
        if METADATA_KEY in metadata:
            common.notice_once("openai:metadata-key", "batchtrace: batches.create: the metadata "
                               "already has a %s key: left as given; the batch is found by "
                               "its id in the store", METADATA_KEY)
            return None
        if len(metadata) >= METADATA_MAX_KEYS:
            common.notice_once("openai:metadata-full", "batchtrace: batches.create: the metadata "
                               "has %d keys, OpenAI's maximum: %s not added; the batch is found "
                               "by its id in the store (share it, or its signing key, with the "
                               "collecting process)", len(metadata), METADATA_KEY)
            return None
        return {**metadata, METADATA_KEY: token}
    return {METADATA_KEY: token}  # none given (omit, NOT_GIVEN or None)


def _batches_create_before(instance, arguments):
    from . import start
    value = _inputs.get(arguments.get("input_file_id"))
    if value is None:
        common.logger.debug("batchtrace: batches.create: input file %s was not uploaded by "
                            "this process: no submit span", arguments.get("input_file_id"))
        return None
    context, _ = start(value, provider="openai", **common.start_options())
    merged = _merged_metadata(arguments.get("metadata"), context)
    return context, ({"metadata": merged} if merged is not None else None)


def _batches_create_after(context, arguments, result):
    batch_id = _observe(result)
    if context and batch_id:
        from . import bind
        store = common.options().get("store")
        common.jobs.submit("openai batches.create (bind)",
                           lambda: bind(batch_id, context, store=store))


def _batches_observe_after(state, arguments, result):
    _observe(result)


def _observe(batch):
    """Keep a batch object (the latest seen) and its files; collect a failed batch, which
    has no files. Returns its id, or None for something that is not a batch object (a raw
    response)."""
    wire, batch_id = common.batch_wire(batch, "status")
    if batch_id is None:
        return None
    with common._lock:
        entry = _batches.get(batch_id) or {"files": {}, "failed_collected": False}
        entry["batch"] = wire
        _remember(_batches, batch_id, entry, KEPT_BATCHES)
        for key in ("output_file_id", "error_file_id"):
            if wire.get(key):
                _file_batch[wire[key]] = batch_id
        collect_failed = wire.get("status") == "failed" and not entry["failed_collected"]
        entry["failed_collected"] = entry["failed_collected"] or collect_failed
    if collect_failed:
        _submit_collect(batch_id, wire, [], common.active_parent())
    return batch_id


def _files_content_after(state, arguments, result):
    file_id = arguments.get("file_id")
    with common._lock:
        batch_id = _file_batch.get(file_id)
        entry = _batches.get(batch_id) if batch_id else None
    if entry is None:
        return  # not a result file of a batch this process saw (or another file)
    if isinstance(result, str):                     # retrieve_content
        data = result.encode("utf-8")
    elif type(result).__name__ == "HttpxBinaryResponseContent":
        data = result.content                       # read already: no stream is consumed
    else:
        return                                      # a raw or streamed response: left alone
    with common._lock:
        batch = entry["batch"]
        entry["files"][file_id] = data
        order = [batch.get("output_file_id"), batch.get("error_file_id")]
        files = [entry["files"][key] for key in order if key in entry["files"]]
        if all(key in entry["files"] for key in order if key):
            entry["files"] = {}  # every file passed: this collect has them all
    _submit_collect(batch_id, batch, files, common.active_parent())


def _submit_collect(batch_id, batch, files, parent):
    """Collect a batch in the background: its object and the bytes of its files."""
    from . import _collect_sources
    where = "openai files.content (collect)"

    def run():
        summary = _collect_sources(
            [("buffer", data) for data in files] or [("buffer", b"")], context=None,
            batch=batch, requests=None, trace_id=None, batch_id=None, provider="openai",
            parent=parent, force=False, max_attribute_bytes=None, **common.collect_options())
        common.summary_logged(where, summary)

    common.jobs.submit(where, run)


def hooks():
    """(module, class, method, before, after) for the sync and async resources."""
    table = []
    for prefix in ("", "Async"):
        table += [
            ("openai.resources.files", prefix + "Files", "create",
             _files_create_before, _files_create_after),
            ("openai.resources.files", prefix + "Files", "content", None, _files_content_after),
            ("openai.resources.files", prefix + "Files", "retrieve_content", None,
             _files_content_after),
            ("openai.resources.batches", prefix + "Batches", "create",
             _batches_create_before, _batches_create_after),
            ("openai.resources.batches", prefix + "Batches", "retrieve", None,
             _batches_observe_after),
            ("openai.resources.batches", prefix + "Batches", "cancel", None,
             _batches_observe_after),
        ]
    return table
