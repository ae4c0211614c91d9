"""The identity-provider port and its adapters (Keycloak, and the embedded development IdP)."""
