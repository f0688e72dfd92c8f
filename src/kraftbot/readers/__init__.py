"""Format readers: each turns one file's bytes into text (per page where it has pages) and the
metadata the file carries about itself. `documents` adds corpus-level metadata on top."""

from kraftbot.readers.base import Extracted, UnreadableFile
from kraftbot.readers.registry import READERS, read_file, reader_for

__all__ = ["READERS", "Extracted", "UnreadableFile", "read_file", "reader_for"]
