"""HttpxBinaryResponseContent: what files.content returns, over a response already read."""


class _Response:
    """The little of an httpx.Response the binary content reads: a body read whole."""

    def __init__(self, content):
        self.content = content
        self.encoding = "utf-8"

    @property
    def text(self):
        return self.content.decode("utf-8")

    def read(self):
        return self.content

    def iter_bytes(self, chunk_size=None):
        size = chunk_size or 65536
        for start in range(0, len(self.content), size):
            yield self.content[start:start + size]

    def iter_lines(self):
        yield from self.text.splitlines()


class HttpxBinaryResponseContent:
    def __init__(self, response):
        self.response = response

    @property
    def content(self):
        return self.response.content

    @property
    def text(self):
        return self.response.text

    def json(self, **kwargs):
        import json
        return json.loads(self.response.content, **kwargs)

    def read(self):
        return self.response.read()

    def iter_bytes(self, chunk_size=None):
        return self.response.iter_bytes(chunk_size)

    def iter_lines(self):
        return self.response.iter_lines()

    def write_to_file(self, file):
        with open(file, mode="wb") as f:
            for data in self.response.iter_bytes():
                f.write(data)
