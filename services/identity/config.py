from pydantic import Field

from lokos.config import GrpcEndpoints, ServiceSettings


class IdentitySettings(ServiceSettings, GrpcEndpoints):
    service_name: str = "identity"
    grpc_port: int = 50051

    # Identity provider: Keycloak at keycloak_url, else the embedded development IdP at
    # idp_url; both through Keycloak's admin API as this master-realm administrator.
    keycloak_url: str = ""
    keycloak_admin_user: str = "admin"
    keycloak_admin_password: str = Field(default="", repr=False)
    idp_url: str = "http://127.0.0.1:8180"

    # Brute force: this many wrong passwords in a row lock the account. The n-th lock in a row
    # lasts n × lockout_seconds, at most lockout_max_seconds (Keycloak's waitIncrementSeconds /
    # maxFailureWaitSeconds of the realm templates); a successful login or an admin's unlock
    # starts again. A temporary lock keeps a guessing attacker from locking a user out for long.
    max_failed_logins: int = Field(default=5, ge=1)
    lockout_seconds: int = Field(default=60, ge=1)
    lockout_max_seconds: int = Field(default=900, ge=1)
    # Every refused password login is answered after at least this long (seconds), so that its
    # timing does not tell an unknown user ID from a known one with a wrong password (the
    # provider's work differs: it records a known user's failure).
    login_refusal_seconds: float = Field(default=0.1, ge=0, le=5)
    # A logout is remembered this long so that the gateway refuses the session's access
    # tokens; at least the provider's access token lifespan (plus the gateway's leeway).
    ended_session_memory_seconds: int = Field(default=3600, ge=60)

    # SMS OTP for binding a mobile device.
    otp_ttl_seconds: int = 300
    # Requests a minute a registered API client may send unless its registration says otherwise.
    api_client_rate_per_minute: int = 120
    otp_max_attempts: int = 5
    otp_resend_interval_seconds: int = 30
    otp_max_per_hour: int = 5
    # Keyed hash of OTPs at rest; generated into data_dir when empty.
    otp_secret: str = Field(default="", repr=False)
    # SMS gateway: empty → development outbox (data_dir/sms/outbox.jsonl, read by `lokos otp`).
    sms_gateway_url: str = ""
    sms_gateway_token: str = Field(default="", repr=False)
    sms_sender_id: str = "LOKOS"
