"""The SDK's pydantic base model (stand-in)."""

from stand_in_provider import BaseModel

__all__ = ["BaseModel"]
