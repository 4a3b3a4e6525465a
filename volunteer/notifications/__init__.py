"""Messages to people, through a transactional outbox.

- outbox.py: `enqueue` writes a message in the current transaction;
- events.py: the hook every ticket event calls, and the audiences that decide who
  hears what (residents.py: the residents' side);
- channels/: how a message leaves (SMS, Zalo ZNS, e-mail), and how they fail;
- worker.py: delivers the outbox (`flask worker`).
"""
