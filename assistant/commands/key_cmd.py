"""``ritual key init | show``: the age identity that encrypts the journal.

``init`` makes an X25519 identity, keeps it in a file encrypted with a passphrase
(beside the config file, unless ``encryption.identity`` says otherwise), and turns
encryption on by adding its public key to the config.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any, Callable, Optional

import yaml

from assistant.context import Context
from assistant.core.errors import ConfigError, CryptError
from assistant.journal.crypt import TRIES, Passphrase, check_passphrase


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("key", parents=[common], help="the key that encrypts the journal")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init",
        parents=[common],
        help="make a key protected by a passphrase and encrypt new entries to it",
        description="Make an age identity (X25519) protected by a passphrase, and set the "
        "config to encrypt new entries, audio and transcripts to its public key. Make it "
        "on the machine that will read the journal: unlocking costs that machine's memory.",
    )
    init.set_defaults(func=init_key)
    show = actions.add_parser("show", parents=[common], help="print the public key entries go to")
    show.add_argument(
        "--unlock",
        action="store_true",
        help="read the public key from the key file itself (asks for the passphrase): "
        "to turn encryption back on with it",
    )
    show.set_defaults(func=show_key)


def _config_path(args: argparse.Namespace, ctx: Context) -> Path:
    from assistant.settings import default_config_path

    config = getattr(args, "config", None)
    return Path(config).expanduser() if config else default_config_path(ctx.environ)


def init_key(args: argparse.Namespace, ctx: Context) -> int:
    from assistant.journal.crypt import create_identity, passphrase_source, unavailable
    from assistant.safe_files import make_private_dirs, replace_file

    settings = ctx.settings
    encryption = settings.encryption
    config = _config_path(args, ctx)
    if encryption.on:
        raise CryptError(
            f"encryption is already on in {config} (to {', '.join(encryption.recipients)}); "
            "nothing was changed. To start again with a new key, remove encryption: "
            "recipients: there first (entries encrypted to the old key need the old one)"
        )
    problem = unavailable()
    if problem:
        raise CryptError(problem)
    identity = encryption.identity
    assert identity is not None
    if identity.exists():
        raise CryptError(
            f"{identity} already exists; it was left as it is. To encrypt to it, put its "
            "public key (age1…; `ritual key show --unlock` prints it) under encryption: "
            "recipients: in the config"
        )
    ask = ctx.secret_prompt()
    source = passphrase_source(
        file=encryption.passphrase_file,
        env=encryption.passphrase_env,
        environ=ctx.environ,
        ask=ask,
        prompt="A passphrase for the journal's key: ",
    )
    passphrase = _new_passphrase(source, ask, ctx)
    text = read_config_text(config)
    with_recipient(text, "age1" + "q" * 58, config)  # the config can take a key: checked first
    ctx.err("Making the key (protecting it takes a second or two) …")
    public = create_identity(identity, passphrase)
    make_private_dirs(config.parent)
    # A config that is a symlink (kept with the user's dotfiles) stays one: the file
    # it names is what gets the key, replaced atomically where it is.
    replace_file(Path(os.path.realpath(config)), with_recipient(text, public, config))
    ctx.out(
        f"Made the key {identity}\n"
        f"Its public key, now in {config}:\n  {public}\n"
        "New entries, recordings and transcripts are written encrypted to it; reading "
        "them asks for the passphrase. Keep a copy of the key file somewhere safe and "
        "remember the passphrase: without both, the journal cannot be read, by anyone.\n"
        "To encrypt the entries already there: ritual journal encrypt"
    )
    return 0


def _new_passphrase(source: Passphrase, ask: Optional[Callable[[str], str]], ctx: Context) -> str:
    """The new key's passphrase; typed on a terminal, twice alike, with three tries
    (as passwd does) for an empty one or two that differ."""
    if not source.asks or ask is None:
        passphrase = source()
        check_passphrase(passphrase)
        return passphrase
    for attempt in range(1, TRIES + 1):
        passphrase = ask("A passphrase for the journal's key: ")
        again = "Try again. " if attempt < TRIES else ""
        try:
            check_passphrase(passphrase)
        except CryptError as e:
            ctx.err(f"{str(e)[:1].upper()}{str(e)[1:]}. {again}".rstrip())
            continue
        if ask("The same passphrase again: ") == passphrase:
            return passphrase
        ctx.err(f"The two passphrases differ. {again}".rstrip())
    raise CryptError(f"no passphrase after {TRIES} tries; nothing was made")


def show_key(args: argparse.Namespace, ctx: Context) -> int:
    encryption = ctx.settings.encryption
    identity = encryption.identity
    if args.unlock:
        return _show_from_identity(identity, ctx)
    if not encryption.on:
        if identity is None or not identity.exists():
            ctx.out("Encryption is off (run `ritual key init` to turn it on).")
        else:
            ctx.out("Encryption is off.")
            ctx.out(
                f"The key made before is still there ({identity}): `ritual key show --unlock` "
                "prints its public key, to put back under encryption: recipients: in the config"
            )
        return 0
    ctx.out("\n".join(encryption.recipients))
    ctx.err(f"(the key that reads the journal: {encryption.identity})")
    return 0


def _show_from_identity(identity: Optional[Path], ctx: Context) -> int:
    from assistant.journal.crypt import passphrase_source, unlock

    if identity is None or not identity.exists():
        raise CryptError(f"there is no key file at {identity}; `ritual key init` makes one")
    encryption = ctx.settings.encryption
    source = passphrase_source(
        file=encryption.passphrase_file,
        env=encryption.passphrase_env,
        environ=ctx.environ,
        ask=ctx.secret_prompt(),
    )
    for key in unlock(identity, source, source.tries):
        ctx.out(str(key.to_public()))
    return 0


def read_config_text(config: Path) -> str:
    try:
        return config.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{config}: cannot read the config file ({e})") from None


def with_recipient(text: str, public: str, config: Path) -> str:
    """The config's text with ``public`` under ``encryption: recipients:``, the rest
    of the file (comments too) as it was; checked by reading it back."""
    lines = text.splitlines(keepends=True)
    heading = next(
        (n for n, line in enumerate(lines) if re.match(r"^encryption:\s*(#.*)?$", line)), None
    )
    if heading is None:
        block = f"encryption:\n  recipients:\n    - {public}\n"
        new = text + ("" if not text or text.endswith("\n") else "\n") + block
    else:
        following = next((line for line in lines[heading + 1 :] if line.strip()), "  ")
        indent = following[: len(following) - len(following.lstrip())] or "  "
        new = "".join(
            [*lines[: heading + 1], f"{indent}recipients: [{public}]\n", *lines[heading + 1 :]]
        )
    try:
        data = yaml.safe_load(new) or {}
        found = data["encryption"]["recipients"]
    except (yaml.YAMLError, KeyError, TypeError):
        found = None
    if not isinstance(found, list) or public not in found:
        raise ConfigError(
            f"{config}: cannot add the public key to the config by itself; add it by "
            f"hand:\nencryption:\n  recipients:\n    - {public}"
        )
    return new
