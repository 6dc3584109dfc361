"""MessageBatchIndividualResponse (stand-in): one line of the results."""

from ..._models import BaseModel


class MessageBatchResult(BaseModel):
    pass


class MessageBatchIndividualResponse(BaseModel):
    NESTED = {"result": MessageBatchResult}
