from .routes import register  # noqa: F401
