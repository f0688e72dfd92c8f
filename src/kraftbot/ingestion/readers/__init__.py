"""Format readers: each turns one file's bytes into text (per page where it has pages) and the
metadata the file carries about itself. `documents` adds corpus-level metadata on top."""

from kraftbot.errors import UnreadableFile
from kraftbot.ingestion.readers.base import Extracted
from kraftbot.ingestion.readers.registry import READERS, read_file, reader_for

__all__ = ["READERS", "Extracted", "UnreadableFile", "read_file", "reader_for"]
