"""anthropic.resources.beta.messages.batches (stand-in): Batches and AsyncBatches with create, retrieve, cancel and
results as the SDK defines them (each with betas); results retrieves the batch first, as the SDK does."""

from ....types.messages import MessageBatch as BetaMessageBatch
from ....types.messages import MessageBatchIndividualResponse as BetaMessageBatchIndividualResponse
from ...._types import not_given, omit
from ...._exceptions import AnthropicError
from ...messages import _shared


class Batches:
    def __init__(self, client):
        self._client = client

    def create(self, *, requests, betas=omit, user_profile_id=omit, extra_headers=None, extra_query=None,
               extra_body=None, timeout=not_given):
        return _shared.create(self._client._provider, requests, BetaMessageBatch)

    def retrieve(self, message_batch_id, *, betas=omit, extra_headers=None, extra_query=None,
                 extra_body=None, timeout=not_given):
        if not message_batch_id:
            raise ValueError("Expected a non-empty value for `message_batch_id`")
        return BetaMessageBatch(**self._client._provider.read_json("msgbatches", message_batch_id))

    def cancel(self, message_batch_id, *, betas=omit, extra_headers=None, extra_query=None,
               extra_body=None, timeout=not_given):
        return _shared.cancel(self._client._provider, message_batch_id, BetaMessageBatch)

    def results(self, message_batch_id, *, betas=omit, extra_headers=None, extra_query=None,
                extra_body=None, timeout=not_given):
        batch = self.retrieve(message_batch_id=message_batch_id)
        if not batch.results_url:
            raise AnthropicError("No `results_url` for the given batch; Has it finished "
                                 f"processing? {batch.processing_status}")
        return _shared.results(self._client._provider, message_batch_id, BetaMessageBatchIndividualResponse)


class AsyncBatches:
    def __init__(self, client):
        self._client = client

    async def create(self, *, requests, betas=omit, user_profile_id=omit, extra_headers=None,
                     extra_query=None, extra_body=None, timeout=not_given):
        return _shared.create(self._client._provider, requests, BetaMessageBatch)

    async def retrieve(self, message_batch_id, *, betas=omit, extra_headers=None, extra_query=None,
                       extra_body=None, timeout=not_given):
        return BetaMessageBatch(**self._client._provider.read_json("msgbatches", message_batch_id))

    async def cancel(self, message_batch_id, *, betas=omit, extra_headers=None, extra_query=None,
                     extra_body=None, timeout=not_given):
        return _shared.cancel(self._client._provider, message_batch_id, BetaMessageBatch)

    async def results(self, message_batch_id, *, betas=omit, extra_headers=None, extra_query=None,
                      extra_body=None, timeout=not_given):
        batch = await self.retrieve(message_batch_id=message_batch_id)
        if not batch.results_url:
            raise AnthropicError("No `results_url` for the given batch; Has it finished "
                                 f"processing? {batch.processing_status}")
        return _shared.async_results(self._client._provider, message_batch_id, BetaMessageBatchIndividualResponse)
