"""What the openai and anthropic stand-ins share (written for these tests; no SDK code is
copied): a pydantic-like BaseModel and a fake provider that keeps its files and batches in a
directory, so that a batch submitted by one process is finished and read by another.

BaseModel behaves as the SDKs' models do where batchtrace can tell: attributes by field
name, nested objects as models, RFC 3339 fields as datetime objects, to_dict(mode="python")
(the default) returning those datetime objects, to_dict(mode="json") and
model_dump(mode="json", by_alias=True, exclude_unset=True) returning the JSON the API sent.
The provider directory is the client's base_url, else $STAND_IN_PROVIDER_DIR.
"""

import datetime
import itertools
import json
import os
import pathlib
import time


def _parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _format_time(value):
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class BaseModel:
    """A response object: fields from the wire dict; DATETIMES names RFC 3339 fields;
    NESTED maps a field to the model class of its object (or of a list's elements)."""
    DATETIMES = ()
    NESTED = {}

    def __init__(self, **data):
        object.__setattr__(self, "_data", data)

    @classmethod
    def construct(cls, **data):
        return cls(**data)

    def __getattr__(self, name):
        data = object.__getattribute__(self, "_data")
        if name not in data:
            if name.startswith("_"):
                raise AttributeError(name)
            return None  # an optional field the response did not set
        value = data[name]
        if name in self.DATETIMES and isinstance(value, str):
            return _parse_time(value)
        nested = self.NESTED.get(name)
        if nested is not None and isinstance(value, dict):
            return nested(**value)
        if nested is not None and isinstance(value, list):
            return [nested(**v) if isinstance(v, dict) else v for v in value]
        return value

    def __eq__(self, other):
        return type(self) is type(other) and self._data == other._data

    def __repr__(self):
        return f"{type(self).__name__}({self._data!r})"

    def to_dict(self, *, mode="python", use_api_names=True, exclude_unset=True,
                exclude_defaults=False, exclude_none=False, warnings=True):
        return self.model_dump(mode=mode, by_alias=use_api_names, exclude_unset=exclude_unset)

    def model_dump(self, *, mode="python", by_alias=False, exclude_unset=False, **ignored):
        out = {}
        for key, value in self._data.items():
            if key in self.DATETIMES and isinstance(value, str):
                value = _parse_time(value)
                if mode == "json":
                    value = _format_time(value)
            elif key in self.NESTED and value is not None:
                value = getattr(self, key)
                if isinstance(value, list):
                    value = [v.model_dump(mode=mode, by_alias=by_alias,
                                          exclude_unset=exclude_unset) for v in value]
                else:
                    value = value.model_dump(mode=mode, by_alias=by_alias,
                                             exclude_unset=exclude_unset)
            out[key] = value
        return out

    def to_json(self, **kwargs):
        return json.dumps(self.to_dict(mode="json"))


class Provider:
    """The fake provider's state: DIR/files/ID (bytes) and ID.json (the file object),
    DIR/batches/ID.json (OpenAI batch objects), DIR/msgbatches/ID.json and ID.jsonl
    (Anthropic batch objects and results)."""

    _ids = itertools.count(1)

    def __init__(self, base_url=None):
        self.root = pathlib.Path(base_url or os.environ["STAND_IN_PROVIDER_DIR"])
        for sub in ("files", "batches", "msgbatches"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def new_id(self, prefix):
        return f"{prefix}_{os.getpid()}{next(self._ids):04d}{time.time_ns() % 100000:05d}"

    def read_json(self, sub, object_id):
        path = self.root / sub / f"{object_id}.json"
        if not path.exists():
            raise NotFoundError(f"no such object: {object_id}")
        return json.loads(path.read_text())

    def write_json(self, sub, object_id, data):
        (self.root / sub / f"{object_id}.json").write_text(json.dumps(data))

    def save_file(self, content, purpose, filename):
        file_id = self.new_id("file")
        (self.root / "files" / file_id).write_bytes(content)
        data = {"id": file_id, "object": "file", "bytes": len(content),
                "created_at": 1772366400, "filename": filename or "upload", "purpose": purpose,
                "status": "processed", "expires_at": None, "status_details": None}
        self.write_json("files", file_id, data)
        return data

    def file_bytes(self, file_id):
        path = self.root / "files" / file_id
        if not path.exists():
            raise NotFoundError(f"no such file: {file_id}")
        return path.read_bytes()


class Omit:
    """The SDKs' sentinel for an argument not given (omit)."""

    def __bool__(self):
        return False


class NotGiven:
    """The SDKs' older sentinel (NOT_GIVEN, not_given)."""

    def __bool__(self):
        return False


class NotFoundError(Exception):
    """What the SDKs raise for a 404."""


class BadRequestError(Exception):
    """What the SDKs raise for a 400."""


def finish_openai_batch(root, batch_id, status, output_lines=(), error_lines=(), **fields):
    """Play the provider: end an OpenAI batch with these result lines (dicts)."""
    provider = Provider(root)
    batch = provider.read_json("batches", batch_id)
    batch["status"] = status
    for name, lines in (("output_file_id", output_lines), ("error_file_id", error_lines)):
        if lines:
            body = "".join(json.dumps(line) + "\n" for line in lines).encode()
            batch[name] = provider.save_file(body, "batch_output", f"{name}.jsonl")["id"]
    batch["request_counts"] = {"total": len(output_lines) + len(error_lines),
                               "completed": len(output_lines), "failed": len(error_lines)}
    batch.update(fields)
    provider.write_json("batches", batch_id, batch)
    return batch


def finish_anthropic_batch(root, batch_id, result_lines, **fields):
    """Play the provider: end an Anthropic batch with these result lines (dicts)."""
    provider = Provider(root)
    batch = provider.read_json("msgbatches", batch_id)
    counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    for line in result_lines:
        counts[line["result"]["type"]] += 1
    batch.update(processing_status="ended", ended_at="2026-03-01T13:30:00.250000Z",
                 request_counts=counts,
                 results_url=f"https://api.anthropic.com/v1/messages/batches/{batch_id}/results")
    batch.update(fields)
    (provider.root / "msgbatches" / f"{batch_id}.jsonl").write_bytes(
        "".join(json.dumps(line) + "\n" for line in result_lines).encode())
    provider.write_json("msgbatches", batch_id, batch)
    return batch
