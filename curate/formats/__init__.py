"""Readers for the file formats several builders share."""
