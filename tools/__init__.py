"""Tools around the app, not part of it: the demo data loader (`flask seed --demo`) and
the builder of the Đông Hà city file. Nothing in `volunteer/` imports them at run time,
except the demo command, on demand."""
