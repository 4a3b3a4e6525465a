"""Messages to people, through a transactional outbox.

- outbox.py: `enqueue` writes a message in the current transaction;
- events.py: the hook every ticket event calls, and the audiences that decide who
  hears what (residents.py: the residents' side);
- channels/: how a message leaves (SMS, Zalo ZNS, e-mail), and how they fail;
- texts.py, links.py: what residents read, and the signed link in every message;
- worker.py: delivers the outbox (`flask worker`); unconfigured.py: what becomes of a
  message whose channel has no provider (a local folder, or held).
"""
from . import residents  # noqa: F401  (registers the residents' audience)
