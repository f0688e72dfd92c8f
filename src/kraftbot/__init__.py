"""KraftBot: a Swedish retrieval-augmented assistant about Kraftsamling för AI i kommuner och civilsamhälle."""

__version__ = "0.1.0"
