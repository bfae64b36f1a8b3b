"""Readers and writers for DVC's on-disk formats, one module per format."""
