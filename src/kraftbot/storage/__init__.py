"""KraftBot's own data in a database through SQLAlchemy: answers shown in the chat and their feedback."""
