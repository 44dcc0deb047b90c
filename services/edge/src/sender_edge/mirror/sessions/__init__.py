"""Edge sessions: the wanted ones in the database (`store`, `models`), viewer-started ones
(`ondemand`), their reported state (`status`), and the manager that reconciles them with
the running mirrors (`manager`)."""
