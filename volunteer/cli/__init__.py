"""The command line, one module per command group:

- seed.py: `flask seed` (a city's wards, teams and categories; `--demo` for a tour);
- users.py: `flask users create|deactivate`;
- tickets.py: `flask tickets release-stale|remind-resolved|rebuild-durations`;
- apikeys.py: `flask apikeys create|list|revoke` (Open311 clients);
- ops.py: `flask backup`, `flask restore`, `flask privacy purge`;
- worker.py: `flask worker` (delivers the notifications' outbox);
- push.py: `flask push keys|digest` (alerts on volunteers' phones).
"""
from .apikeys import apikeys_group
from .ops import backup_command, privacy_group, restore_command
from .push import push_group
from .seed import seed_command
from .tickets import tickets_group
from .users import users_group
from .worker import worker_command


def register(app) -> None:
    for command in (seed_command, users_group, tickets_group, apikeys_group, backup_command,
                    restore_command, privacy_group, worker_command, push_group):
        app.cli.add_command(command)
