"""MessageBatch (stand-in): its RFC 3339 fields are datetime objects, as the SDK's."""

from ..._models import BaseModel


class MessageBatchRequestCounts(BaseModel):
    pass


class MessageBatch(BaseModel):
    DATETIMES = ("archived_at", "cancel_initiated_at", "created_at", "ended_at", "expires_at")
    NESTED = {"request_counts": MessageBatchRequestCounts}
