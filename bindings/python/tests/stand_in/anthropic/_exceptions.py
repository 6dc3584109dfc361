class AnthropicError(Exception):
    pass
