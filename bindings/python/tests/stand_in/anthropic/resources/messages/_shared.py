"""What the GA and beta stand-in resources share: the fake provider's side of the calls."""

from stand_in_provider import BadRequestError

from ..._decoders.jsonl import AsyncJSONLDecoder, JSONLDecoder, _Response


def create(provider, requests, batch_type):
    requests = list(requests)  # the SDK reads an iterable once, into the body
    seen = set()
    for request in requests:
        if request["custom_id"] in seen:
            raise BadRequestError("duplicate custom_id")
        seen.add(request["custom_id"])
    batch_id = provider.new_id("msgbatch")
    data = {"id": batch_id, "type": "message_batch", "processing_status": "in_progress",
            "request_counts": {"processing": len(requests), "succeeded": 0, "errored": 0,
                               "canceled": 0, "expired": 0},
            "ended_at": None, "created_at": "2026-03-01T12:00:00.125000Z",
            "expires_at": "2026-03-02T12:00:00.125000Z", "archived_at": None,
            "cancel_initiated_at": None, "results_url": None}
    provider.write_json("msgbatches", batch_id, data)
    return batch_type(**data)


def cancel(provider, batch_id, batch_type):
    data = provider.read_json("msgbatches", batch_id)
    data.update(processing_status="canceling", cancel_initiated_at="2026-03-01T12:30:00Z")
    provider.write_json("msgbatches", batch_id, data)
    return batch_type(**data)


def _chunks(body):
    for start in range(0, len(body), 64):  # the SDK reads the body 64 bytes at a time
        yield body[start:start + 64]


async def _async_chunks(body):
    for chunk in _chunks(body):
        yield chunk


def results(provider, batch_id, line_type):
    body = (provider.root / "msgbatches" / f"{batch_id}.jsonl").read_bytes()
    return JSONLDecoder(raw_iterator=_chunks(body), line_type=line_type,
                        http_response=_Response())


def async_results(provider, batch_id, line_type):
    body = (provider.root / "msgbatches" / f"{batch_id}.jsonl").read_bytes()
    return AsyncJSONLDecoder(raw_iterator=_async_chunks(body), line_type=line_type,
                             http_response=_Response())
