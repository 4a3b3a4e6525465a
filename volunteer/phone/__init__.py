"""The volunteers' phone app: pages kept for use without a signal, actions recorded
offline and sent later exactly once (`offline`), the in-app notifications (`inbox`),
alert preferences and web push (`alerts`, `push`)."""
