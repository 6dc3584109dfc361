"""openai.resources.batches (stand-in): Batches and AsyncBatches with create, retrieve and
cancel as the SDK defines them. The fake provider refuses metadata over 16 keys, as the API
does."""

from collections.abc import Mapping

from stand_in_provider import BadRequestError

from .._types import not_given, omit
from ..types.batch import Batch


def _create(provider, completion_window, endpoint, input_file_id, metadata):
    if isinstance(metadata, Mapping) and len(metadata) > 16:
        raise BadRequestError("metadata: at most 16 keys")
    provider.file_bytes(input_file_id)
    batch_id = provider.new_id("batch")
    data = {"id": batch_id, "object": "batch", "endpoint": endpoint, "errors": None,
            "input_file_id": input_file_id, "completion_window": completion_window,
            "status": "validating", "output_file_id": None, "error_file_id": None,
            "created_at": 1772366400, "in_progress_at": None, "expires_at": 1772452800,
            "completed_at": None, "failed_at": None, "expired_at": None,
            "cancelling_at": None, "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": dict(metadata) if isinstance(metadata, Mapping) else None}
    provider.write_json("batches", batch_id, data)
    return Batch(**data)


def _cancel(provider, batch_id):
    data = provider.read_json("batches", batch_id)
    data.update(status="cancelling", cancelling_at=1772366700)
    provider.write_json("batches", batch_id, data)
    return Batch(**data)


class Batches:
    def __init__(self, client):
        self._client = client

    def create(self, *, completion_window, endpoint, input_file_id, metadata=omit,
               output_expires_after=omit, extra_headers=None, extra_query=None,
               extra_body=None, timeout=not_given):
        return _create(self._client._provider, completion_window, endpoint, input_file_id,
                       metadata)

    def retrieve(self, batch_id, *, extra_headers=None, extra_query=None, extra_body=None,
                 timeout=not_given):
        return Batch(**self._client._provider.read_json("batches", batch_id))

    def cancel(self, batch_id, *, extra_headers=None, extra_query=None, extra_body=None,
               timeout=not_given):
        return _cancel(self._client._provider, batch_id)


class AsyncBatches:
    def __init__(self, client):
        self._client = client

    async def create(self, *, completion_window, endpoint, input_file_id, metadata=omit,
                     output_expires_after=omit, extra_headers=None, extra_query=None,
                     extra_body=None, timeout=not_given):
        return _create(self._client._provider, completion_window, endpoint, input_file_id,
                       metadata)

    async def retrieve(self, batch_id, *, extra_headers=None, extra_query=None,
                       extra_body=None, timeout=not_given):
        return Batch(**self._client._provider.read_json("batches", batch_id))

    async def cancel(self, batch_id, *, extra_headers=None, extra_query=None, extra_body=None,
                     timeout=not_given):
        return _cancel(self._client._provider, batch_id)
