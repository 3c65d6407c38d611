"""The one exception the engine raises for input it cannot size, so every edge can turn it into one clear line."""


class SizingError(ValueError):
    pass
