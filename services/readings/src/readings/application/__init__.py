"""readings application layer: transport-free handlers (load -> decide -> append, one transaction each).

- meters.py: the meter stream (`meter-{id}`) and loading its state;
- commands.py: ReadingSubmitted / ReadingWithdrawalRequested -> exactly one answer event;
- registry.py: RegistryRecord batches -> MeterRegistered / MeterClosed;
- facts.py: what readings learns from other services (chat links, closed periods);
- reconciliation.py: billing-export's LateReadingRefused -> ReadingReconciled."""
