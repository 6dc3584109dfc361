"""The anthropic SDK's message batches, and the beta ones (see _instrument.py for what is
common).

create passes the requests on to the SDK (an iterable that is not a list is made one first,
so the SDK and start read the same requests) and, once the batch has its id, starts it under
that id in the background, under the span that was active at create. retrieve and cancel
keep the latest batch object (results() calls retrieve itself). results() returns the SDK's
own decoder with a tap in it: each line is handed to a collect as its item is yielded.
"""

import json

from . import _instrument as common

_batches = {}   # batch id -> the latest batch object seen, as wire JSON


def _create_before(instance, arguments):
    requests = arguments.get("requests")
    changes = None
    if requests is not None and not isinstance(requests, (list, tuple)):
        requests = list(requests)
        changes = {"requests": requests}
    return (requests, common.active_parent()), changes


def _create_after(state, arguments, result):
    requests, parent = state
    batch_id = _observe(result)
    if not batch_id or requests is None:
        return
    from . import start
    options = common.start_options()

    def run():
        try:
            start(requests, provider="anthropic", batch_id=batch_id, parent=parent,
                  **options)
        except TypeError:  # params holding SDK models or dates: their JSON, as the SDK sends
            lines = [json.dumps(r, default=common.jsonable, ensure_ascii=False)
                     for r in requests]
            start(lines, provider="anthropic", batch_id=batch_id, parent=parent, **options)

    common.jobs.submit("anthropic batches.create (start)", run)


def _observe_after(state, arguments, result):
    _observe(result)


def _observe(batch):
    """Keep a batch object; its id, or None for another object (a raw response)."""
    wire, batch_id = common.batch_wire(batch, "processing_status")
    if batch_id is None:
        return None
    with common._lock:
        _batches[batch_id] = wire
    return batch_id


def _results_after(is_async, where):
    def after(state, arguments, result):
        batch_id = arguments.get("message_batch_id")
        with common._lock:
            batch = _batches.get(batch_id)
        parent = common.active_parent()
        common.tap_decoder(result, where, lambda: common.ResultsTap(
            "anthropic", batch_id, batch, parent, where), is_async)
    return after


def hooks():
    """(module, class, method, before, after) for the sync and async resources, GA and beta."""
    table = []
    for module in ("anthropic.resources.messages.batches",
                   "anthropic.resources.beta.messages.batches"):
        for prefix in ("", "Async"):
            cls = prefix + "Batches"
            where = f"anthropic {cls}.results"
            table += [
                (module, cls, "create", _create_before, _create_after),
                (module, cls, "retrieve", None, _observe_after),
                (module, cls, "cancel", None, _observe_after),
                (module, cls, "results", None, _results_after(bool(prefix), where)),
            ]
    return table
