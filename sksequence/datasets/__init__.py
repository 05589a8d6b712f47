"""Small real datasets that ship with sksequence (no network needed)."""

from ._japanese_vowels import load_japanese_vowels

__all__ = ["load_japanese_vowels"]
