"""Routes per area: dashboard, clients, managers, API."""
