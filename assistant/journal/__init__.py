"""The journal on disk: its folder and file names (``folder``), encryption at rest
(``crypt``), the index beside it (``index``), opening it for a command
(``access``), the recall state of an encrypted journal (``recall_state``),
converting (``convert``), deleting (``deletion``) and drawing (``plot``).

The entry model and its Markdown live in the pure core (``assistant.core.journal``).
"""
