"""``ritual journal encrypt | decrypt | delete | retention``.

Converting the journal in place (``assistant.journal.convert``), deleting entries or their
audio (``assistant.journal.deletion``), and applying ``retention:`` on request, with
``--dry-run`` to see what would go.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.commands.journal_common import counted, folder_for, parse_day
from assistant.context import Context
from assistant.core.errors import CryptError, UsageError
from assistant.core.journal import entry_name
from assistant.journal.deletion import Removal, contained_entry, expired, on_day, removal, remove
from assistant.journal.folder import JournalFolder
from assistant.journal.leftovers import clear_leftovers

if TYPE_CHECKING:
    from assistant.journal.convert import Converted


def register(actions: Any, common: argparse.ArgumentParser) -> None:
    encrypt = actions.add_parser(
        "encrypt",
        parents=[common],
        help="encrypt the journal's entries, audio and transcripts in place",
        description="Encrypt every entry, answer recording and transcript to the public "
        "key in the config, file by file; run it again after an interruption to finish.",
    )
    encrypt.set_defaults(func=encrypt_entries)
    decrypt = actions.add_parser(
        "decrypt",
        parents=[common],
        help="decrypt the journal in place (asks for the passphrase)",
        description="Decrypt every encrypted file of the journal, file by file; run it "
        "again after an interruption to finish.",
    )
    decrypt.set_defaults(func=decrypt_entries)
    delete = actions.add_parser(
        "delete",
        parents=[common],
        help="delete entries with their audio and transcripts",
        description="Delete the entries of a day (or one entry file) with their audio and "
        "transcripts; asks first on a terminal.",
    )
    delete.add_argument(
        "target", metavar="DATE|FILE", help="YYYY-MM-DD, today, yesterday, or an entry file"
    )
    delete.add_argument("--ritual", metavar="NAME", help="only this ritual's entries of the day")
    delete.add_argument(
        "--audio-only", action="store_true", help="delete the recordings, keep entry and transcript"
    )
    delete.add_argument("--yes", action="store_true", help="do not ask")
    delete.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    delete.set_defaults(func=delete_entries)
    retention = actions.add_parser(
        "retention",
        parents=[common],
        help="delete what the config's retention: says is too old",
        description="Apply retention: (audio_days, entries_days) now, as each ritual does "
        "when it starts.",
    )
    retention.add_argument("--dry-run", action="store_true", help="only say what would go")
    retention.set_defaults(func=apply_retention_now)


def encrypt_entries(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.journal.access import sealer_for
    from assistant.journal.convert import encrypt_journal
    from assistant.journal.index import remove_index

    settings = ctx.settings
    if not settings.encryption.on:
        raise CryptError(
            "encryption is off: run `ritual key init` first (or put your public key under "
            "encryption: recipients: in the config)"
        )
    folder = JournalFolder(settings.journal_dir)
    clear_leftovers(folder.root)
    done = encrypt_journal(folder, sealer_for(settings))
    ctx.out(_converted("Encrypted", done, settings.journal_dir))
    if remove_index(folder, settings.cache_dir):
        ctx.out(
            "Deleted the journal's index from the cache: it held the entries' words. "
            "An encrypted journal is indexed in memory, when it is read."
        )
    return 0


def decrypt_entries(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.journal.convert import decrypt_journal
    from assistant.journal.sealed_index import remove_sealed_index

    settings = ctx.settings
    folder = folder_for(ctx)
    clear_leftovers(folder.root)
    done = decrypt_journal(folder, folder.opener)
    remove_sealed_index(settings.cache_dir, folder.root)  # the plain index takes over
    ctx.out(_converted("Decrypted", done, settings.journal_dir))
    if settings.encryption.on:
        ctx.err(
            f"Encryption is still on in {settings.config_path}: new entries are written "
            "encrypted. Remove encryption: recipients: there to write them as plain text."
        )
    return 0


def _converted(verb: str, done: Converted, journal: Path) -> str:
    notes = []
    if done.already:
        notes.append(f"{done.already} already were")
    if done.left:
        notes.append(f"{done.left} empty (a ritual in progress?) left for another run")
    also = f" ({'; '.join(notes)})" if notes else ""
    files = counted(done.audio, "recording or transcript", "recordings and transcripts")
    return f"{verb} {counted(done.entries, 'entry', 'entries')} and {files} in {journal}{also}."


def delete_entries(args: argparse.Namespace, ctx: Context) -> int:
    folder = JournalFolder(ctx.settings.journal_dir)
    target: str = args.target
    day = _as_day(target, parse_day)
    if day is not None:
        paths = on_day(folder, day, args.ritual)
        if not paths:
            which = f"{args.ritual} " if args.ritual else ""
            ctx.out(f"No {which}entries on {day.isoformat()}.")
            return 0
    else:
        if args.ritual:
            raise UsageError("--ritual goes with a DATE, not with an entry's file")
        paths = [contained_entry(folder, Path(target).expanduser())]
    removals = [removal(p, audio_only=args.audio_only) for p in paths]
    removals = [r for r in removals if r.files]
    if not removals:
        ctx.out("No recordings to delete." if args.audio_only else "Nothing to delete.")
        return 0
    listing = "\n".join(f"  {r.describe(folder.root)}" for r in removals)
    if args.dry_run:
        ctx.out(f"Would delete:\n{listing}")
        return 0
    if not args.yes:
        if not ctx.terminal:
            raise UsageError(
                "journal delete asks before it deletes, and there is no terminal to ask on: "
                "add --yes (or --dry-run to see what would go)"
            )
        ctx.err(f"This deletes, for good:\n{listing}")
        if not ctx.confirm("Delete?"):
            ctx.out("Nothing deleted.")
            return 0
    _remove(ctx, folder, removals)
    ctx.out(f"Deleted:\n{listing}")
    return 0


def _as_day(text: str, parse: Any) -> date | None:
    """A DATE argument as a day; None when it names a file."""
    if text in ("today", "yesterday") or (len(text) == 10 and text[4] == "-" and text[7] == "-"):
        day: date = parse(text)
        return day
    return None


def _remove(ctx: Context, folder: JournalFolder, removals: list[Removal]) -> None:
    """Delete, then take the deleted entries out of the index and the recall state."""
    from assistant.journal.index import forget_removed
    from assistant.journal.recall_state import PendingRecalls

    clear_leftovers(folder.root)
    remove(removals, folder.root)
    forget_removed(folder, ctx.settings.cache_dir)
    pending = PendingRecalls(ctx.settings.recall_state_path)
    for r in removals:
        named = entry_name(r.entry.name)
        if named is not None and not r.audio_only:
            pending.forget(named.ritual, named.day)


def apply_retention_now(args: argparse.Namespace, ctx: Context) -> int:
    settings = ctx.settings
    retention = settings.retention
    if not retention.on:
        ctx.out(
            "There is no retention: in the config, so nothing is ever deleted by age "
            "(add audio_days: N or entries_days: N under retention:)."
        )
        return 0
    folder = JournalFolder(settings.journal_dir)
    removals = expired(folder, retention, date.today())
    if not removals:
        ctx.out("Nothing is older than retention: keeps.")
        return 0
    listing = "\n".join(f"  {r.describe(folder.root)}" for r in removals)
    if args.dry_run:
        ctx.out(f"Would delete:\n{listing}")
        return 0
    _remove(ctx, folder, removals)
    ctx.out(f"Deleted:\n{listing}")
    return 0
