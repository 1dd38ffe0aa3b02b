"""billing-export application layer: transport-free handlers (load -> decide -> append).

- period_stream.py: the period stream (`period-YYYY-MM`) and loading the part of it a decision needs;
- readings.py: ReadingAccepted / ReadingWithdrawn from readings -> BillingReading (or dropped as late);
- closing.py: closing (exporting) a period -> PeriodClosed."""
