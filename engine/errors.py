"""Errors the engine raises on purpose: each message says what is wrong and what to do."""


class ModelError(RuntimeError):
    """A model cannot be loaded: missing files, bad checksum, config that does not fit the weights."""


class ModelNotFound(ModelError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])
