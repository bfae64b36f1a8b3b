"""dvcdoit: DVC 3 data versioning and pipelines, run by doit."""

__version__ = "0.1.0"
__all__ = ["__version__"]
