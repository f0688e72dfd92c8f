"""Errors a user can fix, each with a message that says how.

Front ends print a `KraftbotError` as one line (the CLI exits with code 2); anything else is a bug
and keeps its traceback.
"""


class KraftbotError(Exception):
    """Base of every error whose message is the whole story for the user."""


class ConfigurationError(KraftbotError):
    """A setting, settings file, command-line option or thresholds file is wrong."""


class QuestionRejected(KraftbotError):
    """A question that is refused before any retrieval; the message is Swedish, for the applicant."""


class QuestionFileError(KraftbotError):
    """A line of an evaluation questions file is not a valid question."""


class CorpusError(KraftbotError):
    """The corpus folder is missing or holds no readable document."""


class UnreadableFile(KraftbotError):
    """One document cannot be read; ingestion logs it and goes on with the others."""


class IndexMissingError(KraftbotError):
    """The named index has not been built."""


class ModelIntegrityError(KraftbotError):
    """A packaged model file is incomplete or does not match its recorded checksum."""


class BackendError(KraftbotError):
    """The generation backend failed or could not be reached."""


class DatasetError(KraftbotError):
    """A benchmark dataset or run folder is missing or unknown."""


class CorruptIndexError(KraftbotError):
    """The files of a built index disagree with each other; rebuilding it fixes that."""


class DatabaseUnavailable(KraftbotError):
    """The database (`database.url`) cannot be reached or opened; the message hides its password."""
