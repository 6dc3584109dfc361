"""anthropic.resources.messages.batches (stand-in): Batches and AsyncBatches with create, retrieve, cancel and
results as the SDK defines them; results retrieves the batch first, as the SDK does."""

from ...types.messages import MessageBatch, MessageBatchIndividualResponse
from ..._types import not_given, omit
from ..._exceptions import AnthropicError
from . import _shared


class Batches:
    def __init__(self, client):
        self._client = client

    def create(self, *, requests, user_profile_id=omit, extra_headers=None, extra_query=None,
               extra_body=None, timeout=not_given):
        return _shared.create(self._client._provider, requests, MessageBatch)

    def retrieve(self, message_batch_id, *, extra_headers=None, extra_query=None,
                 extra_body=None, timeout=not_given):
        if not message_batch_id:
            raise ValueError("Expected a non-empty value for `message_batch_id`")
        return MessageBatch(**self._client._provider.read_json("msgbatches", message_batch_id))

    def cancel(self, message_batch_id, *, extra_headers=None, extra_query=None,
               extra_body=None, timeout=not_given):
        return _shared.cancel(self._client._provider, message_batch_id, MessageBatch)

    def results(self, message_batch_id, *, extra_headers=None, extra_query=None,
                extra_body=None, timeout=not_given):
        batch = self.retrieve(message_batch_id=message_batch_id)
        if not batch.results_url:
            raise AnthropicError("No `results_url` for the given batch; Has it finished "
                                 f"processing? {batch.processing_status}")
        return _shared.results(self._client._provider, message_batch_id, MessageBatchIndividualResponse)


class AsyncBatches:
    def __init__(self, client):
        self._client = client

    async def create(self, *, requests, user_profile_id=omit, extra_headers=None,
                     extra_query=None, extra_body=None, timeout=not_given):
        return _shared.create(self._client._provider, requests, MessageBatch)

    async def retrieve(self, message_batch_id, *, extra_headers=None, extra_query=None,
                       extra_body=None, timeout=not_given):
        return MessageBatch(**self._client._provider.read_json("msgbatches", message_batch_id))

    async def cancel(self, message_batch_id, *, extra_headers=None, extra_query=None,
                     extra_body=None, timeout=not_given):
        return _shared.cancel(self._client._provider, message_batch_id, MessageBatch)

    async def results(self, message_batch_id, *, extra_headers=None, extra_query=None,
                      extra_body=None, timeout=not_given):
        batch = await self.retrieve(message_batch_id=message_batch_id)
        if not batch.results_url:
            raise AnthropicError("No `results_url` for the given batch; Has it finished "
                                 f"processing? {batch.processing_status}")
        return _shared.async_results(self._client._provider, message_batch_id, MessageBatchIndividualResponse)
