"""The operator's command line (`lokos`): run the embedded platform, read traces, OTPs and
logs, write and create Keycloak realms. Tooling above the services, never imported by them."""
