"""Identity: users, roles with scope, CBO mapping, devices and OTP; talks to Keycloak."""
