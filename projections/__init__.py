"""Read side: views kept current from the event log, replay and verification for auditors."""
