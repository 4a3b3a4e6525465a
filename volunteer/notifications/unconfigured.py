"""A message whose channel has no provider configured (no SMS_PROVIDER, no SMTP_HOST,
no Zalo token), by NOTIFY_UNCONFIGURED:

- "local" (the embedded default, `make run`): the message is delivered to a folder,
  NOTIFY_LOCAL_DIR/<channel>/ (instance/outbox/), one file per message as the
  resident would receive it (the SMS text, the e-mail as an .eml file, the Zalo
  template and its parameters), named by the message so a second try rewrites the
  same file. A developer sees what residents get without any provider account.
- "hold" (a server database, i.e. production): nothing is lost and nothing is sent
  anywhere unexpected. The message stays pending with the reason as its last error,
  tried again every NOTIFY_HOLD_SECONDS without counting as a try (so it never goes
  dead for this), and the dashboard shows it; once the provider is configured (and
  the worker restarted) it goes out.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..private_files import private_folder
from .channels import NotConfigured

LOCAL, HOLD = "local", "hold"
NOT_CONFIGURED = "not configured"  # how last_error begins for a held message


def is_configured(channel, app_config) -> bool:
    check = getattr(channel, "configured", None)
    return check is None or bool(check(app_config))


def deliver(channel, message, app_config) -> Path:
    """Deliver a message of an unconfigured channel as NOTIFY_UNCONFIGURED says: the
    path written, or NotConfigured."""
    preview = getattr(channel, "preview", None)
    if app_config.get("NOTIFY_UNCONFIGURED") != LOCAL or preview is None:
        raise NotConfigured(f"{NOT_CONFIGURED}: {channel.name} has no provider set up; "
                            "kept until it has")
    suffix, content = preview(message, app_config)
    folder = private_folder(Path(app_config["NOTIFY_LOCAL_DIR"]) / message.channel)
    path = folder / f"{message.id:07d}-{message.template}{suffix}"
    # Written whole or not at all; a repeat (a worker killed after writing) rewrites it.
    partial = path.with_name(path.name + ".part")
    with open(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "wb") as out:
        out.write(content)
    os.replace(partial, path)
    return path
