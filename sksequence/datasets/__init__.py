"""Small real datasets that ship with sksequence (no network needed)."""

from ._airline import load_airline
from ._japanese_vowels import load_japanese_vowels

__all__ = ["load_airline", "load_japanese_vowels"]
